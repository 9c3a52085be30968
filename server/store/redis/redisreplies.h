#pragma once
// Internal to the Redis backend: turning replies into store values, with
// ErrorCode::Corrupt for anything of the wrong shape.

#include "../codec.h"
#include "redisclient.h"
#include "redisvalue.h"

#include <QHash>

namespace qpush::store::redis {

using Hash = QHash<QByteArray, QByteArray>;

inline Result<Hash> toHash(const RedisValue &v)
{
    if (v.isError())
        return v.toError();
    if (v.isNil())
        return Hash();
    if (!v.isArray() || v.elements().size() % 2 != 0)
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected a hash reply")};
    Hash h;
    const auto &e = v.elements();
    for (qsizetype i = 0; i + 1 < e.size(); i += 2)
        h.insert(e[i].bytes(), e[i + 1].bytes());
    return h;
}

inline qint64 num(const Hash &h, const char *field)
{
    return h.value(QByteArray(field)).toLongLong();
}

inline QString str(const Hash &h, const char *field)
{
    return QString::fromUtf8(h.value(QByteArray(field)));
}

inline PushMessage messageFromHash(const Hash &h)
{
    PushMessage m;
    m.id = num(h, "id");
    m.nsp = str(h, "nsp");
    m.room = str(h, "room");
    m.pushData = h.value(QByteArrayLiteral("data"));
    m.sendDate = num(h, "sd");
    m.serverNum = num(h, "sn");
    m.leaveMessage = num(h, "lm") != 0;
    m.apnsName = str(h, "an");
    m.extra = str(h, "ex");
    m.exceptClient = str(h, "exc");
    m.expireAt = num(h, "exp");
    return m;
}

inline Result<PushReport> reportFromHash(const Hash &h)
{
    if (!h.contains(QByteArrayLiteral("id")) || !h.contains(QByteArrayLiteral("room")))
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: stored message lacks fields")};
    PushReport r;
    r.message = messageFromHash(h);
    r.onlineClientCount = num(h, "oc");
    r.ackCount = num(h, "ac");
    r.ackIOSCount = num(h, "ai");
    r.ackAndroidCount = num(h, "aa");
    r.ackWebCount = num(h, "aw");
    r.apnsCount = num(h, "pc");
    r.apnsSuccessCount = num(h, "ps");
    r.apnsEnv = str(h, "pe");
    r.result = str(h, "res");
    return r;
}

inline Result<ClientInfo> clientFromHash(const QString &clientId, const Hash &h)
{
    auto parts = parseClientId(clientId);
    if (!parts)
        return Error{ErrorCode::Corrupt,
                     QStringLiteral("redis: stored client id is malformed: ") + clientId};
    ClientInfo c;
    c.clientId = clientId;
    c.nsp = parts->nsp;
    c.userid = str(h, "userid");
    c.platform = platformFromName(str(h, "plat")).value_or(parts->platform);
    c.uuid = str(h, "uuid");
    c.firstConnectTime = num(h, "fct");
    c.lastConnectTime = num(h, "lct");
    c.lastDisconnectTime = num(h, "ldt");
    c.updateDate = num(h, "ud");
    c.mobile = str(h, "mob");
    c.system = str(h, "sys");
    c.deviceToken = str(h, "tok");
    c.noSendApns = splitDnd(str(h, "dnd"));
    c.leaveMessage = h.value(QByteArrayLiteral("lm")) != "0";
    return c;
}

inline Result<QList<PushMessage>> messagesFromArray(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    QList<PushMessage> out;
    for (const RedisValue &e : arr.value()) {
        auto h = toHash(e);
        if (!h)
            return h.error();
        out.append(messageFromHash(h.value()));
    }
    return out;
}

inline Result<QStringList> stringList(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    QStringList out;
    for (const RedisValue &e : arr.value()) {
        if (!e.isString())
            return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected strings")};
        out.append(QString::fromUtf8(e.bytes()));
    }
    return out;
}

inline QByteArrayList utf8(const QStringList &l)
{
    QByteArrayList out;
    out.reserve(l.size());
    for (const QString &s : l)
        out.append(s.toUtf8());
    return out;
}

inline Error notFound(const QString &what)
{
    return Error{ErrorCode::NotFound, what};
}

inline Error invalid(const QString &what)
{
    return Error{ErrorCode::Invalid, what};
}

/// A reply handler that turns errors into Error and the rest through `parse`.
template <class T, class Parse> RedisClient::ReplyFn handle(Callback<T> done, Parse parse)
{
    return [done = std::move(done), parse = std::move(parse)](const RedisValue &v) {
        if (!done)
            return;
        if (v.isError()) {
            done(v.toError());
            return;
        }
        done(parse(v));
    };
}

inline QByteArray escapeGlob(const QByteArray &s)
{
    QByteArray out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace qpush::store::redis
