// The push domain in-process (the real Application over the in-memory store
// and a fake clock, tests/support/inprocessserver.h): delivery to a room and
// its `except`, receipts, the Android offline list, sync, and expiry — an
// "hour later" is clock.advance(), not a shortened hour in production code.

#include "support/inprocessserver.h"

#include <QTest>

using namespace qpush::test;

namespace {

constexpr qint64 kHourMs = 3600 * 1000;

QJsonObject obj(const std::optional<QJsonValue> &v)
{
    return v ? v->toObject() : QJsonObject();
}

QByteArray query(const QString &uuid, const QString &userid = {},
                 const QString &platform = QStringLiteral("web"))
{
    QByteArray q = "uuid=" + uuid.toUtf8() + "&platform=" + platform.toUtf8();
    if (!userid.isEmpty())
        q += "&userid=" + userid.toUtf8();
    return q;
}

} // namespace

class TstPushFlow : public QObject
{
    Q_OBJECT

private:
    /// A client of m_nsp, connected, that joined `rooms`.
    std::unique_ptr<PushClient> client(const QString &uuid, const QStringList &rooms = {},
                                       const QString &platform = QStringLiteral("web"),
                                       int eio = 4);
    /// REST push into m_nsp; the reply's JSON object (empty on failure).
    QJsonObject push(QJsonObject fields);
    ApiResponse report(qint64 id, bool detail = false);

    std::unique_ptr<InProcessServer> m_server;
    Credentials m_auth;
    QByteArray m_nsp = "/flow";

private Q_SLOTS:
    void initTestCase();
    void deliveryToRoomMembersOnly();
    void exceptAndApsData();
    void receipts();
    void offlineListForAndroid();
    void syncAfterMissedPushes();
    void expiryWithTheClock();
    void defaultExpireIsPushMessageExpire();
    void offlineEntryExpiresWithItsMessage();
    void storeOutageIsA503();
    void clientPushIntervalByTheClock();
};

void TstPushFlow::initTestCase()
{
    m_server = std::make_unique<InProcessServer>(
        QStringList{QStringLiteral("worker_message_timeout=200"),
                    QStringLiteral("android_unread_message_list_max_limit=3")});
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    m_auth = m_server->createNamespace(QString::fromLatin1(m_nsp));
}

std::unique_ptr<PushClient> TstPushFlow::client(const QString &uuid, const QStringList &rooms,
                                                const QString &platform, int eio)
{
    auto c = std::make_unique<PushClient>(eio);
    if (!c->connect(m_server->socketPort(), m_nsp, query(uuid, {}, platform)))
        return nullptr;
    if (!rooms.isEmpty()) {
        const QJsonObject r = obj(c->request("joinRoom", QJsonArray::fromStringList(rooms)));
        if (r.value(QStringLiteral("status")).toInt() != 200)
            return nullptr;
    }
    return c;
}

QJsonObject TstPushFlow::push(QJsonObject fields)
{
    if (!fields.contains(QStringLiteral("pushData")))
        fields.insert(QStringLiteral("pushData"), QJsonObject{});
    const ApiResponse r = m_server->api("POST", QStringLiteral("/api/auth/push"), m_auth, fields);
    if (r.status != 200)
        qWarning("push: %s", qPrintable(r.describe()));
    return r.status == 200 ? r.object() : QJsonObject();
}

ApiResponse TstPushFlow::report(qint64 id, bool detail)
{
    return m_server->api("GET",
                         QStringLiteral("/api/auth/report/push/%1%2")
                             .arg(id)
                             .arg(detail ? QStringLiteral("?ackDetail=true") : QString()),
                         m_auth);
}

