// APNs credential import in the console: .p12 made by the openssl CLI
// (right and wrong password, expired certificate), PEM pairs, .p8 keys;
// and the push composer's payload validation.
#include "apitypes.h"
#include "apnscredentials.h"
#include "opensslfiles.h"
#include "pushpayload.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace qpush::admin;
using namespace qpush::test;

class TestApnsCredentials : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void p12RightPassword()
    {
        const auto files = makePushCertificate(m_dir.path(), QStringLiteral("com.example.app"),
                                               QStringLiteral("p4ss word"));
        QVERIFY(files.ok);
        const Pkcs12Bundle b = convertPkcs12(readAll(files.p12), QStringLiteral("p4ss word"));
        QVERIFY2(b.ok(), qPrintable(b.error));
        QVERIFY(b.certificatePem.startsWith("-----BEGIN CERTIFICATE-----"));
        QVERIFY(b.privateKeyPem.contains("PRIVATE KEY-----"));
        QVERIFY(!b.privateKeyPem.contains("ENCRYPTED"));
        QCOMPARE(b.info.topic, QStringLiteral("com.example.app"));
        QCOMPARE(b.info.subject, QStringLiteral("Apple Push Services: com.example.app"));
        QVERIFY(!b.info.expired);
        const qint64 days = QDateTime::currentDateTimeUtc().daysTo(b.info.expiry);
        QVERIFY2(days >= 363 && days <= 366, qPrintable(QString::number(days)));
        // The converted pair is the same certificate and key.
        QCOMPARE(checkKeyPair(b.certificatePem, b.privateKeyPem), QString());
        QCOMPARE(describeCertificate(b.certificatePem).topic, QStringLiteral("com.example.app"));
    }

    void p12WrongPassword()
    {
        const auto files = makePushCertificate(m_dir.path(), QStringLiteral("com.example.wrong"),
                                               QStringLiteral("right"));
        QVERIFY(files.ok);
        const Pkcs12Bundle b = convertPkcs12(readAll(files.p12), QStringLiteral("wrong"));
        QVERIFY(!b.ok());
        QVERIFY(b.wrongPassword);
        QCOMPARE(b.error, QStringLiteral("wrong password for this .p12 file"));
        QVERIFY(b.certificatePem.isEmpty());
        QVERIFY(b.privateKeyPem.isEmpty());
    }

    void p12Expired()
    {
        const auto files = makePushCertificate(m_dir.path(), QStringLiteral("com.example.old"),
                                               QStringLiteral("x"), true);
        QVERIFY(files.ok);
        const Pkcs12Bundle b = convertPkcs12(readAll(files.p12), QStringLiteral("x"));
        QVERIFY(!b.ok());
        QVERIFY(!b.wrongPassword);
        QVERIFY(b.info.expired);
        QVERIFY2(b.error.startsWith(QStringLiteral("the certificate expired on ")),
                 qPrintable(b.error));
        QCOMPARE(b.info.expiry.date(), QDate(2020, 2, 1));
        QCOMPARE(b.info.topic, QStringLiteral("com.example.old"));
        // Still converted: the user sees what it is.
        QVERIFY(!b.certificatePem.isEmpty());
    }

    void notAP12()
    {
        const Pkcs12Bundle b = convertPkcs12("-----BEGIN CERTIFICATE-----\n", {});
        QVERIFY(!b.ok());
        QVERIFY(!b.wrongPassword);
        QCOMPARE(b.error, QStringLiteral("the file is not a PKCS#12 (.p12) bundle"));
    }

    void pemPairMismatch()
    {
        const auto a =
            makePushCertificate(m_dir.path(), QStringLiteral("com.example.a"), QStringLiteral("a"));
        const auto b =
            makePushCertificate(m_dir.path(), QStringLiteral("com.example.b"), QStringLiteral("b"));
        QVERIFY(a.ok && b.ok);
        QCOMPARE(checkKeyPair(readAll(a.certPem), readAll(a.keyPem)), QString());
        QCOMPARE(checkKeyPair(readAll(a.certPem), readAll(b.keyPem)),
                 QStringLiteral("the private key does not belong to the certificate"));
        QCOMPARE(checkKeyPair("nope", readAll(a.keyPem)), QStringLiteral("not a PEM certificate"));
        QCOMPARE(describeCertificate("nope").error, QStringLiteral("not a PEM certificate"));
    }

    void tokenKey()
    {
        const QString path = makeTokenKey(m_dir.path(), QStringLiteral("ABC123DEFG"));
        QVERIFY(!path.isEmpty());
        const TokenKey k = readTokenKey(readAll(path), path);
        QVERIFY2(k.ok(), qPrintable(k.error));
        QCOMPARE(k.keyIdFromFileName, QStringLiteral("ABC123DEFG"));
        QVERIFY(k.pem.startsWith("-----BEGIN PRIVATE KEY-----"));

        const auto rsa = makePushCertificate(m_dir.path(), QStringLiteral("com.example.rsa"),
                                             QStringLiteral("r"));
        QVERIFY(rsa.ok);
        QCOMPARE(readTokenKey(readAll(rsa.keyPem), rsa.keyPem).error,
                 QStringLiteral("not an APNs token key (APNs needs an EC P-256 key)"));
        QVERIFY(readTokenKey("garbage", QStringLiteral("x.p8"))
                    .error.startsWith(QStringLiteral("not a PEM private key")));
    }

    // A saved entry as an older server returns it (secrets included): the
    // summary comes from the PEM, the secrets are not sent back on save.
    void apnsEntryFromOldServer()
    {
        const auto files = makePushCertificate(m_dir.path(), QStringLiteral("com.example.json"),
                                               QStringLiteral("j"));
        QVERIFY(files.ok);
        const QJsonObject o{
            {QStringLiteral("name"), QStringLiteral("main")},
            {QStringLiteral("apns_env"), QStringLiteral("dev")},
            {QStringLiteral("apns_topic"), QStringLiteral("com.example.json")},
            {QStringLiteral("apns_dev_cert"), QString::fromUtf8(readAll(files.certPem))},
            {QStringLiteral("apns_dev_key"), QString::fromUtf8(readAll(files.keyPem))},
            {QStringLiteral("token_key"), QString()}};
        const ApnsEntry e = ApnsEntry::fromJson(o);
        QVERIFY(e.devCertInfo.present);
        QCOMPARE(e.devCertInfo.topic, QStringLiteral("com.example.json"));
        QVERIFY(e.devCertInfo.expiryMs > QDateTime::currentMSecsSinceEpoch());
        QVERIFY(!e.productionCertInfo.present);
        QVERIFY(!e.hasTokenKey);
        const QJsonObject save = e.toSaveJson();
        QVERIFY(!save.contains(QStringLiteral("apns_dev_cert")));
        QVERIFY(!save.contains(QStringLiteral("apns_dev_key")));
        QVERIFY(!save.contains(QStringLiteral("token_key")));
        QCOMPARE(save.value(QStringLiteral("apns_env")).toString(), QStringLiteral("dev"));
    }

    // A saved entry as a write-only server returns it (SPEC §10).
    void apnsEntryFromWriteOnlyServer()
    {
        const QJsonObject o = QJsonDocument::fromJson(R"({"name":"t","apns_env":"production",
            "apns_topic":"com.x","has_token_key":true,"token_keyId":"K1","token_teamId":"T1",
            "apns_production_cert_subject":"Apple Push Services: com.x",
            "apns_production_cert_topic":"com.x","apns_production_cert_expiry":1893456000000})")
                                  .object();
        const ApnsEntry e = ApnsEntry::fromJson(o);
        QVERIFY(e.hasTokenKey);
        QVERIFY(!e.tokenKey.has_value());
        QVERIFY(e.productionCertInfo.present);
        QCOMPARE(e.productionCertInfo.expiryMs, qint64(1893456000000));
        QVERIFY(e.credentialSummary().contains(QStringLiteral("token key K1, team T1")));
        QVERIFY(e.credentialSummary().contains(QStringLiteral("Apple Push Services: com.x")));

        const QJsonObject ns = QJsonDocument::fromJson(
                                   R"({"key":"/a","name":"A","offline":"on","has_auth_passwd":true,
                                       "has_callback_auth":false,"apns_list":[]})")
                                   .object();
        const NamespaceInfo n = NamespaceInfo::fromJson(ns);
        QVERIFY(n.hasAuthPasswd);
        QVERIFY(!n.authPasswd.has_value());
        QVERIFY(!n.hasCallbackAuth);
        QVERIFY(n.offline);
    }

    void payload_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::newRow("object") << QStringLiteral("{\"title\": \"hi\"}") << true << 0 << 0;
        QTest::newRow("empty") << QStringLiteral("  ") << false << 0 << 0;
        QTest::newRow("array") << QStringLiteral("[1]") << false << 0 << 0;
        QTest::newRow("string") << QStringLiteral("\"x\"") << false << -1 << 0;
        QTest::newRow("missing comma line 2")
            << QStringLiteral("{\"a\": 1\n \"b\": 2}") << false << 2 << 2;
        QTest::newRow("unicode before error") << QStringLiteral("{\"é\": 1,,}") << false << 1 << 9;
    }

    void payload()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(int, line);
        QFETCH(int, column);
        const PayloadCheck c = checkPushPayload(text);
        QCOMPARE(c.ok(), ok);
        if (!ok)
            QVERIFY(!c.message().isEmpty());
        if (line >= 0)
            QCOMPARE(c.line, line);
        if (line > 0) {
            QCOMPARE(c.column, column);
            QVERIFY(c.message().startsWith(
                QStringLiteral("line %1, column %2: ").arg(line).arg(column)));
        }
    }
};

QTEST_GUILESS_MAIN(TestApnsCredentials)
#include "tst_apnscredentials.moc"
