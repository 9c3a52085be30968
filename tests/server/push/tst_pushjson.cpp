// The REST field parsers of the domain (push/json.h): partial namespace saves
// and client patches; rows for the inputs in tests/fuzz/regressions/rest/.
#include "push/json.h"
#include "push/requests.h"

#include <QJsonDocument>
#include <QTest>

using namespace qpush;

class TestPushJson : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void apnsExpiration_data();
    void apnsExpiration();
    void clientPatch_data();
    void clientPatch();
};

void TestPushJson::apnsExpiration_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("expected");

    QTest::newRow("number") << QByteArray("3600") << true << qint64(3600);
    QTest::newRow("fraction") << QByteArray("3600.9") << true << qint64(3600);
    QTest::newRow("negative") << QByteArray("-5") << true << qint64(-5);
    QTest::newRow("string") << QByteArray("\"7200\"") << true << qint64(7200);
    QTest::newRow("null keeps") << QByteArray("null") << true << qint64(0);
    QTest::newRow("2^53") << QByteArray("9007199254740992") << true << qint64(9007199254740992);
    QTest::newRow("bool") << QByteArray("true") << false << qint64(0);
    // tests/fuzz/regressions/rest/: out of qint64's range the conversion was undefined.
    QTest::newRow("1e300") << QByteArray("1e300") << false << qint64(0);
    QTest::newRow("-1e300") << QByteArray("-1e300") << false << qint64(0);
    QTest::newRow("2^63") << QByteArray("9223372036854775808") << false << qint64(0);
}

void TestPushJson::apnsExpiration()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, ok);
    QFETCH(qint64, expected);

    const QByteArray body = R"({"apns_list":[{"name":"app","apns_expiration":)" + value + "}]}";
    const QJsonObject fields = QJsonDocument::fromJson(body).object();
    QVERIFY(!fields.isEmpty());
    store::NamespaceRecord ns;
    ns.key = QStringLiteral("/demo");
    const auto error = push::mergeNamespace(ns, fields, 32);
    QCOMPARE(!error.has_value(), ok);
    if (!ok) {
        QVERIFY(error->contains(QLatin1String("apns_expiration")));
        return;
    }
    QCOMPARE(ns.apnsList.size(), 1);
    QCOMPARE(ns.apnsList.first().apnsExpiration, expected);
}

void TestPushJson::clientPatch_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<bool>("writes");

    QTest::newRow("empty") << QByteArray("{}") << true << false;
    QTest::newRow("all")
        << QByteArray(R"({"device_token":"t","mobile":"m","system":"s","leaveMessage":false})")
        << true << true;
    QTest::newRow("number token") << QByteArray(R"({"device_token":1})") << false << false;
    QTest::newRow("string leaveMessage")
        << QByteArray(R"({"leaveMessage":"no"})") << false << false;
}

void TestPushJson::clientPatch()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    QFETCH(bool, writes);

    store::ClientPatch patch;
    bool wrote = false;
    const auto error =
        push::parseClientPatch(QJsonDocument::fromJson(body).object(), patch, &wrote, 512);
    QCOMPARE(!error.has_value(), ok);
    if (ok)
        QCOMPARE(wrote, writes);
}

QTEST_GUILESS_MAIN(TestPushJson)
#include "tst_pushjson.moc"
