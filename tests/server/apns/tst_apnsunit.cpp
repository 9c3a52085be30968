// Units of the APNs client: the ES256 provider token (JOSE signature checked
// with OpenSSL), its cache and re-sign rules, configuration parsing and
// validation, endpoints, and the mapping of APNs answers.
#include "apns/configuration.h"
#include "apns/jwt.h"
#include "apns/outcome.h"
#include "apns/sender.h"

#include "testpki.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/ec.h>

using namespace qpush::apns;

namespace {

QByteArray fromB64Url(const QByteArray &s)
{
    return QByteArray::fromBase64(s, QByteArray::Base64UrlEncoding);
}

// Verifies a JOSE (R||S) ES256 signature over `input` with `key`.
bool verifyJose(EVP_PKEY *key, const QByteArray &input, const QByteArray &jose)
{
    if (jose.size() != 64)
        return false;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(reinterpret_cast<const unsigned char *>(jose.constData()), 32, nullptr);
    BIGNUM *s =
        BN_bin2bn(reinterpret_cast<const unsigned char *>(jose.constData()) + 32, 32, nullptr);
    ECDSA_SIG_set0(sig, r, s);
    unsigned char *der = nullptr;
    const int derLen = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                    EVP_DigestVerify(ctx, der, size_t(derLen),
                                     reinterpret_cast<const unsigned char *>(input.constData()),
                                     size_t(input.size())) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

Entry tokenEntry(const QByteArray &p8)
{
    Entry e;
    e.name = QStringLiteral("default");
    e.apnsEnv = QStringLiteral("dev");
    e.apnsTopic = QStringLiteral("com.example.app");
    e.tokenKey = QString::fromUtf8(p8);
    e.tokenKeyId = QStringLiteral("ABC123DEFG");
    e.tokenTeamId = QStringLiteral("TEAM123456");
    return e;
}

} // namespace

class TestApnsUnit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_ec = testpki::newKey("EC");
        m_otherEc = testpki::newKey("EC");
        m_p384 = testpki::newKey("EC", "P-384");
        m_rsa = testpki::newKey("RSA");
        QVERIFY(m_ec && m_otherEc && m_p384 && m_rsa);
    }
    void cleanupTestCase()
    {
        EVP_PKEY_free(m_ec);
        EVP_PKEY_free(m_otherEc);
        EVP_PKEY_free(m_p384);
        EVP_PKEY_free(m_rsa);
    }

    void jwtIsJoseES256()
    {
        QString error;
        auto jwt = Jwt::create(testpki::privatePem(m_ec), QStringLiteral("KID1234567"),
                               QStringLiteral("TEAM765432"), &error);
        QVERIFY2(jwt, qPrintable(error));
        const QByteArray token = jwt->sign(1700000000);
        const QList<QByteArray> parts = token.split('.');
        QCOMPARE(parts.size(), 3);
        QVERIFY(!token.contains('=')); // base64url without padding
        const QJsonObject header = QJsonDocument::fromJson(fromB64Url(parts[0])).object();
        QCOMPARE(header.value(QStringLiteral("alg")).toString(), QStringLiteral("ES256"));
        QCOMPARE(header.value(QStringLiteral("kid")).toString(), QStringLiteral("KID1234567"));
        const QJsonObject claims = QJsonDocument::fromJson(fromB64Url(parts[1])).object();
        QCOMPARE(claims.value(QStringLiteral("iss")).toString(), QStringLiteral("TEAM765432"));
        QCOMPARE(claims.value(QStringLiteral("iat")).toInteger(), 1700000000);
        const QByteArray signature = fromB64Url(parts[2]);
        QCOMPARE(signature.size(), 64); // R||S, not DER
        QVERIFY(verifyJose(m_ec, parts[0] + '.' + parts[1], signature));
        QVERIFY(!verifyJose(m_otherEc, parts[0] + '.' + parts[1], signature));
        QVERIFY(!verifyJose(m_ec, parts[0] + '.' + parts[1] + 'x', signature));
    }

    void jwtRefusesOtherKeys()
    {
        QString error;
        QVERIFY(!Jwt::create(testpki::privatePem(m_p384), QStringLiteral("K"), QStringLiteral("T"),
                             &error));
        QVERIFY(error.contains(QStringLiteral("P-256")));
        QVERIFY(!Jwt::create(testpki::privatePem(m_rsa), QStringLiteral("K"), QStringLiteral("T"),
                             &error));
        QVERIFY(!Jwt::create("not a key", QStringLiteral("K"), QStringLiteral("T"), &error));
    }

    void jwtCachedAndResignedAfterWindow()
    {
        QString error;
        auto jwt = Jwt::create(testpki::privatePem(m_ec), QStringLiteral("K"), QStringLiteral("T"),
                               &error);
        QVERIFY(jwt);
        jwt->setRefreshSeconds(1200);
        const QByteArray first = jwt->token(10000);
        QCOMPARE(jwt->signCount(), 1);
        QCOMPARE(jwt->token(10000 + 1199), first); // within the window: the same token
        QCOMPARE(jwt->signCount(), 1);
        const QByteArray second = jwt->token(10000 + 1200);
        QVERIFY(second != first);
        QCOMPARE(jwt->signCount(), 2);
        const QJsonObject claims =
            QJsonDocument::fromJson(fromB64Url(second.split('.')[1])).object();
        QCOMPARE(claims.value(QStringLiteral("iat")).toInteger(), 11200);

        // A rejected token is re-signed once, however many streams report it.
        QVERIFY(jwt->renewAfterRejection(second, 11300));
        QCOMPARE(jwt->signCount(), 3);
        const QByteArray third = jwt->token(11300);
        QVERIFY(third != second);
        QVERIFY(jwt->renewAfterRejection(second, 11301)); // stale rejection: no new signing
        QCOMPARE(jwt->signCount(), 3);
        QCOMPARE(jwt->token(11301), third);
        // A rejection of the renewed token within a minute: no new signing
        // (a wrong key would otherwise be re-signed for every notification).
        QVERIFY(!jwt->renewAfterRejection(third, 11320));
        QCOMPARE(jwt->signCount(), 3);
        QVERIFY(jwt->renewAfterRejection(third, 11360));
        QCOMPARE(jwt->signCount(), 4);
    }

    void configurationToken()
    {
        QString error;
        const auto c = Configuration::fromEntry(tokenEntry(testpki::privatePem(m_ec)),
                                                QDateTime::currentDateTimeUtc(), &error);
        QVERIFY2(c, qPrintable(error));
        QVERIFY(c->usesToken());
        QCOMPARE(c->environmentName(), QStringLiteral("dev"));
        QCOMPARE(c->keyId, QStringLiteral("ABC123DEFG"));
        QCOMPARE(c->topic, QStringLiteral("com.example.app"));
    }

    void configurationErrors_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bad env") << "apns_env"
                                 << "staging"
                                 << "neither dev nor production";
        QTest::newRow("no key id") << "token_keyId"
                                   << ""
                                   << "token_keyId is empty";
        QTest::newRow("no team id") << "token_teamId"
                                    << " "
                                    << "token_teamId is empty";
        QTest::newRow("no topic") << "apns_topic"
                                  << ""
                                  << "apns_topic is empty";
        QTest::newRow("garbage key") << "token_key"
                                     << "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                     << "not a readable private key";
        QTest::newRow("missing file") << "token_key"
                                      << "/nonexistent/AuthKey.p8"
                                      << "neither PEM text nor a readable file";
        QTest::newRow("rsa key") << "token_key"
                                 << "@rsa"
                                 << "not an ES256";
        QTest::newRow("p384 key") << "token_key"
                                  << "@p384"
                                  << "not an ES256";
    }
    void configurationErrors()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        Entry e = tokenEntry(testpki::privatePem(m_ec));
        if (value == u"@rsa")
            value = QString::fromUtf8(testpki::privatePem(m_rsa));
        if (value == u"@p384")
            value = QString::fromUtf8(testpki::privatePem(m_p384));
        if (field == u"apns_env")
            e.apnsEnv = value;
        else if (field == u"token_keyId")
            e.tokenKeyId = value;
        else if (field == u"token_teamId")
            e.tokenTeamId = value;
        else if (field == u"apns_topic")
            e.apnsTopic = value;
        else
            e.tokenKey = value;
        QString error;
        QVERIFY(!Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(error.startsWith(QStringLiteral("APNs entry 'default': ")), qPrintable(error));
    }

    void configurationKeyFromFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("AuthKey.p8"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(testpki::privatePem(m_ec));
        f.close();
        Entry e = tokenEntry({});
        e.tokenKey = path;
        QString error;
        QVERIFY2(Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error),
                 qPrintable(error));
    }

    void configurationCertificate_data()
    {
        QTest::addColumn<QString>("env");
        QTest::addColumn<long>("fromDays");
        QTest::addColumn<long>("toDays");
        QTest::addColumn<bool>("matchingKey");
        QTest::addColumn<QString>("expected"); // empty: valid
        QTest::newRow("dev ok") << "dev" << -1L << 30L << true << "";
        QTest::newRow("production ok") << "production" << -1L << 30L << true << "";
        QTest::newRow("expired") << "dev" << -30L << -1L << true << "certificate expired on ";
        QTest::newRow("not yet valid") << "dev" << 2L << 30L << true << "not valid before";
        QTest::newRow("mismatch") << "production" << -1L << 30L << false
                                  << "apns_production_cert and apns_production_key do not match";
    }
    void configurationCertificate()
    {
        QFETCH(QString, env);
        QFETCH(long, fromDays);
        QFETCH(long, toDays);
        QFETCH(bool, matchingKey);
        QFETCH(QString, expected);
        const QString cert = QString::fromUtf8(testpki::selfSigned(m_rsa, fromDays, toDays));
        const QString key = QString::fromUtf8(testpki::privatePem(matchingKey ? m_rsa : m_ec));
        Entry e;
        e.name = QStringLiteral("cert");
        e.apnsEnv = env;
        e.apnsTopic = QStringLiteral("com.example.app");
        // The other environment's fields hold garbage: only env's pair counts.
        if (env == u"dev") {
            e.apnsDevCert = cert;
            e.apnsDevKey = key;
            e.apnsProductionCert = QStringLiteral("-----BEGIN CERTIFICATE-----\nxx\n");
        } else {
            e.apnsProductionCert = cert;
            e.apnsProductionKey = key;
        }
        QString error;
        const auto c = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error);
        if (expected.isEmpty()) {
            QVERIFY2(c, qPrintable(error));
            QVERIFY(!c->usesToken());
            QCOMPARE(c->environmentName(), env);
            QVERIFY(!c->certificate.isNull());
            QVERIFY(!c->privateKey.isNull());
        } else {
            QVERIFY(!c);
            QVERIFY2(error.contains(expected), qPrintable(error));
        }
    }

    void configurationWithoutCredentials()
    {
        Entry e;
        e.name = QStringLiteral("empty");
        QString error;
        QVERIFY(!Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error));
        QCOMPARE(error, QStringLiteral("APNs entry 'empty': neither token_key nor "
                                       "apns_dev_cert/apns_dev_key is set"));
    }

    void fingerprintFollowsChanges()
    {
        QString error;
        Entry e = tokenEntry(testpki::privatePem(m_ec));
        const auto a = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error);
        const auto b = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error);
        e.tokenTeamId = QStringLiteral("OTHERTEAM1");
        const auto c = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error);
        QVERIFY(a && b && c);
        QCOMPARE(a->fingerprint(), b->fingerprint());
        QVERIFY(a->fingerprint() != c->fingerprint());
    }

    void endpoint_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port"); // 0: invalid
        QTest::newRow("host") << "api.push.apple.com"
                              << "api.push.apple.com" << 443;
        QTest::newRow("host:port") << "127.0.0.1:2197"
                                   << "127.0.0.1" << 2197;
        QTest::newRow("url") << "https://localhost:8443"
                             << "localhost" << 8443;
        QTest::newRow("http") << "http://localhost:80"
                              << "" << 0;
        QTest::newRow("path") << "https://h/x"
                              << "" << 0;
        QTest::newRow("empty") << ""
                               << "" << 0;
    }
    void endpoint()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        QFETCH(int, port);
        const auto e = Endpoint::parse(text);
        QCOMPARE(bool(e), port != 0);
        if (e) {
            QCOMPARE(e->host, host);
            QCOMPARE(int(e->port), port);
        }
    }

    void classify_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("verdict");
        QTest::addColumn<bool>("success");
        QTest::addColumn<bool>("clearToken");
        QTest::addColumn<QString>("reason");
        const int F = int(Verdict::Final), R = int(Verdict::Retry),
                  S = int(Verdict::ResignAndRetry);
        QTest::newRow("200") << 200 << QByteArray() << F << true << false << "Sent";
        QTest::newRow("410") << 410 << QByteArray(R"({"reason":"Unregistered","timestamp":1})") << F
                             << false << true << "Unregistered";
        QTest::newRow("410 no body") << 410 << QByteArray() << F << false << true << "HTTP 410";
        QTest::newRow("bad token") << 400 << QByteArray(R"({"reason":"BadDeviceToken"})") << F
                                   << false << true << "BadDeviceToken";
        QTest::newRow("not for topic")
            << 400 << QByteArray(R"({"reason":"DeviceTokenNotForTopic"})") << F << false << true
            << "DeviceTokenNotForTopic";
        QTest::newRow("payload") << 413 << QByteArray(R"({"reason":"PayloadTooLarge"})") << F
                                 << false << false << "PayloadTooLarge";
        QTest::newRow("expired jwt") << 403 << QByteArray(R"({"reason":"ExpiredProviderToken"})")
                                     << S << false << false << "ExpiredProviderToken";
        QTest::newRow("invalid jwt") << 403 << QByteArray(R"({"reason":"InvalidProviderToken"})")
                                     << S << false << false << "InvalidProviderToken";
        QTest::newRow("bad cert") << 403 << QByteArray(R"({"reason":"BadCertificate"})") << F
                                  << false << false << "BadCertificate";
        QTest::newRow("429") << 429 << QByteArray(R"({"reason":"TooManyRequests"})") << R << false
                             << false << "TooManyRequests";
        QTest::newRow("500") << 500 << QByteArray(R"({"reason":"InternalServerError"})") << R
                             << false << false << "InternalServerError";
        QTest::newRow("503 garbage")
            << 503 << QByteArray("<html>") << R << false << false << "HTTP 503";
    }
    void classify()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(int, verdict);
        QFETCH(bool, success);
        QFETCH(bool, clearToken);
        QFETCH(QString, reason);
        const Classified c = classifyResponse(status, body);
        QCOMPARE(int(c.verdict), verdict);
        QCOMPARE(c.outcome.success, success);
        QCOMPARE(c.outcome.clearToken, clearToken);
        QCOMPARE(c.outcome.reason, reason);
        QCOMPARE(c.outcome.status, status);
    }

    void failureLabels()
    {
        QCOMPARE(failureLabel(Outcome{false, true, QStringLiteral("Unregistered"), 410}),
                 QStringLiteral("Unregistered"));
        QCOMPARE(failureLabel(Outcome{false, false, QStringLiteral("no answer from APNs"), 0}),
                 QStringLiteral("Timeout"));
        QCOMPARE(failureLabel(Outcome{false, false, QStringLiteral("TLS handshake ..."), 0}),
                 QStringLiteral("TlsHandshake"));
        QCOMPARE(failureLabel(Outcome{false, false, QStringLiteral("x\"y"), 400}),
                 QStringLiteral("xy"));
    }

private:
    EVP_PKEY *m_ec = nullptr;
    EVP_PKEY *m_otherEc = nullptr;
    EVP_PKEY *m_p384 = nullptr;
    EVP_PKEY *m_rsa = nullptr;
};

QTEST_GUILESS_MAIN(TestApnsUnit)
#include "tst_apnsunit.moc"
