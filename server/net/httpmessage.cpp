#include "net/httpmessage.h"

#include <cstring>

namespace qpush::http {

namespace {

// A chunk-size line (size + extensions) longer than this is an attack, not a
// client: real extensions are a few bytes, most clients send none.
constexpr qsizetype kMaxChunkLine = 4096;

// RFC 9110 tchar: the characters of methods, header names and tokens.
constexpr bool isTchar(uchar c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

// Control characters that may appear nowhere in a header section. CR is
// handled separately (only valid right before LF), HTAB is whitespace.
constexpr bool isForbiddenCtl(uchar c)
{
    return (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f;
}

constexpr int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

QByteArrayView trimOws(QByteArrayView v)
{
    qsizetype b = 0;
    qsizetype e = v.size();
    while (b < e && (v[b] == ' ' || v[b] == '\t'))
        ++b;
    while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
        --e;
    return v.sliced(b, e - b);
}

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// Calls f(item) for each comma-separated, OWS-trimmed item of a header list,
// including empty ones (callers decide whether those are errors).
template <typename F> void forEachListItem(QByteArrayView list, F &&f)
{
    for (;;) {
        const qsizetype comma = list.indexOf(',');
        f(trimOws(comma < 0 ? list : list.first(comma)));
        if (comma < 0)
            return;
        list = list.sliced(comma + 1);
    }
}

// True when any header `name` (lower-case) has `token` in its list.
bool headerHasToken(const Headers &headers, QByteArrayView name, QByteArrayView token)
{
    bool found = false;
    for (const Header &h : headers) {
        if (h.name != name)
            continue;
        forEachListItem(h.value, [&](QByteArrayView item) {
            if (equalsIgnoreCase(item, token))
                found = true;
        });
        if (found)
            return true;
    }
    return false;
}

// Calls f(rawKey, rawValue) for each non-empty '&'-separated query item; an
// item without '=' has an empty (non-null) value.
template <typename F> void forEachQueryItem(QByteArrayView query, F &&f)
{
    while (!query.isEmpty()) {
        const qsizetype amp = query.indexOf('&');
        const QByteArrayView item = amp < 0 ? query : query.first(amp);
        if (!item.isEmpty()) {
            const qsizetype eq = item.indexOf('=');
            if (eq < 0) {
                if (!f(item, QByteArrayView(item.data() + item.size(), 0)))
                    return;
            } else if (!f(item.first(eq), item.sliced(eq + 1))) {
                return;
            }
        }
        if (amp < 0)
            return;
        query = query.sliced(amp + 1);
    }
}

QByteArray nonNull(QByteArray value)
{
    if (value.isNull())
        return QByteArray("", 0);
    return value;
}

// Compares a raw (still encoded) query key with a decoded key without
// allocating in the common case of a key with nothing to decode.
bool queryKeyEquals(QByteArrayView rawKey, QByteArrayView key)
{
    if (!rawKey.contains('%') && !rawKey.contains('+'))
        return rawKey == key;
    return percentDecode(rawKey, true) == key;
}

} // namespace

// ---------------------------------------------------------------- Request

QByteArray Request::header(QByteArrayView name) const
{
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return h.value;
    }
    return {};
}

QByteArray Request::joinedHeader(QByteArrayView name) const
{
    QByteArray out;
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            out += (out.isEmpty() ? "" : ",") + h.value;
    }
    return out;
}

bool Request::hasHeader(QByteArrayView name) const
{
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return true;
    }
    return false;
}

bool Request::keepAlive() const
{
    if (headerHasToken(headers, "connection", "close"))
        return false;
    if (minorVersion >= 1)
        return true;
    return headerHasToken(headers, "connection", "keep-alive");
}

bool Request::isWebSocketUpgrade() const
{
    return method == "GET" && headerHasToken(headers, "upgrade", "websocket") &&
           headerHasToken(headers, "connection", "upgrade");
}

