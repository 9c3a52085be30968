// RedisPresence against real redis-server processes (one, and a 3-master
// Redis Cluster): two presences stand for two nodes. Counts asked on one
// node include the other's clients (room, except, users, platforms,
// namespace lists); a reconnect through another node or on the same node is
// not undone by the old connection's goodbye; a node that stops its
// heartbeat loses its clients within the bound; a clean shutdown removes
// them at once.

#include "cluster/redispresence.h"
#include "push/namespaceregistry.h"
#include "support/redisfixture.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace qpush;
using namespace qpush::test;

namespace {

const QString kNsp = QStringLiteral("/pres");

push::OnlineClient online(const QString &uuid, const QString &userid, store::Platform platform,
                          const QByteArray &connection)
{
    const QString name = store::platformName(platform);
    return {kNsp + u'#' + userid + u'#' + name + u'-' + uuid, kNsp, userid, platform, connection};
}

} // namespace

class TestRedisPresence : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<RedisServer> m_single;
    std::unique_ptr<RedisCluster> m_cluster;
    QStringList m_addresses;
    bool m_isCluster = false;
    push::NamespaceRegistry m_registry{nullptr, &systemClock()};
    int m_prefixSeq = 0;

    // Each test row gets its own key prefix: no state from earlier rows.
    cluster::RedisPresenceOptions options(const QString &prefix, int nodeTimeoutMs = 15000) const
    {
        cluster::RedisPresenceOptions o;
        o.addresses = m_addresses;
        o.cluster = m_isCluster;
        o.prefix = prefix;
        o.nodeTimeoutMs = nodeTimeoutMs;
        o.reconnectMinMs = 50;
        o.reconnectMaxMs = 500;
        return o;
    }

    void setUpRedis()
    {
        QFETCH(bool, cluster);
        if (cluster == m_isCluster && !m_addresses.isEmpty())
            return;
        m_isCluster = cluster;
        if (cluster) {
            m_cluster = std::make_unique<RedisCluster>(3);
            QVERIFY2(m_cluster->start(), qPrintable(m_cluster->error()));
            m_addresses = m_cluster->addresses();
        } else {
            m_single = std::make_unique<RedisServer>(m_dir.path(), false);
            QVERIFY2(m_single->start(), qPrintable(m_single->error()));
            m_addresses = {m_single->address()};
        }
    }

    QString nextPrefix() { return QStringLiteral("t%1_").arg(++m_prefixSeq); }

    static qint64 count(cluster::RedisPresence &p, const QString &room, const QString &except = {})
    {
        std::optional<qint64> out;
        p.countRoom(kNsp, room, except, [&out](qint64 n) { out = n; });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 10000))
            return -1;
        return *out;
    }
    static QJsonObject nspReport(cluster::RedisPresence &p, bool detail, int limit = 1000)
    {
        std::optional<QJsonObject> out;
        p.namespaceOnline(kNsp, detail, limit, [&out](QJsonObject o) { out = std::move(o); });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 10000))
            return {};
        return *out;
    }
    static QList<push::OnlineCounts> rooms(cluster::RedisPresence &p, const QStringList &names)
    {
        std::optional<QList<push::OnlineCounts>> out;
        p.roomOnline(kNsp, names, [&out](QList<push::OnlineCounts> c) { out = std::move(c); });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 10000))
            return {};
        return *out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        store::NamespaceRecord ns;
        ns.key = kNsp;
        m_registry.applyRemote(ns);
    }

    void countsSumTheNodes_data()
    {
        QTest::addColumn<bool>("cluster");
        QTest::newRow("single") << false;
        QTest::newRow("cluster") << true;
    }
    void countsSumTheNodes()
    {
        setUpRedis();
        const QString prefix = nextPrefix();
        cluster::RedisPresence x(options(prefix), &m_registry, nullptr);
        cluster::RedisPresence y(options(prefix), &m_registry, nullptr);
        x.start();
        y.start();
        QTRY_VERIFY_WITH_TIMEOUT(x.isWriting() && y.isWriting(), 10000);
        const auto a =
            online(QStringLiteral("a"), QStringLiteral("u1"), store::Platform::Ios, "x1");
        const auto b =
            online(QStringLiteral("b"), QStringLiteral("u1"), store::Platform::Android, "y1");
        const auto c =
            online(QStringLiteral("c"), QStringLiteral("u2"), store::Platform::Web, "y2");
        x.clientOnline(a);
        x.roomChanged(a, QStringLiteral("r"), true);
        x.roomChanged(a, QStringLiteral("user_u1"), true);
        y.clientOnline(b);
        y.roomChanged(b, QStringLiteral("r"), true);
        y.roomChanged(b, QStringLiteral("r"), true); // twice: counted once
        y.clientOnline(c);
        y.roomChanged(c, QStringLiteral("r2"), true);
        // Each node's changes reach Redis in the pass after them.
        QTRY_COMPARE_WITH_TIMEOUT(count(y, QStringLiteral("r")), 2, 10000);
        QCOMPARE(count(x, QStringLiteral("r")), 2);
        QCOMPARE(count(x, QStringLiteral("r"), b.clientId), 1);
        QCOMPARE(count(x, QStringLiteral("r"), c.clientId), 2); // not a member
        QCOMPARE(count(x, QStringLiteral("nobody")), 0);

        const QList<push::OnlineCounts> r = rooms(x, {QStringLiteral("r"), QStringLiteral("r2")});
        QCOMPARE(r.size(), 2);
        QCOMPARE(r.at(0).clients, 2);
        QCOMPARE(r.at(0).users, 1);
        QCOMPARE(r.at(0).ios, 1);
        QCOMPARE(r.at(0).android, 1);
        QCOMPARE(r.at(1).clients, 1);
        QCOMPARE(r.at(1).ios, 0);

        QJsonObject o = nspReport(y, true);
        QCOMPARE(o.value(QStringLiteral("clientCount")).toInt(), 3);
        QCOMPARE(o.value(QStringLiteral("userCount")).toInt(), 2);
        QCOMPARE(o.value(QStringLiteral("roomCount")).toInt(), 2); // user rooms left out
        QCOMPARE(o.value(QStringLiteral("room")).toArray(),
                 QJsonArray({QStringLiteral("r"), QStringLiteral("r2")}));
        QCOMPARE(o.value(QStringLiteral("user")).toArray(),
                 QJsonArray({QStringLiteral("u1"), QStringLiteral("u2")}));
        QCOMPARE(o.value(QStringLiteral("client")).toArray().size(), 3);
        // Lists only while their count is within the limit.
        o = nspReport(y, true, 2);
        QVERIFY(o.contains(QStringLiteral("room")));
        QVERIFY(!o.contains(QStringLiteral("client")));
        QVERIFY(!nspReport(y, false).contains(QStringLiteral("room")));

        // Leaving, then going away: every count follows.
        y.roomChanged(b, QStringLiteral("r"), false);
        x.clientOffline(a);
        QTRY_COMPARE_WITH_TIMEOUT(count(y, QStringLiteral("r")), 0, 10000);
        o = nspReport(x, true);
        QCOMPARE(o.value(QStringLiteral("clientCount")).toInt(), 2);
        QCOMPARE(o.value(QStringLiteral("roomCount")).toInt(), 1);
        QCOMPARE(rooms(x, {QStringLiteral("user_u1")}).value(0).clients, 0);
    }

    void reconnectIsNotUndoneByTheOldGoodbye_data() { countsSumTheNodes_data(); }
    void reconnectIsNotUndoneByTheOldGoodbye()
    {
        setUpRedis();
        const QString prefix = nextPrefix();
        cluster::RedisPresence x(options(prefix), &m_registry, nullptr);
        cluster::RedisPresence y(options(prefix), &m_registry, nullptr);
        x.start();
        y.start();
        QTRY_VERIFY_WITH_TIMEOUT(x.isWriting() && y.isWriting(), 10000);
        const auto first =
            online(QStringLiteral("d"), QStringLiteral("u"), store::Platform::Ios, "x1");
        x.clientOnline(first);
        x.roomChanged(first, QStringLiteral("r"), true);
        QCOMPARE(count(x, QStringLiteral("r")), 1);
        // The device comes back through y before x saw it go.
        auto moved = first;
        moved.connection = "y1";
        y.clientOnline(moved);
        QCOMPARE(count(y, QStringLiteral("r")), 0); // a new connection: rooms joined again
        y.roomChanged(moved, QStringLiteral("r2"), true);
        x.roomChanged(first, QStringLiteral("r3"), true); // late: ignored
        x.clientOffline(first);
        QCOMPARE(count(y, QStringLiteral("r2")), 1);
        QCOMPARE(count(x, QStringLiteral("r2")), 1);
        QCOMPARE(count(x, QStringLiteral("r3")), 0);
        QCOMPARE(nspReport(x, false).value(QStringLiteral("clientCount")).toInt(), 1);
        // Replaced on the same node: the old connection's goodbye is ignored.
        auto again = moved;
        again.connection = "y2";
        y.clientOnline(again);
        y.clientOffline(moved);
        QCOMPARE(nspReport(y, false).value(QStringLiteral("clientCount")).toInt(), 1);
        y.clientOffline(again);
        QCOMPARE(nspReport(y, false).value(QStringLiteral("clientCount")).toInt(), 0);
    }

    void deadNodeIsCleanedUp_data() { countsSumTheNodes_data(); }
    void deadNodeIsCleanedUp()
    {
        setUpRedis();
        const QString prefix = nextPrefix();
        cluster::RedisPresence x(options(prefix, 1000), &m_registry, nullptr);
        auto y =
            std::make_unique<cluster::RedisPresence>(options(prefix, 1000), &m_registry, nullptr);
        x.start();
        y->start();
        QTRY_VERIFY_WITH_TIMEOUT(x.isWriting() && y->isWriting(), 10000);
        for (int i = 0; i < 3; ++i) {
            const auto c = online(QString::number(i), QStringLiteral("u%1").arg(i),
                                  store::Platform::Web, "y" + QByteArray::number(i));
            y->clientOnline(c);
            y->roomChanged(c, QStringLiteral("r"), true);
        }
        const auto mine =
            online(QStringLiteral("m"), QStringLiteral("m"), store::Platform::Web, "x");
        x.clientOnline(mine);
        x.roomChanged(mine, QStringLiteral("r"), true);
        QTRY_COMPARE_WITH_TIMEOUT(count(*y, QStringLiteral("r")), 4, 10000);
        QCOMPARE(count(x, QStringLiteral("r")), 4);
        y.reset(); // gone without a goodbye: its heartbeat stops
        QElapsedTimer t;
        t.start();
        QTRY_COMPARE_WITH_TIMEOUT(count(x, QStringLiteral("r")), 1, 15000);
        qInfo("a dead node's clients were gone after %lld ms (node_timeout 1000 ms)", t.elapsed());
        QCOMPARE(x.reapedNodes(), 1);
        QCOMPARE(nspReport(x, true).value(QStringLiteral("client")).toArray(),
                 QJsonArray({mine.clientId}));
    }

    void clearNamespaceForgetsEveryNode_data() { countsSumTheNodes_data(); }
    void clearNamespaceForgetsEveryNode()
    {
        setUpRedis();
        const QString prefix = nextPrefix();
        cluster::RedisPresence x(options(prefix), &m_registry, nullptr);
        cluster::RedisPresence y(options(prefix), &m_registry, nullptr);
        x.start();
        y.start();
        QTRY_VERIFY_WITH_TIMEOUT(x.isWriting() && y.isWriting(), 10000);
        for (int i = 0; i < 30; ++i) {
            auto &p = i % 2 ? x : y;
            const auto c = online(QString::number(i), QStringLiteral("u%1").arg(i % 7),
                                  store::Platform::Android, "c" + QByteArray::number(i));
            p.clientOnline(c);
            p.roomChanged(c, QStringLiteral("r%1").arg(i % 3), true);
        }
        QTRY_COMPARE_WITH_TIMEOUT(nspReport(x, false).value(QStringLiteral("clientCount")).toInt(),
                                  30, 10000);
        x.clearNamespace(kNsp);
        const QJsonObject o = nspReport(x, true); // after the clear on x's connection
        QCOMPARE(o.value(QStringLiteral("clientCount")).toInt(), 0);
        QCOMPARE(o.value(QStringLiteral("userCount")).toInt(), 0);
        QCOMPARE(o.value(QStringLiteral("roomCount")).toInt(), 0);
        QCOMPARE(rooms(x, {QStringLiteral("r0")}).value(0).android, 0);
        QCOMPARE(count(y, QStringLiteral("r1")), 0);
    }

    void shutdownRemovesAtOnce_data() { countsSumTheNodes_data(); }
    void shutdownRemovesAtOnce()
    {
        setUpRedis();
        const QString prefix = nextPrefix();
        cluster::RedisPresence x(options(prefix), &m_registry, nullptr);
        cluster::RedisPresence y(options(prefix), &m_registry, nullptr);
        x.start();
        y.start();
        QTRY_VERIFY_WITH_TIMEOUT(x.isWriting() && y.isWriting(), 10000);
        const auto c = online(QStringLiteral("s"), QStringLiteral("s"), store::Platform::Ios, "y");
        y.clientOnline(c);
        y.roomChanged(c, QStringLiteral("r"), true);
        QCOMPARE(count(y, QStringLiteral("r")), 1);
        bool done = false;
        y.shutdown([&done] { done = true; });
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QCOMPARE(count(x, QStringLiteral("r")), 0);
        QCOMPARE(nspReport(x, false).value(QStringLiteral("userCount")).toInt(), 0);
        // Changes after the shutdown are not written.
        y.clientOnline(c);
        QCOMPARE(count(y, QStringLiteral("r")), 0);
        QCOMPARE(nspReport(x, false).value(QStringLiteral("clientCount")).toInt(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRedisPresence)
#include "tst_redispresence.moc"
