// Data-driven tests of the HTTP/1.1 codec: request parsing (valid and
// malformed input, limits, chunked bodies, pipelining, incremental feeding)
// and response serialization.
#include "net/httpmessage.h"

#include <QTest>

using namespace qpush::http;

namespace {

struct Outcome
{
    QList<Request> requests;
    int errorStatus = 0; // 0: no error
    QByteArray rest;     // unconsumed bytes at the end
};

// Feeds `input` to one parser `step` bytes at a time (0: all at once),
// draining every complete request after each read, as a connection does.
Outcome feed(QByteArrayView input, qsizetype step, Limits limits = {})
{
    RequestParser parser(limits);
    Outcome outcome;
    QByteArray buffer;
    if (step <= 0)
        step = qMax<qsizetype>(1, input.size());
    for (qsizetype pos = 0; pos < input.size(); pos += step) {
        buffer.append(input.sliced(pos, qMin(step, input.size() - pos)));
        for (int guard = 0; guard < 1000; ++guard) {
            const RequestParser::Status status = parser.parse(buffer);
            if (status == RequestParser::Status::Complete) {
                outcome.requests.append(parser.takeRequest());
                continue;
            }
            if (status == RequestParser::Status::Error) {
                outcome.errorStatus = parser.errorStatus();
                outcome.rest = buffer;
                return outcome;
            }
            break;
        }
    }
    outcome.rest = buffer;
    return outcome;
}

QByteArrayList headerLines(const Request &r)
{
    QByteArrayList lines;
    for (const Header &h : r.headers)
        lines.append(QByteArray(h.name + ": " + h.value));
    return lines;
}

QByteArrayList itemLines(const QList<QPair<QByteArray, QByteArray>> &items)
{
    QByteArrayList lines;
    for (const auto &item : items)
        lines.append(QByteArray(item.first + '=' + item.second));
    return lines;
}

const qsizetype kSteps[] = {0, 1, 2, 3, 7, 64};

} // namespace

class TestHttpMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validRequest_data();
    void validRequest();
    void malformedRequest_data();
    void malformedRequest();
    void headerLimitBoundary_data();
    void headerLimitBoundary();
    void bodyLimitBoundary_data();
    void bodyLimitBoundary();
    void errorsDetectedEarly_data();
    void errorsDetectedEarly();
    void pipelining_data();
    void pipelining();
    void incompleteRequestWaits_data();
    void incompleteRequestWaits();
    void errorIsFinal();
    void parserIsReusable();
    void headerLookup();
    void keepAlive_data();
    void keepAlive();
    void webSocketUpgrade_data();
    void webSocketUpgrade();
    void queryItems_data();
    void queryItems();
    void queryValue_data();
    void queryValue();
    void percentDecode_data();
    void percentDecode();
    void serializeResponse_data();
    void serializeResponse();
    void reasonPhrase_data();
    void reasonPhrase();
    void responseRoundTrip();
};

