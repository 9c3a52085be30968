// The client edge's one mapping (push/clientreply.h): a domain error kind
// becomes the {status, msg} reply of a client event, with the statuses the
// clients of the Node.js original compare.
#include "push/clientreply.h"
#include "push/json.h"

#include <QJsonArray>
#include <QTest>

using namespace qpush::push;

class TestClientReply : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ok();
    void kinds_data();
    void kinds();
    void sync();
};

void TestClientReply::ok()
{
    const QJsonObject reply = okReply();
    QCOMPARE(reply.value(QStringLiteral("status")).toInt(), 200);
    QCOMPARE(reply.value(QStringLiteral("msg")).toString(), QStringLiteral("ok"));
    QCOMPARE(reply.size(), 2);
}

void TestClientReply::kinds_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("status");
    QTest::newRow("invalid") << int(DomainError::Invalid) << 400;
    QTest::newRow("unauthorized") << int(DomainError::Unauthorized) << 401;
    QTest::newRow("forbidden") << int(DomainError::Forbidden) << 403;
    QTest::newRow("not found") << int(DomainError::NotFound) << 404;
    QTest::newRow("conflict") << int(DomainError::Conflict) << 409;
    QTest::newRow("too large") << int(DomainError::TooLarge) << 413;
    QTest::newRow("rate limited") << int(DomainError::RateLimited) << 429;
    QTest::newRow("unavailable") << int(DomainError::Unavailable) << 503;
    QTest::newRow("internal") << int(DomainError::Internal) << 500;
}

void TestClientReply::kinds()
{
    QFETCH(int, kind);
    QFETCH(int, status);
    const QString message = QStringLiteral("why: ") + QString::number(kind);
    const QJsonObject reply = clientReply(DomainError::Kind(kind), message);
    QCOMPARE(reply.value(QStringLiteral("status")).toInt(), status);
    QCOMPARE(reply.value(QStringLiteral("msg")).toString(), message);
    QCOMPARE(reply.size(), 2);
}

void TestClientReply::sync()
{
    // The pipeline's data becomes {status, msg, serverNum, msgList}; no
    // pushes: an empty msgList, never a missing one.
    qpush::store::SyncResult result;
    result.serverNum = 7;
    QJsonObject reply = syncReply(result);
    QCOMPARE(reply, (QJsonObject{{QStringLiteral("status"), 200},
                                 {QStringLiteral("msg"), QStringLiteral("ok")},
                                 {QStringLiteral("serverNum"), 7},
                                 {QStringLiteral("msgList"), QJsonArray()}}));

    qpush::store::PushMessage m;
    m.id = 41;
    m.nsp = QStringLiteral("/demo");
    m.room = QStringLiteral("r");
    m.pushData = R"({"a":1})";
    m.serverNum = 6;
    result.messages = {m};
    reply = syncReply(result);
    QCOMPARE(reply.value(QStringLiteral("serverNum")).toInt(), 7);
    QCOMPARE(reply.value(QStringLiteral("msgList")).toArray(), QJsonArray{messageToJson(m)});
    QCOMPARE(reply.size(), 4);
}

QTEST_GUILESS_MAIN(TestClientReply)
#include "tst_clientreply.moc"