void TstPushFlow::deliveryToRoomMembersOnly()
{
    auto a = client(QStringLiteral("da"), {QStringLiteral("r1")});
    auto b = client(QStringLiteral("db"), {QStringLiteral("r1")}, QStringLiteral("web"), 3);
    auto outsider = client(QStringLiteral("dc"), {QStringLiteral("r2")});
    QVERIFY(a && b && outsider);

    const QJsonObject sent =
        push({{QStringLiteral("room"), QStringLiteral("r1")},
              {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("n"), 1}}}});
    const qint64 id = sent.value(QStringLiteral("id")).toInteger();
    QVERIFY(id > 0);
    QCOMPARE(sent.value(QStringLiteral("expectAckCount")).toInt(), 2);
    for (PushClient *c : {a.get(), b.get()}) {
        const QJsonObject got = obj(c->event("push"));
        QCOMPARE(got.value(QStringLiteral("id")).toInteger(), id);
        QCOMPARE(got.value(QStringLiteral("namespace")).toString(), QStringLiteral("/flow"));
        QCOMPARE(got.value(QStringLiteral("room")).toString(), QStringLiteral("r1"));
        QCOMPARE(got.value(QStringLiteral("pushData")).toObject(),
                 (QJsonObject{{QStringLiteral("n"), 1}}));
        QCOMPARE(got.value(QStringLiteral("serverNum")).toInteger(), 0);
        QVERIFY(got.value(QStringLiteral("sendDate")).isDouble());
    }
    // The outsider's next push is one to its own room: it never got r1's.
    const qint64 marker = push({{QStringLiteral("room"), QStringLiteral("r2")}})
                              .value(QStringLiteral("id"))
                              .toInteger();
    QCOMPARE(obj(outsider->event("push")).value(QStringLiteral("id")).toInteger(), marker);

    const QJsonObject r = report(id).object();
    QCOMPARE(r.value(QStringLiteral("onlineClientCount")).toInt(), 2);
    QCOMPARE(r.value(QStringLiteral("room")).toString(), QStringLiteral("r1"));
}

void TstPushFlow::exceptAndApsData()
{
    auto a = client(QStringLiteral("ea"), {QStringLiteral("ex")});
    auto b = client(QStringLiteral("eb"), {QStringLiteral("ex")});
    QVERIFY(a && b);
    const QJsonObject data{
        {QStringLiteral("t"), QStringLiteral("hi")},
        {QStringLiteral("apsData"),
         QJsonObject{{QStringLiteral("aps"), QJsonObject{{QStringLiteral("alert"), 1}}}}}};
    const qint64 id = push({{QStringLiteral("room"), QStringLiteral("ex")},
                            {QStringLiteral("pushData"), data},
                            {QStringLiteral("except"), a->clientId}})
                          .value(QStringLiteral("id"))
                          .toInteger();
    QVERIFY(id > 0);
    const QJsonObject got = obj(b->event("push"));
    QCOMPARE(got.value(QStringLiteral("id")).toInteger(), id);
    // apsData is for APNs only.
    QCOMPARE(got.value(QStringLiteral("pushData")).toObject(),
             (QJsonObject{{QStringLiteral("t"), QStringLiteral("hi")}}));
    const qint64 marker = push({{QStringLiteral("room"), QStringLiteral("ex")}})
                              .value(QStringLiteral("id"))
                              .toInteger();
    QCOMPARE(obj(a->event("push")).value(QStringLiteral("id")).toInteger(), marker);
    // The report keeps the whole pushData.
    QCOMPARE(report(id).object().value(QStringLiteral("pushData")).toObject(), data);
}