void TestHttpMessage::validRequest_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("rawQuery");
    QTest::addColumn<int>("minorVersion");
    QTest::addColumn<QByteArrayList>("headers");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("simple GET") << QByteArray("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
                                << QByteArray("GET") << QByteArray("/") << QByteArray("/")
                                << QByteArray() << 1 << QByteArrayList{"host: example.com"}
                                << QByteArray();
    QTest::newRow("socket.io polling GET")
        << QByteArray("GET /socket.io/?EIO=4&transport=polling&t=Nx1 HTTP/1.1\r\n"
                      "Host: 127.0.0.1:3000\r\nAccept: */*\r\n\r\n")
        << QByteArray("GET") << QByteArray("/socket.io/?EIO=4&transport=polling&t=Nx1")
        << QByteArray("/socket.io/") << QByteArray("EIO=4&transport=polling&t=Nx1") << 1
        << QByteArrayList{"host: 127.0.0.1:3000", "accept: */*"} << QByteArray();
    QTest::newRow("percent-encoded path")
        << QByteArray("GET /a%20b/%7Euser/c+d?x=%41 HTTP/1.1\r\n\r\n") << QByteArray("GET")
        << QByteArray("/a%20b/%7Euser/c+d?x=%41") << QByteArray("/a b/~user/c+d")
        << QByteArray("x=%41") << 1 << QByteArrayList{} << QByteArray();
    QTest::newRow("empty query") << QByteArray("GET /p? HTTP/1.1\r\n\r\n") << QByteArray("GET")
                                 << QByteArray("/p?") << QByteArray("/p") << QByteArray("") << 1
                                 << QByteArrayList{} << QByteArray();
    QTest::newRow("bare LF line endings")
        << QByteArray("GET /x HTTP/1.1\nHost: a\nX-Y: z\n\n") << QByteArray("GET")
        << QByteArray("/x") << QByteArray("/x") << QByteArray() << 1
        << QByteArrayList{"host: a", "x-y: z"} << QByteArray();
    QTest::newRow("mixed line endings")
        << QByteArray("GET /x HTTP/1.1\r\nHost: a\nX-Y: z\r\n\n") << QByteArray("GET")
        << QByteArray("/x") << QByteArray("/x") << QByteArray() << 1
        << QByteArrayList{"host: a", "x-y: z"} << QByteArray();
    QTest::newRow("HTTP/1.0") << QByteArray("HEAD /old HTTP/1.0\r\n\r\n") << QByteArray("HEAD")
                              << QByteArray("/old") << QByteArray("/old") << QByteArray() << 0
                              << QByteArrayList{} << QByteArray();
    QTest::newRow("names lower-cased, values trimmed")
        << QByteArray("GET / HTTP/1.1\r\nX-MiXeD-Case:   spaced value \t \r\nEmpty:\r\n"
                      "Tabbed:\tv\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"x-mixed-case: spaced value", "empty: ", "tabbed: v"} << QByteArray();
    QTest::newRow("obs-text in value")
        << QByteArray("GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9\r\n\r\n") << QByteArray("GET")
        << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"x-name: caf\xc3\xa9"} << QByteArray();
    QTest::newRow("colon in value")
        << QByteArray("GET / HTTP/1.1\r\nHost: a:80\r\n\r\n") << QByteArray("GET")
        << QByteArray("/") << QByteArray("/") << QByteArray() << 1 << QByteArrayList{"host: a:80"}
        << QByteArray();
    QTest::newRow("empty lines before request line")
        << QByteArray("\r\n\r\n\nGET / HTTP/1.1\r\n\r\n") << QByteArray("GET") << QByteArray("/")
        << QByteArray("/") << QByteArray() << 1 << QByteArrayList{} << QByteArray();
    QTest::newRow("POST with Content-Length")
        << QByteArray("POST /socket.io/?EIO=4&sid=abc HTTP/1.1\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 11\r\n\r\n40{\"a\":\"b\"}")
        << QByteArray("POST") << QByteArray("/socket.io/?EIO=4&sid=abc")
        << QByteArray("/socket.io/") << QByteArray("EIO=4&sid=abc") << 1
        << QByteArrayList{"content-type: text/plain", "content-length: 11"}
        << QByteArray("40{\"a\":\"b\"}");
    QTest::newRow("Content-Length 0")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") << QByteArray("POST")
        << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"content-length: 0"} << QByteArray();
    QTest::newRow("identical duplicate Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
        << QByteArray("POST") << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"content-length: 3", "content-length: 3"} << QByteArray("abc");
    QTest::newRow("Content-Length list of equal values")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc") << QByteArray("POST")
        << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"content-length: 3, 3"} << QByteArray("abc");
    QTest::newRow("binary body") << QByteArray(
                                        QByteArray("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n") +
                                        QByteArray("\x00\r\n\xff", 4))
                                 << QByteArray("POST") << QByteArray("/") << QByteArray("/")
                                 << QByteArray() << 1 << QByteArrayList{"content-length: 4"}
                                 << QByteArray("\x00\r\n\xff", 4);
    QTest::newRow("chunked")
        << QByteArray("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n")
        << QByteArray("POST") << QByteArray("/c") << QByteArray("/c") << QByteArray() << 1
        << QByteArrayList{"transfer-encoding: chunked"}
        << QByteArray("Wikipedia in\r\n\r\nchunks.");
    QTest::newRow("chunked, extensions and trailers")
        << QByteArray("POST /c HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      "4;name=value\r\nWiki\r\n5 ; ext\r\npedia\r\n0;last\r\n"
                      "Expires: never\r\nX-Trailer: 1\r\n\r\n")
        << QByteArray("POST") << QByteArray("/c") << QByteArray("/c") << QByteArray() << 1
        << QByteArrayList{"transfer-encoding: Chunked"} << QByteArray("Wikipedia");
    QTest::newRow("chunked, hex sizes, bare LF")
        << QByteArray("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n"
                      "a\n0123456789\n0001\nx\n0\n\n")
        << QByteArray("POST") << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"transfer-encoding: chunked"} << QByteArray("0123456789x");
    QTest::newRow("chunked, empty body")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << QByteArray("POST") << QByteArray("/") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{"transfer-encoding: chunked"} << QByteArray();
    QTest::newRow("absolute-form target")
        << QByteArray("GET http://example.com:8080/a%2Fb?q=1 HTTP/1.1\r\n\r\n") << QByteArray("GET")
        << QByteArray("http://example.com:8080/a%2Fb?q=1") << QByteArray("/a/b")
        << QByteArray("q=1") << 1 << QByteArrayList{} << QByteArray();
    QTest::newRow("absolute-form without path")
        << QByteArray("GET https://example.com HTTP/1.1\r\n\r\n") << QByteArray("GET")
        << QByteArray("https://example.com") << QByteArray("/") << QByteArray() << 1
        << QByteArrayList{} << QByteArray();
    QTest::newRow("OPTIONS *") << QByteArray("OPTIONS * HTTP/1.1\r\n\r\n") << QByteArray("OPTIONS")
                               << QByteArray("*") << QByteArray("*") << QByteArray() << 1
                               << QByteArrayList{} << QByteArray();
    QTest::newRow("extension method")
        << QByteArray("M-SEARCH /x HTTP/1.1\r\n\r\n") << QByteArray("M-SEARCH") << QByteArray("/x")
        << QByteArray("/x") << QByteArray() << 1 << QByteArrayList{} << QByteArray();
}

