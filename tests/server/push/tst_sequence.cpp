// push::Sequence (push/sequence.h): the flat asynchronous sequence of the
// admission and the offline worker. Steps run in order, synchronously or
// from the event loop; a step that does not call `next` ends it; a `next`
// called twice runs nothing twice; a context gone between steps stops it.
#include "push/sequence.h"

#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace qpush::push;
using Next = Sequence::Next;

namespace {
QStringList names(const char *commaSeparated)
{
    return QString::fromLatin1(commaSeparated).split(u',');
}
} // namespace

class TestSequence : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void runsStepsInOrder();
    void asynchronousSteps();
    void stepEndsEarly();
    void nextTwiceRunsOnce();
    void contextGoneStops();
};

void TestSequence::runsStepsInOrder()
{
    QStringList trace;
    Sequence(nullptr)
        .then([&](const Next &next) {
            trace << QStringLiteral("a");
            next();
        })
        .then([&](const Next &next) {
            trace << QStringLiteral("b");
            next();
        })
        .then([&](const Next &) { trace << QStringLiteral("c"); })
        .run();
    QCOMPARE(trace, names("a,b,c"));
}

void TestSequence::asynchronousSteps()
{
    auto trace = std::make_shared<QStringList>();
    QObject context;
    Sequence(&context)
        .then([trace](const Next &next) {
            *trace << QStringLiteral("a");
            QTimer::singleShot(0, next);
        })
        .then([trace](const Next &next) {
            *trace << QStringLiteral("b");
            QTimer::singleShot(1, next);
        })
        .then([trace](const Next &) { *trace << QStringLiteral("done"); })
        .run();
    QCOMPARE(*trace, names("a")); // the rest waits for the event loop
    QTRY_COMPARE(*trace, names("a,b,done"));
}

void TestSequence::stepEndsEarly()
{
    QStringList trace;
    Sequence(nullptr)
        .then([&](const Next &) { trace << QStringLiteral("refused"); })
        .then([&](const Next &) { trace << QStringLiteral("never"); })
        .run();
    QCOMPARE(trace, names("refused"));
}

void TestSequence::nextTwiceRunsOnce()
{
    int second = 0;
    int third = 0;
    Sequence(nullptr)
        .then([](const Next &next) {
            next();
            next(); // a callback answering twice
        })
        .then([&](const Next &next) {
            ++second;
            next();
        })
        .then([&](const Next &) { ++third; })
        .run();
    QCOMPARE(second, 1);
    QCOMPARE(third, 1);
}

void TestSequence::contextGoneStops()
{
    auto context = std::make_unique<QObject>();
    auto abandoned = std::make_shared<int>(0);
    auto later = std::make_shared<int>(0);
    Next pending;
    Sequence(context.get(), [abandoned] { ++*abandoned; })
        .then([&pending](const Next &next) { pending = next; }) // waits for "the store"
        .then([later](const Next &) { ++*later; })
        .run();
    QVERIFY(pending);
    context.reset(); // the socket closed meanwhile
    pending();
    QCOMPARE(*abandoned, 1);
    QCOMPARE(*later, 0);
    pending(); // a late second answer changes nothing
    QCOMPARE(*abandoned, 1);
}

QTEST_GUILESS_MAIN(TestSequence)
#include "tst_sequence.moc"