void TstPushFlow::receipts()
{
    auto web = client(QStringLiteral("ra"), {QStringLiteral("rr")});
    auto android = client(QStringLiteral("rb"), {QStringLiteral("rr")}, QStringLiteral("android"));
    auto ios = client(QStringLiteral("rc"), {QStringLiteral("rr")}, QStringLiteral("ios"), 3);
    auto outsider = client(QStringLiteral("rd"), {QStringLiteral("other")});
    QVERIFY(web && android && ios && outsider);
    const qint64 id = push({{QStringLiteral("room"), QStringLiteral("rr")},
                            {QStringLiteral("except"), ios->clientId}})
                          .value(QStringLiteral("id"))
                          .toInteger();
    QVERIFY(web->event("push") && android->event("push"));
    const QJsonObject ack{{QStringLiteral("id"), id}};
    web->emitEvent("ackPush", ack);
    web->emitEvent("ackPush", ack); // counted once
    android->emitEvent("ackPush", ack);
    ios->emitEvent("ackPush", ack);      // the push's except: not a target
    outsider->emitEvent("ackPush", ack); // not in the room
    QTRY_COMPARE_WITH_TIMEOUT(report(id).object().value(QStringLiteral("ackCount")).toInt(), 2,
                              20000);
    // Every receipt has been handled once an ack sent after them all is.
    const qint64 later = push({{QStringLiteral("room"), QStringLiteral("other")}})
                             .value(QStringLiteral("id"))
                             .toInteger();
    QVERIFY(outsider->event("push"));
    outsider->emitEvent("ackPush", QJsonObject{{QStringLiteral("id"), later}});
    QTRY_COMPARE_WITH_TIMEOUT(report(later).object().value(QStringLiteral("ackCount")).toInt(), 1,
                              20000);

    const QJsonObject r = report(id, true).object();
    QCOMPARE(r.value(QStringLiteral("ackCount")).toInt(), 2);
    QCOMPARE(r.value(QStringLiteral("ackAndroidCount")).toInt(), 1);
    QCOMPARE(r.value(QStringLiteral("ackIOSCount")).toInt(), 0);
    QCOMPARE(r.value(QStringLiteral("ackWebDetail")).toArray(), QJsonArray{web->clientId});
    QCOMPARE(r.value(QStringLiteral("ackAndroidDetail")).toArray(), QJsonArray{android->clientId});
    QCOMPARE(r.value(QStringLiteral("ackIOSDetail")).toArray(), QJsonArray{});
    // Without ackDetail, no detail arrays.
    QVERIFY(!report(id).object().contains(QStringLiteral("ackWebDetail")));
    // An unknown id is ignored (no reply, no error, nothing counted).
    web->emitEvent("ackPush", QJsonObject{{QStringLiteral("id"), id + 100000}});
    QCOMPARE(report(id).object().value(QStringLiteral("ackCount")).toInt(), 2);
}

void TstPushFlow::offlineListForAndroid()
{
    const QString uuid = QStringLiteral("off1");
    {
        auto a = client(uuid, {QStringLiteral("ro")}, QStringLiteral("android"));
        QVERIFY(a);
        a->close();
        QVERIFY(a->sio.waitDisconnected());
    }
    // Offline for the server too: the room's report counts it as a member
    // that is not online.
    auto roomCounts = [&] {
        const QJsonObject r =
            m_server->api("GET", QStringLiteral("/api/auth/report/online?room=ro"), m_auth)
                .json.toArray()
                .at(0)
                .toObject();
        return std::make_pair(r.value(QStringLiteral("clientCount")).toInt(-1),
                              r.value(QStringLiteral("totalClientCount")).toInt(-1));
    };
    QTRY_COMPARE_WITH_TIMEOUT(roomCounts(), std::make_pair(0, 1), 20000);
    QList<qint64> ids;
    for (int i = 0; i < 5; ++i) {
        ids << push({{QStringLiteral("room"), QStringLiteral("ro")},
                     {QStringLiteral("leaveMessage"), true},
                     {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("i"), i}}}})
                   .value(QStringLiteral("id"))
                   .toInteger();
    }
    const qint64 notLeft = push({{QStringLiteral("room"), QStringLiteral("ro")}})
                               .value(QStringLiteral("id"))
                               .toInteger();
    QVERIFY(notLeft > 0);
    // The follow-up work is due worker_message_timeout after the push.
    m_server->clock.advance(1000);
    // The offline list is filled by the worker; the client sees it at its next connect.
    std::optional<QJsonValue> offline;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            PushClient again;
            if (!again.connect(m_server->socketPort(), m_nsp,
                               query(uuid, {}, QStringLiteral("android"))))
                return false;
            offline = again.event("offlineMessage", 3000);
            const bool full = offline && offline->toArray().size() == 3;
            again.close();
            (void)again.sio.waitDisconnected();
            return full;
        }(),
        30000);
    // Capped at android_unread_message_list_max_limit: the newest three, ascending.
    const QJsonArray list = offline->toArray();
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("id")).toInteger(), ids[2]);
    QCOMPARE(list.at(2).toObject().value(QStringLiteral("id")).toInteger(), ids[4]);
    QCOMPARE(list.at(2).toObject().value(QStringLiteral("pushData")).toObject(),
             (QJsonObject{{QStringLiteral("i"), 4}}));

    // An ack removes a message from the list.
    auto c = client(uuid, {}, QStringLiteral("android"));
    QVERIFY(c);
    QVERIFY(c->event("offlineMessage"));
    c->emitEvent("ackPush", QJsonObject{{QStringLiteral("id"), ids[3]}});
    QTRY_COMPARE_WITH_TIMEOUT(report(ids[3]).object().value(QStringLiteral("ackCount")).toInt(), 1,
                              20000);
    c->close();
    QVERIFY(c->sio.waitDisconnected());
    auto d = client(uuid, {}, QStringLiteral("android"));
    QVERIFY(d);
    const auto rest = d->event("offlineMessage");
    QVERIFY(rest);
    QCOMPARE(rest->toArray().size(), 2);
    QCOMPARE(rest->toArray().at(1).toObject().value(QStringLiteral("id")).toInteger(), ids[4]);
}