QList<QPair<QByteArray, QByteArray>> Request::queryItems() const
{
    QList<QPair<QByteArray, QByteArray>> items;
    forEachQueryItem(rawQuery, [&](QByteArrayView key, QByteArrayView value) {
        items.append({nonNull(percentDecode(key, true)), nonNull(percentDecode(value, true))});
        return true;
    });
    return items;
}

QByteArray Request::queryValue(QByteArrayView key) const
{
    QByteArray result;
    forEachQueryItem(rawQuery, [&](QByteArrayView rawKey, QByteArrayView rawValue) {
        if (!queryKeyEquals(rawKey, key))
            return true;
        result = nonNull(percentDecode(rawValue, true));
        return false;
    });
    return result;
}

bool Request::hasQueryItem(QByteArrayView key) const
{
    bool found = false;
    forEachQueryItem(rawQuery, [&](QByteArrayView rawKey, QByteArrayView) {
        found = queryKeyEquals(rawKey, key);
        return !found;
    });
    return found;
}

// ---------------------------------------------------------- RequestParser

RequestParser::Status RequestParser::fail(int status, QByteArray message)
{
    m_phase = Phase::Failed;
    m_errorStatus = status;
    m_errorMessage = std::move(message);
    return Status::Error;
}

void RequestParser::reset()
{
    m_request = Request();
    m_phase = Phase::Headers;
    m_scanPos = 0;
    m_sectionBytes = 0;
    m_remaining = 0;
    m_haveRequestLine = false;
    m_methodDone = false;
    m_expectContinue = false;
}

Request RequestParser::takeRequest()
{
    Request request = std::move(m_request);
    reset();
    return request;
}

RequestParser::Status RequestParser::parse(QByteArray &buffer)
{
    switch (m_phase) {
    case Phase::Failed:
        return Status::Error;
    case Phase::Done:
        reset(); // the previous request was not taken: drop it
        return parseHeaderSection(buffer);
    case Phase::Headers:
        return parseHeaderSection(buffer);
    case Phase::Body:
        return readBody(buffer);
    default:
        return parseChunked(buffer);
    }
}