void TestHttpMessage::validRequest()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, rawQuery);
    QFETCH(int, minorVersion);
    QFETCH(QByteArrayList, headers);
    QFETCH(QByteArray, body);

    for (qsizetype step : kSteps) {
        const Outcome outcome = feed(input, step);
        QVERIFY2(
            outcome.errorStatus == 0,
            qPrintable(QStringLiteral("step %1: error %2").arg(step).arg(outcome.errorStatus)));
        QCOMPARE(outcome.requests.size(), 1);
        const Request &r = outcome.requests.first();
        QCOMPARE(r.method, method);
        QCOMPARE(r.target, target);
        QCOMPARE(r.path, path);
        QCOMPARE(r.rawQuery, rawQuery);
        QCOMPARE(r.rawQuery.isNull(), rawQuery.isNull());
        QCOMPARE(r.minorVersion, minorVersion);
        QCOMPARE(headerLines(r), headers);
        QCOMPARE(r.body, body);
        QVERIFY(outcome.rest.isEmpty());
    }
}

void TestHttpMessage::malformedRequest_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("status");

    // 400: syntax
    QTest::newRow("no spaces") << QByteArray("GARBAGE\r\n\r\n") << 400;
    QTest::newRow("TLS hello") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)
                               << 400;
    QTest::newRow("NUL bytes") << QByteArray("\x00\x00\x00\x00", 4) << 400;
    QTest::newRow("high byte in method") << QByteArray("G\x80T / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("separator in method") << QByteArray("GE(T / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("leading space") << QByteArray(" GET / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("missing version") << QByteArray("GET /\r\n\r\n") << 400;
    QTest::newRow("missing target") << QByteArray("GET  HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("method only") << QByteArray("GET\r\n\r\n") << 400;
    QTest::newRow("double space") << QByteArray("GET  / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("trailing space") << QByteArray("GET / HTTP/1.1 \r\n\r\n") << 400;
    QTest::newRow("lower-case protocol") << QByteArray("GET / http/1.1\r\n\r\n") << 400;
    QTest::newRow("malformed version") << QByteArray("GET / HTTP/1\r\n\r\n") << 400;
    QTest::newRow("two-digit version") << QByteArray("GET / HTTP/11.1\r\n\r\n") << 400;
    QTest::newRow("not a protocol") << QByteArray("GET / FOO/1.1\r\n\r\n") << 400;
    QTest::newRow("relative target") << QByteArray("GET index.html HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("star for GET") << QByteArray("GET * HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("empty authority") << QByteArray("GET http:///x HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("tab in target") << QByteArray("GET /a\tb HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("control char in target") << QByteArray("GET /a\x01 HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("bare CR in request line") << QByteArray("GET / HTTP/1.1\rX\r\n\r\n") << 400;
    QTest::newRow("bare CR in header") << QByteArray("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n") << 400;
    QTest::newRow("CR CR LF") << QByteArray("GET / HTTP/1.1\r\r\n\r\n") << 400;
    QTest::newRow("NUL in header value")
        << QByteArray(QByteArray("GET / HTTP/1.1\r\nX: a") + QByteArray("\x00", 1) + "z\r\n\r\n")
        << 400;
    QTest::newRow("DEL in header value") << QByteArray("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << QByteArray("GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n") << 400;
    QTest::newRow("obs-fold tab") << QByteArray("GET / HTTP/1.1\r\nX: a\r\n\tfolded\r\n\r\n")
                                  << 400;
    QTest::newRow("whitespace before colon")
        << QByteArray("GET / HTTP/1.1\r\nHost : a\r\n\r\n") << 400;
    QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n") << 400;
    QTest::newRow("empty header name") << QByteArray("GET / HTTP/1.1\r\n: value\r\n\r\n") << 400;
    QTest::newRow("separator in header name")
        << QByteArray("GET / HTTP/1.1\r\nX(y): value\r\n\r\n") << 400;
    // 400: framing
    QTest::newRow("non-numeric Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n") << 400;
    QTest::newRow("negative Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("signed Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx") << 400;
    QTest::newRow("empty Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n") << 400;
    QTest::newRow("hex Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n") << 400;
    QTest::newRow("Content-Length with inner space")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n") << 400;
    QTest::newRow("conflicting Content-Length headers")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
        << 400;
    QTest::newRow("conflicting Content-Length list")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd") << 400;
    QTest::newRow("Content-Length list with empty item")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3,\r\n\r\nabc") << 400;
    QTest::newRow("Content-Length and Transfer-Encoding")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
                      "\r\n3\r\nabc\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("Transfer-Encoding then Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
                      "\r\n3\r\nabc\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("empty Transfer-Encoding")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n") << 400;
    QTest::newRow("bad chunk size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << 400;
    QTest::newRow("empty chunk size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n") << 400;
    QTest::newRow("negative chunk size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n") << 400;
    QTest::newRow("junk after chunk size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n") << 400;
    QTest::newRow("missing CRLF after chunk")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("CR without LF after chunk")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n")
        << 400;
    QTest::newRow("control char in chunk extension")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;\x01\r\nabc\r\n")
        << 400;
    QTest::newRow("chunk size line too long")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;" +
                      QByteArray(5000, 'e') + "\r\nabc\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("malformed trailer")
        << QByteArray(
               "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n")
        << 400;
    // 501
    QTest::newRow("gzip Transfer-Encoding")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") << 501;
    QTest::newRow("gzip, chunked")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
        << 501;
    QTest::newRow("chunked twice") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                                                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                                   << 501;
    QTest::newRow("identity") << QByteArray(
                                     "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n")
                              << 501;
    // 505
    QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
    QTest::newRow("HTTP/1.2") << QByteArray("GET / HTTP/1.2\r\n\r\n") << 505;
    QTest::newRow("HTTP/0.9") << QByteArray("GET / HTTP/0.9\r\n\r\n") << 505;
    QTest::newRow("HTTP/3.0") << QByteArray("GET / HTTP/3.0\r\nHost: a\r\n\r\n") << 505;
    // 413 and 431 with the default limits
    QTest::newRow("Content-Length over the limit")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n") << 413;
    QTest::newRow("huge Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n")
        << 413;
    QTest::newRow("huge chunk size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "ffffffffffffffffffffffff\r\n")
        << 413;
    QTest::newRow("header section over the limit")
        << QByteArray("GET / HTTP/1.1\r\nX-Big: " + QByteArray(20000, 'x') + "\r\n\r\n") << 431;
    QTest::newRow("many headers over the limit")
        << QByteArray("GET / HTTP/1.1\r\n" + QByteArray("X-H: v\r\n").repeated(3000) + "\r\n")
        << 431;
    QTest::newRow("endless empty lines") << QByteArray("\r\n").repeated(9000) << 431;
    QTest::newRow("trailer section over the limit")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                      QByteArray(20000, 't') + "\r\n\r\n")
        << 431;
}

void TestHttpMessage::malformedRequest()
{
    QFETCH(QByteArray, input);
    QFETCH(int, status);

    for (qsizetype step : kSteps) {
        const Outcome outcome = feed(input, step);
        QVERIFY2(outcome.requests.isEmpty(), qPrintable(QStringLiteral("step %1").arg(step)));
        QCOMPARE(outcome.errorStatus, status);
    }
    RequestParser parser;
    QByteArray buffer = input;
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Error);
    QCOMPARE(parser.errorStatus(), status);
    QVERIFY(!parser.errorMessage().isEmpty());
}

void TestHttpMessage::headerLimitBoundary_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("GET") << QByteArray("GET /abc HTTP/1.1\r\nHost: example.com\r\n\r\n")
                         << QByteArray();
    QTest::newRow("bare LF") << QByteArray("GET /abc HTTP/1.1\nHost: example.com\n\n")
                             << QByteArray();
    QTest::newRow("POST with body")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello") << QByteArray("hello");
}

void TestHttpMessage::headerLimitBoundary()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, body);
    const qsizetype headerSize = input.size() - body.size();

    for (qsizetype step : kSteps) {
        Outcome fits = feed(input, step, Limits{headerSize, 1024});
        QCOMPARE(fits.errorStatus, 0);
        QCOMPARE(fits.requests.size(), 1);
        QCOMPARE(fits.requests.first().body, body);

        Outcome over = feed(input, step, Limits{headerSize - 1, 1024});
        QCOMPARE(over.errorStatus, 431);
        QVERIFY(over.requests.isEmpty());
    }
}

void TestHttpMessage::bodyLimitBoundary_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("wireBody");
    QTest::addColumn<int>("bodySize");

    QTest::newRow("Content-Length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n")
                                    << QByteArray(100, 'b') << 100;
    QTest::newRow("chunked, one chunk")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        << QByteArray("64\r\n" + QByteArray(100, 'b') + "\r\n0\r\n\r\n") << 100;
    QTest::newRow("chunked, many chunks")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        << QByteArray(QByteArray("a\r\n0123456789\r\n").repeated(10) + "0\r\n\r\n") << 100;
}

void TestHttpMessage::bodyLimitBoundary()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, wireBody);
    QFETCH(int, bodySize);
    const QByteArray input = head + wireBody;

    for (qsizetype step : kSteps) {
        Outcome fits = feed(input, step, Limits{1024, bodySize});
        QCOMPARE(fits.errorStatus, 0);
        QCOMPARE(fits.requests.size(), 1);
        QCOMPARE(fits.requests.first().body.size(), bodySize);

        Outcome over = feed(input, step, Limits{1024, bodySize - 1});
        QCOMPARE(over.errorStatus, 413);
        QVERIFY(over.requests.isEmpty());
    }
}

// Errors must be answered as soon as the bytes that prove them are in,
// without waiting for input that an attacker never sends.
void TestHttpMessage::errorsDetectedEarly_data()
{
    QTest::addColumn<QByteArray>("partial");
    QTest::addColumn<int>("maxHeaderBytes");
    QTest::addColumn<int>("maxBodyBytes");
    QTest::addColumn<int>("status");

    QTest::newRow("request line over the header limit, no LF")
        << QByteArray("GET /" + QByteArray(95, 'a')) << 99 << 1000 << 431;
    QTest::newRow("headers over the limit, no blank line")
        << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(200, 'a') + "\r\n") << 100 << 1000
        << 431;
    QTest::newRow("Content-Length over the limit, body not sent")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n") << 1000 << 1000 << 413;
    QTest::newRow("chunk over the limit, data not sent")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n") << 1000
        << 1000 << 413;
    QTest::newRow("chunks accumulate over the limit")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      QByteArray("1f4\r\n" + QByteArray(500, 'c') + "\r\n").repeated(2) + "1\r\n")
        << 1000 << 1000 << 413;
    QTest::newRow("binary first byte") << QByteArray("\x16", 1) << 1000 << 1000 << 400;
    QTest::newRow("NUL first byte") << QByteArray("\x00", 1) << 1000 << 1000 << 400;
    QTest::newRow("bad method byte, no LF") << QByteArray("GE{") << 1000 << 1000 << 400;
    QTest::newRow("bare CR, no LF")
        << QByteArray("GET / HTTP/1.1\r\nX: a\rb") << 1000 << 1000 << 400;
    QTest::newRow("version known before headers end")
        << QByteArray("GET / HTTP/2.0\r\nHost: a\r\n") << 1000 << 1000 << 505;
    QTest::newRow("endless chunk extension")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                      QByteArray(5000, 'x'))
        << 1000 << 1000 << 400;
}