void TstPushFlow::syncAfterMissedPushes()
{
    auto c = client(QStringLiteral("sy"), {QStringLiteral("rs")});
    QVERIFY(c);
    QList<qint64> ids;
    for (int i = 0; i < 3; ++i)
        ids << push({{QStringLiteral("room"), QStringLiteral("rs")}})
                   .value(QStringLiteral("id"))
                   .toInteger();
    const QJsonObject s =
        obj(c->request("sync", QJsonObject{{QStringLiteral("room"), QStringLiteral("rs")},
                                           {QStringLiteral("clientNum"), 1},
                                           {QStringLiteral("fetch"), true}}));
    QCOMPARE(s.value(QStringLiteral("status")).toInt(), 200);
    QCOMPARE(s.value(QStringLiteral("serverNum")).toInt(), 3);
    const QJsonArray list = s.value(QStringLiteral("msgList")).toArray();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("id")).toInteger(), ids[1]);
    QCOMPARE(list.at(1).toObject().value(QStringLiteral("serverNum")).toInt(), 2);
}

void TstPushFlow::expiryWithTheClock()
{
    auto c = client(QStringLiteral("ttl"), {QStringLiteral("rt")});
    QVERIFY(c);
    const qint64 shortId =
        push({{QStringLiteral("room"), QStringLiteral("rt")}, {QStringLiteral("expire"), 1}})
            .value(QStringLiteral("id"))
            .toInteger();
    const qint64 longId =
        push({{QStringLiteral("room"), QStringLiteral("rt")}, {QStringLiteral("expire"), 4}})
            .value(QStringLiteral("id"))
            .toInteger();
    QVERIFY(shortId > 0 && longId > shortId);
    QCOMPARE(report(shortId).status, 200);
    auto syncAll = [&] {
        return obj(c->request("sync", QJsonObject{{QStringLiteral("room"), QStringLiteral("rt")},
                                                  {QStringLiteral("clientNum"), 0},
                                                  {QStringLiteral("fetch"), true}}));
    };
    QCOMPARE(syncAll().value(QStringLiteral("msgList")).toArray().size(), 2);

    m_server->clock.advance(kHourMs - 1000);
    QCOMPARE(report(shortId).status, 200); // not before its hour
    m_server->clock.advance(1000);
    const ApiResponse gone = report(shortId);
    QCOMPARE(gone.status, 404);
    QCOMPARE(gone.object().value(QStringLiteral("code")).toInt(), 404);
    QCOMPARE(report(shortId, true).status, 404);
    QCOMPARE(report(longId).status, 200);
    const QJsonObject after = syncAll();
    QCOMPARE(after.value(QStringLiteral("serverNum")).toInt(), 2); // the counter stays
    const QJsonArray list = after.value(QStringLiteral("msgList")).toArray();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("id")).toInteger(), longId);
    const QJsonArray reports =
        m_server->api("GET", QStringLiteral("/api/auth/report/push?size=500"), m_auth)
            .json.toArray();
    QList<qint64> listed;
    for (const QJsonValue &r : reports)
        listed << r.toObject().value(QStringLiteral("id")).toInteger();
    QVERIFY(!listed.contains(shortId));
    QVERIFY(listed.contains(longId));

    m_server->clock.advance(3 * kHourMs);
    QCOMPARE(report(longId).status, 404);
}

void TstPushFlow::defaultExpireIsPushMessageExpire()
{
    const qint64 id = push({{QStringLiteral("room"), QStringLiteral("rd")}})
                          .value(QStringLiteral("id"))
                          .toInteger();
    QCOMPARE(report(id).status, 200);
    m_server->clock.advance(kHourMs - 1);
    QCOMPARE(report(id).status, 200);
    m_server->clock.advance(1);
    QCOMPARE(report(id).status, 404);
}