// Scans the header section (or the trailer section of a chunked body) one
// byte at a time from where the previous call stopped. Every error is found
// at a byte position, so the result does not depend on how the input was
// split into reads.
RequestParser::Status RequestParser::parseHeaderSection(QByteArray &buffer)
{
    const bool trailers = m_phase == Phase::Trailers;
    const char *d = buffer.constData();
    const qsizetype n = buffer.size();
    qsizetype lineStart = 0;
    bool sectionDone = false;

    for (qsizetype i = m_scanPos; i < n; ++i) {
        if (m_sectionBytes + i >= m_limits.maxHeaderBytes) {
            return fail(431, trailers ? QByteArrayLiteral("Trailer section too large")
                                      : QByteArrayLiteral("Header section too large"));
        }
        const uchar c = uchar(d[i]);
        if (c == '\n') {
            qsizetype end = i;
            if (end > lineStart && d[end - 1] == '\r')
                --end;
            const QByteArrayView line(d + lineStart, end - lineStart);
            lineStart = i + 1;
            if (line.isEmpty()) {
                if (!trailers && !m_haveRequestLine)
                    continue; // RFC 9112 2.2: ignore empty lines before the request line
                sectionDone = true;
                break;
            }
            const Status status =
                !trailers && !m_haveRequestLine ? parseRequestLine(line) : parseHeaderLine(line);
            if (status == Status::Error)
                return status;
            continue;
        }
        if (i > lineStart && d[i - 1] == '\r')
            return fail(400, QByteArrayLiteral("Bare CR in header section"));
        if (isForbiddenCtl(c))
            return fail(400, QByteArrayLiteral("Control character in header section"));
        // Reject garbage (binary, TLS on a plain port) at its first byte
        // instead of waiting for a line end that may never come.
        if (!trailers && !m_haveRequestLine && !m_methodDone && c != '\r') {
            if (c == ' ') {
                if (i == lineStart)
                    return fail(400, QByteArrayLiteral("Empty method"));
                m_methodDone = true;
            } else if (!isTchar(c)) {
                return fail(400, QByteArrayLiteral("Invalid character in method"));
            }
        }
    }

    buffer.remove(0, lineStart);
    if (!sectionDone) {
        m_sectionBytes += lineStart;
        m_scanPos = n - lineStart;
        return Status::NeedMore;
    }
    m_sectionBytes = 0;
    m_scanPos = 0;
    if (trailers) {
        m_phase = Phase::Done;
        return Status::Complete;
    }

    // Framing: Content-Length, Transfer-Encoding (RFC 9112 6).
    bool haveLength = false;
    qint64 length = 0;
    bool haveEncoding = false;
    int codings = 0;
    bool chunked = false;
    bool badList = false;
    m_expectContinue = false;
    for (const Header &h : std::as_const(m_request.headers)) {
        if (h.name == "expect") {
            // RFC 9110 10.1.1: 100-continue is the only expectation defined.
            if (!equalsIgnoreCase(h.value.trimmed(), "100-continue"))
                return fail(417, QByteArrayLiteral("Unsupported expectation"));
            m_expectContinue = m_request.minorVersion >= 1;
        } else if (h.name == "content-length") {
            forEachListItem(h.value, [&](QByteArrayView item) {
                if (item.isEmpty()) {
                    badList = true;
                    return;
                }
                qint64 value = 0;
                for (char ch : item) {
                    if (ch < '0' || ch > '9') {
                        badList = true;
                        return;
                    }
                    // Saturate: anything this large is over every limit.
                    value = value > (qint64(1) << 50) ? value : value * 10 + (ch - '0');
                }
                if (haveLength && value != length)
                    badList = true;
                haveLength = true;
                length = value;
            });
            if (badList)
                return fail(400, QByteArrayLiteral("Invalid Content-Length"));
        } else if (h.name == "transfer-encoding") {
            haveEncoding = true;
            forEachListItem(h.value, [&](QByteArrayView item) {
                if (item.isEmpty()) {
                    badList = true;
                    return;
                }
                ++codings;
                chunked = equalsIgnoreCase(item, "chunked");
            });
            if (badList)
                return fail(400, QByteArrayLiteral("Invalid Transfer-Encoding"));
        }
    }
    if (haveEncoding && haveLength)
        return fail(400, QByteArrayLiteral("Both Content-Length and Transfer-Encoding"));
    if (haveEncoding) {
        if (codings != 1 || !chunked)
            return fail(501, QByteArrayLiteral("Unsupported Transfer-Encoding"));
        m_phase = Phase::ChunkSize;
        return parseChunked(buffer);
    }
    if (length > m_limits.maxBodyBytes)
        return fail(413, QByteArrayLiteral("Body too large"));
    m_remaining = length;
    m_phase = Phase::Body;
    return readBody(buffer);
}

RequestParser::Status RequestParser::parseRequestLine(QByteArrayView line)
{
    const qsizetype sp1 = line.indexOf(' ');
    if (sp1 <= 0)
        return fail(400, QByteArrayLiteral("Malformed request line"));
    const qsizetype sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || sp2 == sp1 + 1)
        return fail(400, QByteArrayLiteral("Malformed request line"));
    const QByteArrayView method = line.first(sp1);
    const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = line.sliced(sp2 + 1);

    if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return fail(400, QByteArrayLiteral("Malformed HTTP version"));
    }
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        return fail(505, QByteArrayLiteral("HTTP version not supported"));

    QByteArrayView pathAndQuery;
    if (target.startsWith('/') || (target == "*" && method == "OPTIONS")) {
        pathAndQuery = target; // origin-form, or asterisk-form for OPTIONS
    } else {
        // absolute-form (RFC 9112 3.2.2): servers must accept it.
        qsizetype schemeEnd = -1;
        if (target.size() > 7 && equalsIgnoreCase(target.first(7), "http://"))
            schemeEnd = 7;
        else if (target.size() > 8 && equalsIgnoreCase(target.first(8), "https://"))
            schemeEnd = 8;
        if (schemeEnd < 0)
            return fail(400, QByteArrayLiteral("Invalid request target"));
        qsizetype authorityEnd = schemeEnd;
        while (authorityEnd < target.size() && target[authorityEnd] != '/' &&
               target[authorityEnd] != '?') {
            ++authorityEnd;
        }
        if (authorityEnd == schemeEnd)
            return fail(400, QByteArrayLiteral("Invalid request target"));
        pathAndQuery = target.sliced(authorityEnd);
    }
    for (char ch : target) {
        if (ch == '\t')
            return fail(400, QByteArrayLiteral("Invalid request target"));
    }

    const qsizetype question = pathAndQuery.indexOf('?');
    const QByteArrayView rawPath = question < 0 ? pathAndQuery : pathAndQuery.first(question);
    m_request.method = method.toByteArray();
    m_request.target = target.toByteArray();
    m_request.path = rawPath.isEmpty() ? QByteArrayLiteral("/") : percentDecode(rawPath, false);
    if (question >= 0)
        m_request.rawQuery = nonNull(pathAndQuery.sliced(question + 1).toByteArray());
    m_request.minorVersion = version[7] - '0';
    m_haveRequestLine = true;
    return Status::NeedMore;
}

