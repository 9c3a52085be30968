#include "socketio/socketset.h"

#include <QtTest>

#include <algorithm>
#include <random>
#include <set>

using qpush::sio::Socket;
using qpush::sio::SocketSet;

class tst_SocketSet : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesAReferenceSet_data();
    void matchesAReferenceSet();
    void insertIsIdempotent();
};

void tst_SocketSet::matchesAReferenceSet_data()
{
    QTest::addColumn<int>("universe");
    QTest::newRow("small room (vector only)") << 10;
    QTest::newRow("crosses the index threshold") << 80;
    QTest::newRow("large room") << 3000;
}

void tst_SocketSet::matchesAReferenceSet()
{
    QFETCH(int, universe);
    // Socket pointers are only compared, never dereferenced.
    std::vector<Socket *> pool;
    for (int i = 1; i <= universe; ++i)
        pool.push_back(reinterpret_cast<Socket *>(quintptr(i) * 16));
    std::mt19937 rng(42);
    SocketSet set;
    std::set<Socket *> ref;
    for (int step = 0; step < universe * 20; ++step) {
        Socket *s = pool[rng() % pool.size()];
        const bool add = (rng() % 3) != 0 || ref.size() < 2;
        if (add)
            QCOMPARE(set.insert(s), ref.insert(s).second);
        else
            QCOMPARE(set.remove(s), ref.erase(s) == 1);
        if (step % 97 == 0) {
            QCOMPARE(set.size(), qsizetype(ref.size()));
            std::set<Socket *> seen(set.begin(), set.end());
            QCOMPARE(seen.size(), ref.size()); // no duplicates in iteration
            QVERIFY(seen == ref);
            for (Socket *p : pool)
                QCOMPARE(set.contains(p), ref.count(p) == 1);
        }
    }
    // Drain it completely.
    for (Socket *p : pool)
        set.remove(p);
    QVERIFY(set.isEmpty());
    QCOMPARE(set.begin(), set.end());
}

void tst_SocketSet::insertIsIdempotent()
{
    SocketSet set;
    auto *a = reinterpret_cast<Socket *>(quintptr(16));
    QVERIFY(set.insert(a));
    QVERIFY(!set.insert(a));
    QCOMPARE(set.size(), 1);
    QVERIFY(set.remove(a));
    QVERIFY(!set.remove(a));
}

QTEST_APPLESS_MAIN(tst_SocketSet)
#include "tst_socketset.moc"
