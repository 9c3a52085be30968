// The /metrics library alone: the text exposition encoder (format 0.0.4),
// the instruments, the registry's families and the /proc/self/stat parser.
#include "metrics/exposition.h"
#include "metrics/instruments.h"
#include "metrics/looplag.h"
#include "metrics/process.h"
#include "metrics/registry.h"
#include "metrics/servermetrics.h"

#include <QDateTime>
#include <QTest>
#include <QThread>

#include <cmath>
#include <limits>

using namespace qpush::metrics;

class TestMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void formatValue_data();
    void formatValue();
    void encodeFamilies();
    void encodeEscapes();
    void names_data();
    void names();
    void histogramBuckets();
    void histogramFromThreads();
    void counterVecIsBounded();
    void registryGroupsFamilies();
    void serverMetricsExposition();
    void procStat_data();
    void procStat();
    void processStatsOfThisProcess();
    void loopLagMeasuresABlockedLoop();
};

void TestMetrics::formatValue_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("zero") << 0.0 << QByteArray("0");
    QTest::newRow("integer") << 42.0 << QByteArray("42");
    QTest::newRow("negative") << -7.0 << QByteArray("-7");
    QTest::newRow("large integer") << 1e15 << QByteArray("1000000000000000");
    QTest::newRow("fraction") << 0.25 << QByteArray("0.25");
    QTest::newRow("shortest") << 0.1 << QByteArray("0.1");
    QTest::newRow("small") << 0.0005 << QByteArray("0.0005");
    QTest::newRow("huge") << 1e300 << QByteArray("1e+300");
    QTest::newRow("tiny") << 1.5e-9 << QByteArray("1.5e-09");
    QTest::newRow("long fraction") << 0.1 + 0.2 << QByteArray("0.30000000000000004");
    QTest::newRow("+Inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    QTest::newRow("-Inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
}

void TestMetrics::formatValue()
{
    QFETCH(double, value);
    QFETCH(QByteArray, text);
    QCOMPARE(qpush::metrics::formatValue(value), text);
}

void TestMetrics::encodeFamilies()
{
    const QList<Family> families{
        Family{"qpush_a_total", "Things done.", Type::Counter, {Sample{{}, {}, 3}}},
        Family{"qpush_b",
               "By kind.",
               Type::Gauge,
               {Sample{{}, {{"kind", "x"}, {"port", "1"}}, 1.5}, Sample{{}, {{"kind", "y"}}, 0}}},
        Family{"qpush_empty_total", "No series yet.", Type::Counter, {}},
    };
    QCOMPARE(encode(families), QByteArray("# HELP qpush_a_total Things done.\n"
                                          "# TYPE qpush_a_total counter\n"
                                          "qpush_a_total 3\n"
                                          "# HELP qpush_b By kind.\n"
                                          "# TYPE qpush_b gauge\n"
                                          "qpush_b{kind=\"x\",port=\"1\"} 1.5\n"
                                          "qpush_b{kind=\"y\"} 0\n"
                                          "# HELP qpush_empty_total No series yet.\n"
                                          "# TYPE qpush_empty_total counter\n"));
}

void TestMetrics::encodeEscapes()
{
    // HELP escapes backslash and newline; label values also the double quote.
    const QList<Family> families{
        Family{"qpush_x", "a \\ b\nc \"q\"", Type::Gauge, {Sample{{}, {{"v", "\"a\\b\nc\""}}, 1}}}};
    QCOMPARE(encode(families), QByteArray("# HELP qpush_x a \\\\ b\\nc \"q\"\n"
                                          "# TYPE qpush_x gauge\n"
                                          "qpush_x{v=\"\\\"a\\\\b\\nc\\\"\"} 1\n"));
}

void TestMetrics::names_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("metric");
    QTest::addColumn<bool>("label");
    QTest::newRow("plain") << QByteArray("qpush_x_total") << true << true;
    QTest::newRow("colon") << QByteArray("a:b") << true << false;
    QTest::newRow("leading digit") << QByteArray("1x") << false << false;
    QTest::newRow("inner digit") << QByteArray("x1") << true << true;
    QTest::newRow("dash") << QByteArray("a-b") << false << false;
    QTest::newRow("empty") << QByteArray() << false << false;
}

void TestMetrics::names()
{
    QFETCH(QByteArray, name);
    QFETCH(bool, metric);
    QFETCH(bool, label);
    QCOMPARE(isValidMetricName(name), metric);
    QCOMPARE(isValidLabelName(name), label);
}