RequestParser::Status RequestParser::parseHeaderLine(QByteArrayView line)
{
    if (line[0] == ' ' || line[0] == '\t')
        return fail(400, QByteArrayLiteral("Obsolete line folding"));
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return fail(400, QByteArrayLiteral("Malformed header line"));
    const QByteArrayView name = line.first(colon);
    for (char ch : name) {
        if (!isTchar(uchar(ch)))
            return fail(400, QByteArrayLiteral("Invalid header name"));
    }
    if (m_phase == Phase::Trailers)
        return Status::NeedMore; // trailers are checked, then dropped
    m_request.headers.append(
        Header{name.toByteArray().toLower(), trimOws(line.sliced(colon + 1)).toByteArray()});
    return Status::NeedMore;
}

RequestParser::Status RequestParser::readBody(QByteArray &buffer)
{
    if (buffer.size() < m_remaining)
        return Status::NeedMore;
    if (buffer.size() == m_remaining) {
        m_request.body.swap(buffer); // the usual polling POST: no copy
        buffer = QByteArray();
    } else {
        m_request.body = buffer.first(m_remaining);
        buffer.remove(0, m_remaining);
    }
    m_remaining = 0;
    m_phase = Phase::Done;
    return Status::Complete;
}

RequestParser::Status RequestParser::parseChunked(QByteArray &buffer)
{
    for (;;) {
        switch (m_phase) {
        case Phase::ChunkSize: {
            const char *d = buffer.constData();
            const qsizetype n = buffer.size();
            qsizetype lf = -1;
            for (qsizetype i = m_scanPos; i < n; ++i) {
                if (i >= kMaxChunkLine)
                    return fail(400, QByteArrayLiteral("Chunk size line too long"));
                const uchar c = uchar(d[i]);
                if (c == '\n') {
                    lf = i;
                    break;
                }
                if (i > 0 && d[i - 1] == '\r')
                    return fail(400, QByteArrayLiteral("Bare CR in chunk size line"));
                if (isForbiddenCtl(c))
                    return fail(400, QByteArrayLiteral("Control character in chunk size line"));
            }
            if (lf < 0) {
                m_scanPos = n;
                return Status::NeedMore;
            }
            QByteArrayView line(d, lf > 0 && d[lf - 1] == '\r' ? lf - 1 : lf);
            qint64 size = 0;
            qsizetype digits = 0;
            for (; digits < line.size(); ++digits) {
                const int v = hexValue(line[digits]);
                if (v < 0)
                    break;
                size = size > (qint64(1) << 50) ? size : size * 16 + v;
            }
            if (digits == 0)
                return fail(400, QByteArrayLiteral("Invalid chunk size"));
            const QByteArrayView rest = trimOws(line.sliced(digits));
            if (!rest.isEmpty() && rest[0] != ';')
                return fail(400, QByteArrayLiteral("Invalid chunk size"));
            buffer.remove(0, lf + 1);
            m_scanPos = 0;
            if (size == 0) {
                m_phase = Phase::Trailers;
                m_sectionBytes = 0;
                break;
            }
            if (size > m_limits.maxBodyBytes - m_request.body.size())
                return fail(413, QByteArrayLiteral("Body too large"));
            m_remaining = size;
            m_phase = Phase::ChunkData;
            break;
        }
        case Phase::ChunkData: {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, buffer.size()));
            if (take == 0)
                return Status::NeedMore;
            m_request.body.append(buffer.constData(), take);
            buffer.remove(0, take);
            m_remaining -= take;
            if (m_remaining > 0)
                return Status::NeedMore;
            m_phase = Phase::ChunkDataEnd;
            break;
        }
        case Phase::ChunkDataEnd:
            if (buffer.isEmpty())
                return Status::NeedMore;
            if (buffer.front() == '\n') {
                buffer.remove(0, 1);
            } else if (buffer.front() == '\r') {
                if (buffer.size() < 2)
                    return Status::NeedMore;
                if (buffer.at(1) != '\n')
                    return fail(400, QByteArrayLiteral("Missing CRLF after chunk data"));
                buffer.remove(0, 2);
            } else {
                return fail(400, QByteArrayLiteral("Missing CRLF after chunk data"));
            }
            m_phase = Phase::ChunkSize;
            break;
        case Phase::Trailers:
            return parseHeaderSection(buffer);
        default:
            Q_UNREACHABLE();
            return Status::Error;
        }
    }
}

