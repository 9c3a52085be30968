#include "redisvalue.h"

#include <hiredis/hiredis.h>

namespace qpush::store {

RedisValue RedisValue::fromReply(const redisReply *reply)
{
    RedisValue v;
    if (!reply)
        return transportError(QByteArrayLiteral("connection lost"));
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        v.m_type = Type::String;
        v.m_str = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_STATUS:
        v.m_type = Type::Status;
        v.m_str = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_ERROR:
        v.m_type = Type::Error;
        v.m_str = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_INTEGER:
        v.m_type = Type::Integer;
        v.m_int = reply->integer;
        break;
    case REDIS_REPLY_ARRAY:
        v.m_type = Type::Array;
        v.m_array.reserve(qsizetype(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i)
            v.m_array.append(fromReply(reply->element[i]));
        break;
    case REDIS_REPLY_NIL:
    default:
        v.m_type = Type::Nil;
        break;
    }
    return v;
}

RedisValue RedisValue::transportError(QByteArray message)
{
    RedisValue v;
    v.m_type = Type::TransportError;
    v.m_str = std::move(message);
    return v;
}

RedisValue RedisValue::integer(qint64 i)
{
    RedisValue v;
    v.m_type = Type::Integer;
    v.m_int = i;
    return v;
}

RedisValue RedisValue::string(QByteArray s)
{
    RedisValue v;
    v.m_type = Type::String;
    v.m_str = std::move(s);
    return v;
}

QByteArray RedisValue::errorKind() const
{
    if (m_type != Type::Error)
        return {};
    const qsizetype sp = m_str.indexOf(' ');
    return sp < 0 ? m_str : m_str.left(sp);
}

Error RedisValue::toError() const
{
    const QString text = QString::fromUtf8(m_str);
    if (m_type == Type::TransportError)
        return Error{ErrorCode::Unavailable, QStringLiteral("redis unavailable: ") + text};
    const QByteArray kind = errorKind();
    if (kind == "WRONGTYPE")
        return Error{ErrorCode::Corrupt,
                     QStringLiteral("redis holds data of an unexpected type: ") + text};
    if (kind == "LOADING" || kind == "CLUSTERDOWN" || kind == "TRYAGAIN" || kind == "MASTERDOWN" ||
        kind == "READONLY" || kind == "NOAUTH" || kind == "WRONGPASS" || kind == "BUSY" ||
        kind == "OOM" || kind == "MOVED" || kind == "ASK" || kind == "MISCONF")
        return Error{ErrorCode::Unavailable, QStringLiteral("redis: ") + text};
    return Error{ErrorCode::Internal, QStringLiteral("redis error: ") + text};
}

Result<qint64> redisInteger(const RedisValue &v)
{
    if (v.isError())
        return v.toError();
    if (v.isInteger())
        return v.toInteger();
    if (v.isString()) {
        bool ok = false;
        const qint64 n = v.bytes().toLongLong(&ok);
        if (ok)
            return n;
    }
    if (v.isNil())
        return qint64(0);
    return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected an integer reply")};
}

Result<QByteArray> redisString(const RedisValue &v)
{
    if (v.isError())
        return v.toError();
    if (v.isString())
        return v.bytes();
    if (v.isInteger())
        return QByteArray::number(v.toInteger());
    if (v.isNil())
        return QByteArray();
    return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected a string reply")};
}

Result<QList<RedisValue>> redisArray(const RedisValue &v)
{
    if (v.isError())
        return v.toError();
    if (v.isArray())
        return v.elements();
    if (v.isNil())
        return QList<RedisValue>();
    return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected an array reply")};
}

} // namespace qpush::store
