#pragma once
// A Redis reply as a plain value, detached from hiredis's memory, plus the
// small readers the store uses to turn replies into data or clear errors.

#include "../result.h"

#include <QByteArray>
#include <QList>

struct redisReply;

namespace qpush::store {

class RedisValue
{
public:
    enum class Type { Nil, String, Status, Integer, Array, Error, TransportError };

    RedisValue() = default;
    static RedisValue fromReply(const redisReply *reply);
    static RedisValue transportError(QByteArray message);
    static RedisValue integer(qint64 v);
    static RedisValue string(QByteArray s);

    Type type() const { return m_type; }
    bool isError() const { return m_type == Type::Error || m_type == Type::TransportError; }
    bool isNil() const { return m_type == Type::Nil; }
    bool isArray() const { return m_type == Type::Array; }
    bool isInteger() const { return m_type == Type::Integer; }
    bool isString() const { return m_type == Type::String || m_type == Type::Status; }
    qint64 toInteger() const { return m_int; }
    const QByteArray &bytes() const { return m_str; }
    const QList<RedisValue> &elements() const { return m_array; }

    /// The store error this reply stands for (only for isError()).
    Error toError() const;
    /// "MOVED", "ASK", "TRYAGAIN", ... : the first word of an error reply.
    QByteArray errorKind() const;

private:
    Type m_type = Type::Nil;
    qint64 m_int = 0;
    QByteArray m_str;
    QList<RedisValue> m_array;
};

/// Readers that fail with ErrorCode::Corrupt on a reply of the wrong shape.
Result<qint64> redisInteger(const RedisValue &v);
Result<QByteArray> redisString(const RedisValue &v);
Result<QList<RedisValue>> redisArray(const RedisValue &v);

} // namespace qpush::store