// ---------------------------------------------------------- serialization

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return QByteArrayLiteral("Continue");
    case 101:
        return QByteArrayLiteral("Switching Protocols");
    case 200:
        return QByteArrayLiteral("OK");
    case 201:
        return QByteArrayLiteral("Created");
    case 202:
        return QByteArrayLiteral("Accepted");
    case 204:
        return QByteArrayLiteral("No Content");
    case 206:
        return QByteArrayLiteral("Partial Content");
    case 301:
        return QByteArrayLiteral("Moved Permanently");
    case 302:
        return QByteArrayLiteral("Found");
    case 303:
        return QByteArrayLiteral("See Other");
    case 304:
        return QByteArrayLiteral("Not Modified");
    case 307:
        return QByteArrayLiteral("Temporary Redirect");
    case 308:
        return QByteArrayLiteral("Permanent Redirect");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 403:
        return QByteArrayLiteral("Forbidden");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 406:
        return QByteArrayLiteral("Not Acceptable");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 409:
        return QByteArrayLiteral("Conflict");
    case 410:
        return QByteArrayLiteral("Gone");
    case 411:
        return QByteArrayLiteral("Length Required");
    case 412:
        return QByteArrayLiteral("Precondition Failed");
    case 413:
        return QByteArrayLiteral("Content Too Large");
    case 417:
        return QByteArrayLiteral("Expectation Failed");
    case 414:
        return QByteArrayLiteral("URI Too Long");
    case 415:
        return QByteArrayLiteral("Unsupported Media Type");
    case 422:
        return QByteArrayLiteral("Unprocessable Content");
    case 426:
        return QByteArrayLiteral("Upgrade Required");
    case 429:
        return QByteArrayLiteral("Too Many Requests");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 501:
        return QByteArrayLiteral("Not Implemented");
    case 502:
        return QByteArrayLiteral("Bad Gateway");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 504:
        return QByteArrayLiteral("Gateway Timeout");
    case 505:
        return QByteArrayLiteral("HTTP Version Not Supported");
    default:
        return QByteArrayLiteral("Unknown");
    }
}