void TestMetrics::histogramBuckets()
{
    Histogram h({0.1, 1, 0.5}); // sorted on construction
    for (double v : {0.05, 0.1, 0.2, 0.5, 0.7, 3.0})
        h.observe(v);
    const Histogram::Snapshot s = h.snapshot();
    QCOMPARE(s.bounds, (std::vector<double>{0.1, 0.5, 1}));
    // le is "less than or equal": 0.1 falls in the 0.1 bucket.
    QCOMPARE(s.cumulative, (std::vector<quint64>{2, 4, 5, 6}));
    QCOMPARE(s.count, quint64(6));
    QVERIFY(std::fabs(s.sum - 4.55) < 1e-9);

    QList<Sample> samples;
    appendHistogram(samples, s, {{"op", "x"}});
    const QByteArray text = encode({Family{"qpush_h_seconds", "H.", Type::Histogram, samples}});
    QVERIFY2(text.contains("qpush_h_seconds_bucket{op=\"x\",le=\"0.1\"} 2\n"), text);
    QVERIFY(text.contains("qpush_h_seconds_bucket{op=\"x\",le=\"1\"} 5\n"));
    QVERIFY(text.contains("qpush_h_seconds_bucket{op=\"x\",le=\"+Inf\"} 6\n"));
    QVERIFY(text.contains("qpush_h_seconds_sum{op=\"x\"} 4.55\n"));
    QVERIFY(text.contains("qpush_h_seconds_count{op=\"x\"} 6\n"));
    QVERIFY(text.contains("# TYPE qpush_h_seconds histogram\n"));
}

void TestMetrics::histogramFromThreads()
{
    // The SQLite worker thread observes while the event loop scrapes.
    Histogram h({0.5});
    Counter c;
    constexpr int kPerThread = 20000;
    QList<QThread *> threads;
    for (int t = 0; t < 4; ++t)
        threads.append(QThread::create([&h, &c, t] {
            for (int i = 0; i < kPerThread; ++i) {
                h.observe(t % 2 ? 1.0 : 0.25);
                c.inc();
            }
        }));
    for (QThread *t : threads)
        t->start();
    for (QThread *t : threads) {
        QVERIFY(t->wait(60000));
        delete t;
    }
    const Histogram::Snapshot s = h.snapshot();
    QCOMPARE(s.count, quint64(4 * kPerThread));
    QCOMPARE(s.cumulative.front(), quint64(2 * kPerThread));
    QCOMPARE(s.sum, 2 * kPerThread * 1.0 + 2 * kPerThread * 0.25);
    QCOMPARE(c.value(), quint64(4 * kPerThread));
}

void TestMetrics::counterVecIsBounded()
{
    CounterVec v("reason", 3);
    v.touch({"a"});
    QCOMPARE(v.value("a"), quint64(0));
    v.inc("b");
    v.inc("b", 2);
    v.inc("c");
    for (int i = 0; i < 100; ++i) // hostile: every event a new label value
        v.inc("x" + QByteArray::number(i));
    v.inc("a");
    const auto values = v.values();
    QCOMPARE(values.size(), 4); // three kept values and "other"
    QCOMPARE(v.value("a"), quint64(1));
    QCOMPARE(v.value("b"), quint64(3));
    QCOMPARE(v.value("c"), quint64(1));
    QCOMPARE(v.value("other"), quint64(100));
    QCOMPARE(values.front().first, QByteArray("a")); // sorted
}

void TestMetrics::registryGroupsFamilies()
{
    Registry r;
    Counter a, b;
    Gauge g;
    CounterVec v("limit");
    r.add(&a, "qpush_things_total", "Things.", {{"kind", "a"}});
    r.add(&g, "qpush_level", "Level.");
    r.add(&b, "qpush_things_total", "Things.", {{"kind", "b"}});
    r.add(&v, "qpush_limits_tripped_total", "Limits.");
    r.addCollector([](QList<Family> &out) {
        out.append(Family{"qpush_collected", "At scrape time.", Type::Gauge, {Sample{{}, {}, 7}}});
    });
    a.inc(2);
    b.inc();
    g.set(-1.5);
    v.inc("max_connections");
    const QList<Family> families = r.collect();
    QCOMPARE(families.size(), 4);
    QCOMPARE(families[0].name, QByteArray("qpush_things_total"));
    QCOMPARE(families[0].samples.size(), 2);
    QCOMPARE(families[0].samples[1].labels.front().second, QByteArray("b"));
    QCOMPARE(families[0].samples[0].value, 2.0);
    QCOMPARE(families[1].samples[0].value, -1.5);
    QCOMPARE(families[3].name, QByteArray("qpush_collected"));
    const QByteArray text = r.text();
    QVERIFY(text.contains("qpush_things_total{kind=\"a\"} 2\nqpush_things_total{kind=\"b\"} 1\n"));
    QVERIFY(text.contains("qpush_limits_tripped_total{limit=\"max_connections\"} 1\n"));
    QVERIFY(text.contains("qpush_collected 7\n"));
    // One HELP/TYPE per family, however many registrations.
    QCOMPARE(text.count("# TYPE qpush_things_total counter\n"), 1);
}