void TestHttpMessage::errorsDetectedEarly()
{
    QFETCH(QByteArray, partial);
    QFETCH(int, maxHeaderBytes);
    QFETCH(int, maxBodyBytes);
    QFETCH(int, status);

    for (qsizetype step : kSteps) {
        const Outcome outcome = feed(partial, step, Limits{maxHeaderBytes, maxBodyBytes});
        QCOMPARE(outcome.errorStatus, status);
    }
}

void TestHttpMessage::pipelining_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArrayList>("targets");
    QTest::addColumn<QByteArrayList>("bodies");
    QTest::addColumn<QByteArray>("rest");

    const QByteArray get = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
    const QByteArray post = "POST /two HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    const QByteArray chunked = "POST /three HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n0\r\nT: 1\r\n\r\n";
    QTest::newRow("three complete")
        << QByteArray(get + post + chunked) << QByteArrayList{"/one", "/two", "/three"}
        << QByteArrayList{"", "hello", "abc"} << QByteArray();
    QTest::newRow("fourth incomplete")
        << QByteArray(get + post + chunked + "GET /fo") << QByteArrayList{"/one", "/two", "/three"}
        << QByteArrayList{"", "hello", "abc"} << QByteArray("GET /fo");
    QTest::newRow("CRLF after a body is skipped")
        << QByteArray(post + "\r\n" + get) << QByteArrayList{"/two", "/one"}
        << QByteArrayList{"hello", ""} << QByteArray();
    QTest::newRow("body bytes look like a request")
        << QByteArray(QByteArray("POST /x HTTP/1.1\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1") +
                      get)
        << QByteArrayList{"/x", "/one"} << QByteArrayList{"GET / HTTP/1.1", ""} << QByteArray();
}