QByteArray serializeResponse(int status, const Headers &headers, QByteArrayView body,
                             bool keepAlive, QByteArrayView date)
{
    const QByteArray reason = reasonPhrase(status);
    const bool withLength = status >= 200 && status != 204;
    const bool withConnection = status != 101;
    const QByteArray length = withLength ? QByteArray::number(body.size()) : QByteArray();

    qsizetype size = 9 + 4 + reason.size() + 2 + 2 + body.size();
    for (const Header &h : headers)
        size += h.name.size() + 2 + h.value.size() + 2;
    if (withLength)
        size += 16 + length.size() + 2;
    if (withConnection)
        size += 12 + 10 + 2;
    if (!date.isEmpty())
        size += 8 + date.size();

    QByteArray out;
    out.reserve(size);
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(status));
    out.append(' ');
    out.append(reason);
    out.append("\r\n");
    for (const Header &h : headers) {
        out.append(h.name);
        out.append(": ");
        out.append(h.value);
        out.append("\r\n");
    }
    if (withLength) {
        out.append("Content-Length: ");
        out.append(length);
        out.append("\r\n");
    }
    if (withConnection)
        out.append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (!date.isEmpty()) {
        out.append("Date: ");
        out.append(date);
        out.append("\r\n");
    }
    out.append("\r\n");
    out.append(body);
    return out;
}

QByteArray httpDate(qint64 secondsSinceEpoch)
{
    // IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}; // 1970-01-01
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    qint64 days0 = secondsSinceEpoch / 86400;
    qint64 rem = secondsSinceEpoch % 86400;
    if (rem < 0) {
        rem += 86400;
        --days0;
    }
    const int weekday = int(((days0 % 7) + 7) % 7);
    // Civil date from days (H. Hinnant's algorithm).
    const qint64 z = days0 + 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const int day = int(doy - (153 * mp + 2) / 5 + 1);
    const int month = int(mp < 10 ? mp + 3 : mp - 9);
    const qint64 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04lld %02d:%02d:%02d GMT", days[weekday], day,
                  months[month - 1], static_cast<long long>(year), int(rem / 3600),
                  int(rem / 60 % 60), int(rem % 60));
    return QByteArray(buf);
}

QByteArray percentDecode(QByteArrayView in, bool plusAsSpace)
{
    const char *d = in.data();
    const qsizetype n = in.size();
    qsizetype first = 0;
    while (first < n && d[first] != '%' && !(plusAsSpace && d[first] == '+'))
        ++first;
    if (first == n)
        return in.toByteArray();

    QByteArray out(n, Qt::Uninitialized);
    char *o = out.data();
    std::memcpy(o, d, size_t(first));
    o += first;
    for (qsizetype i = first; i < n; ++i) {
        const char c = d[i];
        if (c == '%' && i + 2 < n) {
            const int hi = hexValue(d[i + 1]);
            const int lo = hexValue(d[i + 2]);
            if (hi >= 0 && lo >= 0) {
                *o++ = char(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        *o++ = (plusAsSpace && c == '+') ? ' ' : c;
    }
    out.truncate(o - out.data());
    return out;
}

Headers corsHeaders(const Request &request)
{
    const QByteArray origin = request.header("origin");
    if (origin.isEmpty())
        return {Header{"access-control-allow-origin", "*"}};
    return {Header{"access-control-allow-origin", origin},
            Header{"access-control-allow-credentials", "true"}, Header{"vary", "Origin"}};
}

Headers corsPreflightHeaders(const Request &request, QByteArrayView alwaysAllowed)
{
    Headers h = corsHeaders(request);
    h.append(Header{"access-control-allow-methods", "GET, POST, OPTIONS"});
    QByteArray allow = alwaysAllowed.toByteArray();
    const QByteArray fixed = allow.toLower();
    const QByteArray requestedHeaders = request.header("access-control-request-headers");
    for (const QByteArray &requested : requestedHeaders.split(',')) {
        const QByteArray name = requested.trimmed().toLower();
        bool listed = false;
        for (const QByteArray &f : fixed.split(','))
            listed = listed || f.trimmed() == name;
        if (name.isEmpty() || listed)
            continue;
        if (!allow.isEmpty())
            allow += ", ";
        allow += name;
    }
    if (allow.isEmpty())
        allow = "Content-Type";
    h.append(Header{"access-control-allow-headers", allow});
    h.append(Header{"access-control-max-age", "86400"});
    return h;
}

} // namespace qpush::http
