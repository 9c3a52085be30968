// RedisSubscriber against real redis-server processes on free loopback
// ports: messages of subscribed channels only, UNSUBSCRIBE, AUTH, and
// RESUBSCRIBE after Redis restarted; on a 3-master Redis Cluster a
// subscriber on one node receives a PUBLISH sent to another.

#include "store/redis/redissubscriber.h"
#include "support/redisfixture.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace qpush::store;
using namespace qpush::test;

class TestRedisSubscriber : public QObject
{
    Q_OBJECT
private:
    // PUBLISH through redis-cli; returns Redis's receiver count (-1: failed).
    static int publish(quint16 port, const QString &channel, const QString &payload,
                       const QStringList &auth = {})
    {
        const QString out =
            redisCli(port, auth + QStringList{QStringLiteral("PUBLISH"), channel, payload});
        bool ok = false;
        const int n = out.toInt(&ok);
        return ok ? n : -1;
    }
    static RedisSubscriberOptions options(const QStringList &addresses)
    {
        RedisSubscriberOptions o;
        o.addresses = addresses;
        o.reconnectMinMs = 50;
        o.reconnectMaxMs = 500;
        o.pingIntervalMs = 1000;
        return o;
    }

private Q_SLOTS:
    void messagesOfSubscribedChannels()
    {
        QTemporaryDir dir;
        RedisServer redis(dir.path(), false);
        QVERIFY2(redis.start(), qPrintable(redis.error()));
        RedisSubscriber sub(options({redis.address()}));
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        sub.subscribe("t:a");
        sub.subscribe("t:b");
        sub.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 10000);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:a"), QStringLiteral("one")), 1);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:other"), QStringLiteral("x")), 0);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:b"), QStringLiteral("two")), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 2, 10000);
        QCOMPARE(messages.at(0).at(0).toByteArray(), QByteArray("t:a"));
        QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("one"));
        QCOMPARE(messages.at(1).at(0).toByteArray(), QByteArray("t:b"));
        QCOMPARE(messages.at(1).at(1).toByteArray(), QByteArray("two"));

        // Binary payloads arrive byte for byte (a large one too).
        QByteArray big(200000, 'x');
        big[0] = '\0';
        big[1] = '\r';
        big[2] = '\n';
        QProcess cli;
        cli.start(QStringLiteral("redis-cli"),
                  {QStringLiteral("-p"), QString::number(redis.port()), QStringLiteral("-x"),
                   QStringLiteral("PUBLISH"), QStringLiteral("t:a")});
        QVERIFY(cli.waitForStarted());
        cli.write(big);
        cli.closeWriteChannel();
        QVERIFY(cli.waitForFinished(10000));
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 3, 10000);
        QCOMPARE(messages.at(2).at(1).toByteArray(), big);

        sub.unsubscribe("t:a");
        QTRY_COMPARE_WITH_TIMEOUT(
            publish(redis.port(), QStringLiteral("t:a"), QStringLiteral("gone")), 0, 10000);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:b"), QStringLiteral("three")), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 4, 10000);
        QCOMPARE(messages.at(3).at(1).toByteArray(), QByteArray("three"));
    }

    void resubscribesAfterRedisRestart()
    {
        QTemporaryDir dir;
        RedisServer redis(dir.path(), false);
        QVERIFY2(redis.start(), qPrintable(redis.error()));
        RedisSubscriber sub(options({redis.address()}));
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        QSignalSpy ready(&sub, &RedisSubscriber::readyChanged);
        sub.subscribe("t:r");
        sub.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 10000);

        redis.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!sub.isReady(), 10000);
        QVERIFY2(redis.start(), qPrintable(redis.error())); // same port
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 15000);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:r"), QStringLiteral("back")), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 1, 10000);
        QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("back"));
        QVERIFY(ready.size() >= 3); // up, down, up
    }

    void hungServerIsDropped()
    {
        QTemporaryDir dir;
        RedisServer redis(dir.path(), false);
        QVERIFY2(redis.start(), qPrintable(redis.error()));
        RedisSubscriber sub(options({redis.address()}));
        sub.subscribe("t:h");
        sub.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 10000);
        ::kill(pid_t(redis.pid()), SIGSTOP);
        QTRY_VERIFY_WITH_TIMEOUT(!sub.isReady(), 15000); // unanswered PING
        ::kill(pid_t(redis.pid()), SIGCONT);
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 15000);
    }

    void authenticates()
    {
        QTemporaryDir dir;
        RedisServer redis(dir.path(), false);
        redis.setExtraArgs({QStringLiteral("--requirepass"), QStringLiteral("s3cret")});
        QVERIFY2(redis.start(), qPrintable(redis.error()));
        const QStringList auth{QStringLiteral("-a"), QStringLiteral("s3cret"),
                               QStringLiteral("--no-auth-warning")};

        RedisSubscriberOptions wrong = options({redis.address()});
        wrong.password = QStringLiteral("nope");
        RedisSubscriber refused(wrong);
        refused.subscribe("t:p");
        refused.start();

        RedisSubscriberOptions o = options({redis.address()});
        o.password = QStringLiteral("s3cret");
        RedisSubscriber sub(o);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        sub.subscribe("t:p");
        sub.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 10000);
        QCOMPARE(publish(redis.port(), QStringLiteral("t:p"), QStringLiteral("hi"), auth), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 1, 10000);
        QVERIFY(!refused.isReady());
    }

    void clusterPublishOnAnotherNode()
    {
        RedisCluster cluster;
        QVERIFY2(cluster.start(), qPrintable(cluster.error()));
        RedisSubscriber sub(options({cluster.node(0).address()}));
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        sub.subscribe("t:c");
        sub.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.isReady(), 10000);
        QVERIFY(publish(cluster.node(2).port(), QStringLiteral("t:c"), QStringLiteral("far")) >= 0);
        QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 1, 10000);
        QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("far"));
    }
};

QTEST_GUILESS_MAIN(TestRedisSubscriber)
#include "tst_redissubscriber.moc"