void TestHttpMessage::pipelining()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArrayList, targets);
    QFETCH(QByteArrayList, bodies);
    QFETCH(QByteArray, rest);

    // One parse() call yields exactly one request and leaves the rest.
    {
        RequestParser parser;
        QByteArray buffer = input;
        for (qsizetype i = 0; i < targets.size(); ++i) {
            const qsizetype before = buffer.size();
            QCOMPARE(parser.parse(buffer), RequestParser::Status::Complete);
            QVERIFY(buffer.size() < before);
            const Request r = parser.takeRequest();
            QCOMPARE(r.target, targets.at(i));
            QCOMPARE(r.body, bodies.at(i));
        }
        QCOMPARE(parser.parse(buffer), RequestParser::Status::NeedMore);
        // The incomplete request's bytes are not lost, whatever was consumed.
        QByteArray more = " HTTP/1.1\r\n\r\n";
        if (!rest.isEmpty()) {
            buffer += more;
            QCOMPARE(parser.parse(buffer), RequestParser::Status::Complete);
            QCOMPARE(parser.takeRequest().target, rest.sliced(4));
        }
    }
    for (qsizetype step : kSteps) {
        const Outcome outcome = feed(input, step);
        QCOMPARE(outcome.errorStatus, 0);
        QCOMPARE(outcome.requests.size(), targets.size());
        for (qsizetype i = 0; i < targets.size(); ++i) {
            QCOMPARE(outcome.requests.at(i).target, targets.at(i));
            QCOMPARE(outcome.requests.at(i).body, bodies.at(i));
        }
    }
    const Outcome all = feed(input, 0);
    QCOMPARE(all.rest, rest);
}

void TestHttpMessage::incompleteRequestWaits_data()
{
    QTest::addColumn<QByteArray>("partial");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("half request line") << QByteArray("GET /socket.io/?EI");
    QTest::newRow("no blank line") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n");
    QTest::newRow("CR of the blank line") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r");
    QTest::newRow("partial body") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel");
    QTest::newRow("chunked, no last chunk")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    QTest::newRow("chunked, no trailer end")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n");
}

