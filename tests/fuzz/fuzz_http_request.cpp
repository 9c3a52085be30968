// HTTP/1.1 requests as both ports read them (qpush::http::RequestParser).
// Input: the raw bytes a client sends (one or several pipelined requests).
// Each input is parsed twice with the server's limits and twice with small
// limits (so that the 413/431 paths are reachable with short inputs): in one
// read, and in reads of a few bytes. Both must give the same requests and the
// same final status (the parser promises that the split does not matter).
// Every request is then asked what the servers ask (query items, keep-alive,
// upgrade, CORS answers) and an answer is serialized.
#include "fuzzcheck.h"

#include "net/httpmessage.h"
#include "net/websocketframe.h"

using namespace qpush;

namespace {

constexpr int kMaxRequests = 64;

struct Outcome
{
    QList<http::Request> requests;
    http::RequestParser::Status last = http::RequestParser::Status::NeedMore;
    int errorStatus = 0;
};

bool sameRequest(const http::Request &a, const http::Request &b)
{
    if (a.method != b.method || a.target != b.target || a.path != b.path ||
        a.rawQuery != b.rawQuery || a.minorVersion != b.minorVersion || a.body != b.body ||
        a.headers.size() != b.headers.size())
        return false;
    for (qsizetype i = 0; i < a.headers.size(); ++i) {
        if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value)
            return false;
    }
    return true;
}

Outcome parse(QByteArrayView input, qsizetype step, http::Limits limits)
{
    Outcome out;
    http::RequestParser parser(limits);
    QByteArray buffer;
    qsizetype fed = 0;
    while (out.requests.size() < kMaxRequests) {
        const http::RequestParser::Status status = parser.parse(buffer);
        out.last = status;
        if (status == http::RequestParser::Status::Complete) {
            out.requests.append(parser.takeRequest());
            continue;
        }
        if (status == http::RequestParser::Status::Error) {
            out.errorStatus = parser.errorStatus();
            FUZZ_CHECK(out.errorStatus >= 400 && out.errorStatus < 600);
            break;
        }
        if (fed == input.size())
            break;
        const qsizetype n = qMin(step, input.size() - fed);
        buffer.append(input.sliced(fed, n));
        fed += n;
    }
    return out;
}

void inspect(const http::Request &r)
{
    const auto items = r.queryItems();
    for (const auto &[key, value] : items) {
        // The first item of a key is what queryValue returns.
        FUZZ_CHECK(r.hasQueryItem(key));
        FUZZ_CHECK(!r.queryValue(key).isNull());
    }
    (void)r.queryValue("EIO");
    (void)r.queryValue("sid");
    (void)r.keepAlive();
    if (r.isWebSocketUpgrade())
        (void)ws::acceptKey(r.header("sec-websocket-key"));
    const http::Headers cors = http::corsHeaders(r);
    const http::Headers preflight = http::corsPreflightHeaders(r, "Authorization, Content-Type");
    const QByteArray answer = http::serializeResponse(200, preflight, r.body, r.keepAlive());
    FUZZ_CHECK(answer.startsWith("HTTP/1.1 200 OK\r\n"));
    FUZZ_CHECK(answer.endsWith(r.body));
    (void)cors;
}

void run(QByteArrayView input, http::Limits limits)
{
    const Outcome whole = parse(input, qMax<qsizetype>(input.size(), 1), limits);
    const Outcome pieces = parse(input, fuzz::stepFor(input), limits);
    FUZZ_CHECK(whole.last == pieces.last);
    FUZZ_CHECK(whole.errorStatus == pieces.errorStatus);
    FUZZ_CHECK(whole.requests.size() == pieces.requests.size());
    for (qsizetype i = 0; i < whole.requests.size(); ++i) {
        FUZZ_CHECK(sameRequest(whole.requests[i], pieces.requests[i]));
        FUZZ_CHECK(whole.requests[i].body.size() <= limits.maxBodyBytes);
        inspect(whole.requests[i]);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input = fuzz::bytes(data, size);
    run(input, http::Limits{});
    run(input, http::Limits{256, 512});
    return 0;
}