void TestMetrics::serverMetricsExposition()
{
    Registry r;
    ServerMetrics m(r);
    m.countHandshake(true, true);
    m.countHandshake(false, false);
    m.pushesRefused.inc("invalid");
    m.limitsTripped.inc("max_connections_per_ip");
    m.storeOperation(2'000'000, true); // 2 ms, failed
    const QByteArray text = r.text();
    QVERIFY(text.contains(
        "qpush_engineio_handshakes_total{protocol=\"4\",transport=\"websocket\"} 1\n"));
    QVERIFY(
        text.contains("qpush_engineio_handshakes_total{protocol=\"3\",transport=\"polling\"} 1\n"));
    QVERIFY(text.contains(
        "qpush_engineio_handshakes_total{protocol=\"3\",transport=\"websocket\"} 0\n"));
    QVERIFY(text.contains("qpush_pushes_refused_total{reason=\"invalid\"} 1\n"));
    // Known limits are listed at 0 before they trip.
    QVERIFY(text.contains("qpush_limits_tripped_total{limit=\"max_connections\"} 0\n"));
    QVERIFY(text.contains("qpush_limits_tripped_total{limit=\"max_connections_per_ip\"} 1\n"));
    QVERIFY(text.contains("qpush_store_operation_duration_seconds_bucket{le=\"0.001\"} 0\n"));
    QVERIFY(text.contains("qpush_store_operation_duration_seconds_bucket{le=\"0.0025\"} 1\n"));
    QVERIFY(text.contains("qpush_store_errors_total 1\n"));
    // Every sample line belongs to a family announced by HELP and TYPE.
    QByteArray family;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty())
            continue;
        if (line.startsWith("# HELP ")) {
            family = line.mid(7, line.indexOf(' ', 7) - 7);
            QVERIFY2(family.startsWith("qpush_"), line);
            continue;
        }
        if (line.startsWith("# TYPE "))
            continue;
        QVERIFY2(line.startsWith(family), line);
    }
}

void TestMetrics::procStat_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<double>("cpu");
    QTest::addColumn<double>("rss");
    QTest::addColumn<double>("startTicks");
    // Fields from a real line; the command name holds spaces and ')'.
    const QByteArray tail = " S 1 1234 1234 0 -1 4194560 2000 0 0 0 150 50 0 0 20 0 3 0 "
                            "98765 123456789 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 "
                            "0 17 1 0 0 0 0 0\n";
    QTest::newRow("plain") << "4242 (qpush-server)" + tail << true << 2.0 << 2500.0 * 4096
                           << 98765.0;
    QTest::newRow("odd name") << "4242 (a) b (c))" + tail << true << 2.0 << 2500.0 * 4096
                              << 98765.0;
    QTest::newRow("truncated") << QByteArray("4242 (x) S 1 2 3") << false << 0.0 << 0.0 << 0.0;
    QTest::newRow("no name") << QByteArray("garbage") << false << 0.0 << 0.0 << 0.0;
}

void TestMetrics::procStat()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    ProcessStats s;
    double start = -1;
    QCOMPARE(parseProcStat(text, 100, 4096, &s, &start), ok);
    if (!ok)
        return;
    QFETCH(double, cpu);
    QFETCH(double, rss);
    QFETCH(double, startTicks);
    QCOMPARE(s.cpuSeconds, cpu);
    QCOMPARE(s.residentBytes, rss);
    QCOMPARE(start, startTicks);
}

void TestMetrics::processStatsOfThisProcess()
{
#ifdef Q_OS_LINUX
    const ProcessStats s = readProcessStats();
    QVERIFY(s.residentBytes > 1024 * 1024);
    QVERIFY(s.openFds >= 3);
    QVERIFY(s.maxFds >= s.openFds);
    QVERIFY(s.cpuSeconds >= 0);
    const double now = double(QDateTime::currentSecsSinceEpoch());
    QVERIFY2(s.startTimeSeconds > now - 3600 && s.startTimeSeconds <= now + 1,
             qPrintable(QString::number(s.startTimeSeconds, 'f', 0)));
    QList<Family> out;
    appendProcessFamilies(out, s);
    QCOMPARE(out.size(), 5);
#else
    QSKIP("/proc is Linux only");
#endif
}

void TestMetrics::loopLagMeasuresABlockedLoop()
{
    Gauge last;
    Histogram distribution({0.05, 10});
    LoopLagProbe probe(&last, &distribution, 20);
    probe.start();
    QTRY_VERIFY_WITH_TIMEOUT(distribution.snapshot().count >= 1, 30000);
    QThread::msleep(300); // the loop is busy: the next tick is at least ~280 ms late
    const quint64 before = distribution.snapshot().count;
    QTRY_VERIFY_WITH_TIMEOUT(distribution.snapshot().count > before, 30000);
    QVERIFY2(distribution.snapshot().cumulative[0] < distribution.snapshot().count,
             "no observation above 50 ms");
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
