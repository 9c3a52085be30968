#include "net/deadlinequeue.h"

#include <QtTest>

using qpush::net::DeadlineQueue;

class tst_DeadlineQueue : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void firesInDeadlineOrder();
    void cancelledNeverFires();
    void rescheduleMovesDeadline();
    void zeroDelayRunsOnNextPass();
    void callbackMayScheduleAndCancel();
    void manyDeadlinesAllFireOnce();
    void precision();
};

void tst_DeadlineQueue::firesInDeadlineOrder()
{
    DeadlineQueue q;
    QList<int> order;
    q.schedule(60, [&] { order << 3; });
    q.schedule(20, [&] { order << 1; });
    q.schedule(40, [&] { order << 2; });
    QTRY_COMPARE(order.size(), 3);
    QCOMPARE(order, (QList<int>{1, 2, 3}));
    QCOMPARE(q.pendingCount(), 0);
}

void tst_DeadlineQueue::cancelledNeverFires()
{
    DeadlineQueue q;
    bool fired = false, other = false;
    auto id = q.schedule(10, [&] { fired = true; });
    q.schedule(50, [&] { other = true; });
    QVERIFY(q.isPending(id));
    q.cancel(id);
    QCOMPARE(id, DeadlineQueue::Id(0));
    QTRY_VERIFY(other);
    QVERIFY(!fired);
}

void tst_DeadlineQueue::rescheduleMovesDeadline()
{
    DeadlineQueue q;
    int count = 0;
    QElapsedTimer t;
    t.start();
    DeadlineQueue::Id id = q.schedule(20, [&] { ++count; });
    q.reschedule(id, 150, [&] { ++count; });
    QTRY_COMPARE(count, 1);
    QVERIFY2(t.elapsed() >= 150, qPrintable(QString::number(t.elapsed())));
    QTest::qWait(50);
    QCOMPARE(count, 1);
}

void tst_DeadlineQueue::zeroDelayRunsOnNextPass()
{
    DeadlineQueue q;
    bool fired = false;
    q.schedule(0, [&] { fired = true; });
    QVERIFY(!fired); // never synchronously
    QTRY_VERIFY(fired);
}

void tst_DeadlineQueue::callbackMayScheduleAndCancel()
{
    DeadlineQueue q;
    int chain = 0;
    DeadlineQueue::Id victim = q.schedule(30, [&] { chain += 100; });
    std::function<void()> step = [&] {
        ++chain;
        q.cancel(victim);
        if (chain < 5)
            q.schedule(1, step);
    };
    q.schedule(1, step);
    QTRY_COMPARE(chain, 5);
    QTest::qWait(60);
    QCOMPARE(chain, 5);
}

void tst_DeadlineQueue::manyDeadlinesAllFireOnce()
{
    DeadlineQueue q;
    constexpr int n = 20000;
    std::vector<int> hits(n, 0);
    std::vector<DeadlineQueue::Id> ids(n);
    for (int i = 0; i < n; ++i)
        ids[size_t(i)] = q.schedule(i % 50, [&hits, i] { ++hits[size_t(i)]; });
    for (int i = 0; i < n; i += 2) // cancel every even one
        q.cancel(ids[size_t(i)]);
    QTRY_COMPARE(q.pendingCount(), 0);
    for (int i = 0; i < n; ++i)
        QCOMPARE(hits[size_t(i)], i % 2);
}

void tst_DeadlineQueue::precision()
{
    // Fires no earlier than asked; lateness is reported, not asserted (a
    // loaded machine may be late), except for a generous sanity bound.
    DeadlineQueue q;
    QElapsedTimer t;
    t.start();
    qint64 at = -1;
    q.schedule(100, [&] { at = t.elapsed(); });
    QTRY_VERIFY(at >= 0);
    QVERIFY(at >= 100);
    qDebug() << "100 ms deadline fired after" << at << "ms";
}

QTEST_MAIN(tst_DeadlineQueue)
#include "tst_deadlinequeue.moc"