void TestHttpMessage::incompleteRequestWaits()
{
    QFETCH(QByteArray, partial);
    for (qsizetype step : kSteps) {
        const Outcome outcome = feed(partial, step);
        QCOMPARE(outcome.errorStatus, 0);
        QVERIFY(outcome.requests.isEmpty());
    }
}

void TestHttpMessage::errorIsFinal()
{
    RequestParser parser;
    QByteArray buffer = "BAD\x01 / HTTP/1.1\r\n\r\n";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Error);
    QCOMPARE(parser.errorStatus(), 400);
    buffer = "GET / HTTP/1.1\r\n\r\n";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Error);
    QCOMPARE(parser.errorStatus(), 400);
}

void TestHttpMessage::parserIsReusable()
{
    // Limits and state carry over correctly from one request to the next.
    RequestParser parser(Limits{64, 8});
    QByteArray buffer = "POST /a HTTP/1.1\r\nContent-Length: 8\r\n\r\n12345678";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Complete);
    QCOMPARE(parser.takeRequest().body, QByteArray("12345678"));
    buffer = "GET /b HTTP/1.1\r\nX-Long: " + QByteArray(30, 'x') + "\r\n\r\n";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Complete);
    const Request second = parser.takeRequest();
    QCOMPARE(second.path, QByteArray("/b"));
    QVERIFY(second.body.isEmpty());
    QCOMPARE(second.headers.size(), 1);

    parser.setLimits(Limits{64, 4});
    buffer = "POST /c HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Error);
    QCOMPARE(parser.errorStatus(), 413);
}

void TestHttpMessage::headerLookup()
{
    RequestParser parser;
    QByteArray buffer = "GET / HTTP/1.1\r\nX-Dup: first\r\nx-dup: second\r\nEmpty:\r\n\r\n";
    QCOMPARE(parser.parse(buffer), RequestParser::Status::Complete);
    const Request r = parser.takeRequest();
    QCOMPARE(r.header("X-DUP"), QByteArray("first"));
    QCOMPARE(r.header("x-dup"), QByteArray("first"));
    QVERIFY(r.hasHeader("X-Dup"));
    QVERIFY(r.hasHeader("empty"));
    QVERIFY(r.header("empty").isEmpty());
    QVERIFY(!r.hasHeader("missing"));
    QVERIFY(r.header("missing").isNull());
    QVERIFY(!r.hasHeader("x-du"));
}

void TestHttpMessage::keepAlive_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("keepAlive");

    QTest::newRow("1.1 default") << QByteArray("GET / HTTP/1.1\r\n\r\n") << true;
    QTest::newRow("1.1 close") << QByteArray("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                               << false;
    QTest::newRow("1.1 Close, case-insensitive")
        << QByteArray("GET / HTTP/1.1\r\nConnection: CLOSE\r\n\r\n") << false;
    QTest::newRow("1.1 close in list")
        << QByteArray("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n") << false;
    QTest::newRow("1.1 close in second header")
        << QByteArray("GET / HTTP/1.1\r\nConnection: TE\r\nConnection: close\r\n\r\n") << false;
    QTest::newRow("1.1 closed is not close")
        << QByteArray("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n") << true;
    QTest::newRow("1.1 keep-alive")
        << QByteArray("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n") << true;
    QTest::newRow("1.0 default") << QByteArray("GET / HTTP/1.0\r\n\r\n") << false;
    QTest::newRow("1.0 keep-alive")
        << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << true;
    QTest::newRow("1.0 Keep-Alive in list")
        << QByteArray("GET / HTTP/1.0\r\nConnection: foo , Keep-Alive\r\n\r\n") << true;
    QTest::newRow("1.0 keep-alive and close")
        << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n") << false;
    QTest::newRow("1.0 keep-alive as a value substring")
        << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n") << false;
}

void TestHttpMessage::keepAlive()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, keepAlive);
    RequestParser parser;
    QCOMPARE(parser.parse(input), RequestParser::Status::Complete);
    QCOMPARE(parser.takeRequest().keepAlive(), keepAlive);
}