void TstPushFlow::offlineEntryExpiresWithItsMessage()
{
    const QString uuid = QStringLiteral("offttl");
    {
        auto a = client(uuid, {QStringLiteral("rx")}, QStringLiteral("android"));
        QVERIFY(a);
        a->close();
        QVERIFY(a->sio.waitDisconnected());
    }
    const qint64 shortId = push({{QStringLiteral("room"), QStringLiteral("rx")},
                                 {QStringLiteral("leaveMessage"), true},
                                 {QStringLiteral("expire"), 1}})
                               .value(QStringLiteral("id"))
                               .toInteger();
    const qint64 longId = push({{QStringLiteral("room"), QStringLiteral("rx")},
                                {QStringLiteral("leaveMessage"), true},
                                {QStringLiteral("expire"), 5}})
                              .value(QStringLiteral("id"))
                              .toInteger();
    m_server->clock.advance(1000);
    // Both entries are listed before the hour ends...
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            PushClient again;
            if (!again.connect(m_server->socketPort(), m_nsp,
                               query(uuid, {}, QStringLiteral("android"))))
                return false;
            const auto offline = again.event("offlineMessage", 3000);
            again.close();
            (void)again.sio.waitDisconnected();
            return offline && offline->toArray().size() == 2;
        }(),
        30000);
    // ...and only the live one after it.
    m_server->clock.advance(kHourMs);
    auto c = client(uuid, {}, QStringLiteral("android"));
    QVERIFY(c);
    const auto offline = c->event("offlineMessage");
    QVERIFY(offline);
    QCOMPARE(offline->toArray().size(), 1);
    QCOMPARE(offline->toArray().at(0).toObject().value(QStringLiteral("id")).toInteger(), longId);
    QVERIFY(shortId < longId);
}

void TstPushFlow::storeOutageIsA503()
{
    m_server->store()->setAvailable(false);
    const ApiResponse r = m_server->api("POST", QStringLiteral("/api/auth/push"), m_auth,
                                        QJsonObject{{QStringLiteral("room"), QStringLiteral("r")},
                                                    {QStringLiteral("pushData"), QJsonObject{}}});
    m_server->store()->setAvailable(true);
    QCOMPARE(r.status, 503);
    QCOMPARE(r.object().value(QStringLiteral("code")).toInt(), 503);
    QVERIFY(!push({{QStringLiteral("room"), QStringLiteral("r")}}).isEmpty());
}

void TstPushFlow::clientPushIntervalByTheClock()
{
    // client_push_interval (1 s): a second client push within it is refused
    // and stores nothing; a second later it is accepted.
    auto sender = client(QStringLiteral("cp"));
    auto listener = client(QStringLiteral("cl"), {QStringLiteral("rp")});
    QVERIFY(sender && listener);
    auto clientPush = [&](int n) {
        return obj(sender->request(
            "push",
            QJsonObject{{QStringLiteral("room"), QStringLiteral("rp")},
                        {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("n"), n}}}}));
    };
    const QJsonObject first = clientPush(1);
    QCOMPARE(first.value(QStringLiteral("status")).toInt(), 200);
    const qint64 id = first.value(QStringLiteral("id")).toInteger();
    QCOMPARE(obj(listener->event("push")).value(QStringLiteral("id")).toInteger(), id);
    m_server->clock.advance(999);
    const QJsonObject refused = clientPush(2);
    QCOMPARE(refused.value(QStringLiteral("status")).toInt(), 429);
    QVERIFY(!refused.value(QStringLiteral("msg")).toString().isEmpty());
    m_server->clock.advance(1);
    const QJsonObject second = clientPush(3);
    QCOMPARE(second.value(QStringLiteral("status")).toInt(), 200);
    // The refused push was never stored nor delivered: the next one is n = 3.
    const QJsonObject got = obj(listener->event("push"));
    QCOMPARE(got.value(QStringLiteral("id")).toInteger(),
             second.value(QStringLiteral("id")).toInteger());
    QCOMPARE(got.value(QStringLiteral("pushData")).toObject(),
             (QJsonObject{{QStringLiteral("n"), 3}}));
    QCOMPARE(got.value(QStringLiteral("serverNum")).toInt(), 1);
}

QTEST_GUILESS_MAIN(TstPushFlow)
#include "tst_pushflow.moc"