void TestHttpMessage::webSocketUpgrade_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("upgrade");

    const QByteArray rest = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n";
    QTest::newRow("browser") << QByteArray(
                                    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                                    "Host: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                                    rest)
                             << true;
    QTest::newRow("case-insensitive")
        << QByteArray("GET / HTTP/1.1\r\nUPGRADE: WebSocket\r\nconnection: upgrade\r\n" + rest)
        << true;
    QTest::newRow("Firefox connection list")
        << QByteArray(
               "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" + rest)
        << true;
    QTest::newRow("POST")
        << QByteArray("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + rest)
        << false;
    QTest::newRow("no Upgrade header")
        << QByteArray("GET / HTTP/1.1\r\nConnection: Upgrade\r\n" + rest) << false;
    QTest::newRow("other protocol")
        << QByteArray("GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + rest) << false;
    QTest::newRow("no Connection header")
        << QByteArray("GET / HTTP/1.1\r\nUpgrade: websocket\r\n" + rest) << false;
    QTest::newRow("Connection without upgrade token")
        << QByteArray("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + rest)
        << false;
    QTest::newRow("upgrade only as substring")
        << QByteArray("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgraded\r\n" + rest)
        << false;
}

void TestHttpMessage::webSocketUpgrade()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, upgrade);
    RequestParser parser;
    QCOMPARE(parser.parse(input), RequestParser::Status::Complete);
    QCOMPARE(parser.takeRequest().isWebSocketUpgrade(), upgrade);
}

void TestHttpMessage::queryItems_data()
{
    QTest::addColumn<QByteArray>("rawQuery");
    QTest::addColumn<QByteArrayList>("items");

    QTest::newRow("none") << QByteArray() << QByteArrayList{};
    QTest::newRow("engine.io") << QByteArray("EIO=4&transport=polling&t=NxYz&sid=ab-_c")
                               << QByteArrayList{"EIO=4", "transport=polling", "t=NxYz",
                                                 "sid=ab-_c"};
    QTest::newRow("no value") << QByteArray("flag&b64=1") << QByteArrayList{"flag=", "b64=1"};
    QTest::newRow("empty value") << QByteArray("a=&b") << QByteArrayList{"a=", "b="};
    QTest::newRow("empty segments") << QByteArray("&a=1&&b=2&") << QByteArrayList{"a=1", "b=2"};
    QTest::newRow("plus and percent") << QByteArray("q=hello+world%21&k%20ey=a%3Db%26c")
                                      << QByteArrayList{"q=hello world!", "k ey=a=b&c"};
    QTest::newRow("second equals stays in value") << QByteArray("a=b=c") << QByteArrayList{"a=b=c"};
    QTest::newRow("utf-8") << QByteArray("name=%C3%A9t%C3%A9")
                           << QByteArrayList{"name=\xc3\xa9t\xc3\xa9"};
    QTest::newRow("invalid escapes kept")
        << QByteArray("a=%zz%4&b=%") << QByteArrayList{"a=%zz%4", "b=%"};
    QTest::newRow("duplicates in order") << QByteArray("x=1&x=2") << QByteArrayList{"x=1", "x=2"};
}

void TestHttpMessage::queryItems()
{
    QFETCH(QByteArray, rawQuery);
    QFETCH(QByteArrayList, items);
    Request r;
    r.rawQuery = rawQuery;
    QCOMPARE(itemLines(r.queryItems()), items);
}

void TestHttpMessage::queryValue_data()
{
    QTest::addColumn<QByteArray>("rawQuery");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("present");
    QTest::addColumn<QByteArray>("value");

    QTest::newRow("present") << QByteArray("EIO=4&sid=abc") << QByteArray("sid") << true
                             << QByteArray("abc");
    QTest::newRow("first of duplicates")
        << QByteArray("x=1&x=2") << QByteArray("x") << true << QByteArray("1");
    QTest::newRow("absent") << QByteArray("EIO=4") << QByteArray("sid") << false << QByteArray();
    QTest::newRow("prefix is not a match")
        << QByteArray("sidx=1") << QByteArray("sid") << false << QByteArray();
    QTest::newRow("no value") << QByteArray("a&b=1") << QByteArray("a") << true << QByteArray("");
    QTest::newRow("empty value") << QByteArray("a=&b=1") << QByteArray("a") << true
                                 << QByteArray("");
    QTest::newRow("encoded key") << QByteArray("my%20key=v+1") << QByteArray("my key") << true
                                 << QByteArray("v 1");
    QTest::newRow("plus key") << QByteArray("my+key=v") << QByteArray("my key") << true
                              << QByteArray("v");
    QTest::newRow("empty query") << QByteArray() << QByteArray("a") << false << QByteArray();
}

void TestHttpMessage::queryValue()
{
    QFETCH(QByteArray, rawQuery);
    QFETCH(QByteArray, key);
    QFETCH(bool, present);
    QFETCH(QByteArray, value);
    Request r;
    r.rawQuery = rawQuery;
    QCOMPARE(r.hasQueryItem(key), present);
    const QByteArray actual = r.queryValue(key);
    QCOMPARE(actual.isNull(), !present);
    QCOMPARE(actual, value);
}

void TestHttpMessage::percentDecode_data()
{
    QTest::addColumn<QByteArray>("in");
    QTest::addColumn<bool>("plusAsSpace");
    QTest::addColumn<QByteArray>("out");

    QTest::newRow("plain") << QByteArray("abc/def") << false << QByteArray("abc/def");
    QTest::newRow("empty") << QByteArray() << true << QByteArray();
    QTest::newRow("escapes") << QByteArray("%41%62%2f%2F") << false << QByteArray("Ab//");
    QTest::newRow("NUL escape") << QByteArray("a%00b") << false << QByteArray("a\0b", 3);
    QTest::newRow("high byte") << QByteArray("%ff%FE") << false << QByteArray("\xff\xfe");
    QTest::newRow("plus kept") << QByteArray("a+b") << false << QByteArray("a+b");
    QTest::newRow("plus as space") << QByteArray("a+b") << true << QByteArray("a b");
    QTest::newRow("encoded plus") << QByteArray("a%2Bb") << true << QByteArray("a+b");
    QTest::newRow("truncated escape") << QByteArray("a%4") << false << QByteArray("a%4");
    QTest::newRow("lone percent") << QByteArray("%") << false << QByteArray("%");
    QTest::newRow("bad hex") << QByteArray("%g1%1g") << false << QByteArray("%g1%1g");
    QTest::newRow("escape at end") << QByteArray("ab%21") << false << QByteArray("ab!");
    QTest::newRow("double percent") << QByteArray("%%41") << false << QByteArray("%A");
}

void TestHttpMessage::percentDecode()
{
    QFETCH(QByteArray, in);
    QFETCH(bool, plusAsSpace);
    QFETCH(QByteArray, out);
    QCOMPARE(qpush::http::percentDecode(in, plusAsSpace), out);
}

void TestHttpMessage::serializeResponse_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArrayList>("headers"); // name, value, name, value...
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("200 keep-alive")
        << 200 << QByteArrayList{"Content-Type", "text/plain; charset=UTF-8"} << QByteArray("ok")
        << true
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
    QTest::newRow("400 close") << 400 << QByteArrayList{} << QByteArray() << false
                               << QByteArray("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                             "Connection: close\r\n\r\n");
    QTest::newRow("several headers in order")
        << 404 << QByteArrayList{"X-A", "1", "X-B", "2", "X-A", "3"} << QByteArray("nope") << true
        << QByteArray("HTTP/1.1 404 Not Found\r\nX-A: 1\r\nX-B: 2\r\nX-A: 3\r\n"
                      "Content-Length: 4\r\nConnection: keep-alive\r\n\r\nnope");
    QTest::newRow("binary body")
        << 200 << QByteArrayList{} << QByteArray("\x00\x01\r\n", 4) << true
        << QByteArray(
               QByteArray(
                   "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\n") +
               QByteArray("\x00\x01\r\n", 4));
    QTest::newRow("413") << 413 << QByteArrayList{} << QByteArray() << false
                         << QByteArray("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n"
                                       "Connection: close\r\n\r\n");
    QTest::newRow("204 has no Content-Length")
        << 204 << QByteArrayList{} << QByteArray() << true
        << QByteArray("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    QTest::newRow("101 upgrade")
        << 101
        << QByteArrayList{"Upgrade",
                          "websocket",
                          "Connection",
                          "Upgrade",
                          "Sec-WebSocket-Accept",
                          "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}
        << QByteArray() << true
        << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
                      "\r\n\r\n");
    QTest::newRow("unknown status") << 299 << QByteArrayList{} << QByteArray() << true
                                    << QByteArray("HTTP/1.1 299 Unknown\r\nContent-Length: 0\r\n"
                                                  "Connection: keep-alive\r\n\r\n");
}

void TestHttpMessage::serializeResponse()
{
    QFETCH(int, status);
    QFETCH(QByteArrayList, headers);
    QFETCH(QByteArray, body);
    QFETCH(bool, keepAlive);
    QFETCH(QByteArray, expected);
    Headers list;
    for (qsizetype i = 0; i + 1 < headers.size(); i += 2)
        list.append(Header{headers.at(i), headers.at(i + 1)});
    QCOMPARE(qpush::http::serializeResponse(status, list, body, keepAlive), expected);
}

void TestHttpMessage::reasonPhrase_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("reason");
    QTest::newRow("101") << 101 << QByteArray("Switching Protocols");
    QTest::newRow("200") << 200 << QByteArray("OK");
    QTest::newRow("400") << 400 << QByteArray("Bad Request");
    QTest::newRow("401") << 401 << QByteArray("Unauthorized");
    QTest::newRow("403") << 403 << QByteArray("Forbidden");
    QTest::newRow("404") << 404 << QByteArray("Not Found");
    QTest::newRow("413") << 413 << QByteArray("Content Too Large");
    QTest::newRow("431") << 431 << QByteArray("Request Header Fields Too Large");
    QTest::newRow("500") << 500 << QByteArray("Internal Server Error");
    QTest::newRow("501") << 501 << QByteArray("Not Implemented");
    QTest::newRow("503") << 503 << QByteArray("Service Unavailable");
    QTest::newRow("505") << 505 << QByteArray("HTTP Version Not Supported");
}

void TestHttpMessage::reasonPhrase()
{
    QFETCH(int, status);
    QFETCH(QByteArray, reason);
    QCOMPARE(qpush::http::reasonPhrase(status), reason);
}

// A serialized response is a well-formed HTTP message: its status line and
// headers parse with our own header rules when turned into a request shape.
void TestHttpMessage::responseRoundTrip()
{
    const QByteArray body(70000, 'z');
    const QByteArray out = qpush::http::serializeResponse(
        200, Headers{Header{"Content-Type", "application/octet-stream"}}, body, true);
    const qsizetype headerEnd = out.indexOf("\r\n\r\n");
    QVERIFY(headerEnd > 0);
    QCOMPARE(out.sliced(headerEnd + 4), body);
    QVERIFY(out.first(headerEnd).contains("\r\nContent-Length: 70000\r\n"));
    QVERIFY(out.first(headerEnd).contains("\r\nConnection: keep-alive"));
}

QTEST_APPLESS_MAIN(TestHttpMessage)
#include "tst_httpmessage.moc"
