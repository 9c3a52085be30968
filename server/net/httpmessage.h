// Pure HTTP/1.1 codec for the client and API ports: an incremental request
// parser with size limits, and a response serializer. No sockets, no timers:
// the connection layer feeds bytes in and writes bytes out.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace qpush::http {

struct Header
{
    QByteArray name; // lower-cased on parse
    QByteArray value;
};
using Headers = QList<Header>;

struct Request
{
    QByteArray method;    // as sent, e.g. "GET"
    QByteArray target;    // request-target as sent, e.g. "/socket.io/?EIO=4"
    QByteArray path;      // percent-decoded path part of target
    QByteArray rawQuery;  // part after '?', not decoded
    int minorVersion = 1; // HTTP/1.<minor>
    Headers headers;
    QByteArray body;
    QByteArray peerAddress; // not parsed: set by the layer that needs it (REST router)

    // First value of a header (name compared case-insensitively), or null.
    QByteArray header(QByteArrayView name) const;
    // Every value of a header that may repeat (X-Forwarded-For), in order,
    // joined by ",".
    QByteArray joinedHeader(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // HTTP/1.1 default keep-alive, "Connection: close" / HTTP/1.0 rules.
    bool keepAlive() const;
    // GET with "Upgrade: websocket" and "Connection: ...upgrade...".
    bool isWebSocketUpgrade() const;
    // Query items, percent-decoded ('+' means space), in order.
    QList<QPair<QByteArray, QByteArray>> queryItems() const;
    // First value of a query item, or null QByteArray if absent.
    QByteArray queryValue(QByteArrayView key) const;
    bool hasQueryItem(QByteArrayView key) const;
};

struct Limits
{
    qsizetype maxHeaderBytes = 16 * 1024; // request line + headers
    qsizetype maxBodyBytes = 1024 * 1024 + 64 * 1024;
};

// Incremental request parser. Feed it the connection's input buffer; it
// removes the bytes of each complete request from the buffer.
class RequestParser
{
public:
    enum class Status { NeedMore, Complete, Error };

    explicit RequestParser(Limits limits = {}) : m_limits(limits) {}

    // Parses from the front of `buffer`. On Complete, the request's bytes
    // are removed from `buffer` and takeRequest() returns it. On Error,
    // errorStatus() is the HTTP status to answer (400, 413, 431, 501, 505).
    // On NeedMore, bytes already parsed may have been removed; the caller
    // only appends to `buffer` between calls. Error is final.
    Status parse(QByteArray &buffer);
    Request takeRequest();
    int errorStatus() const { return m_errorStatus; }
    QByteArray errorMessage() const { return m_errorMessage; }
    void setLimits(Limits limits) { m_limits = limits; }
    // True once the headers of the current request are parsed and they ask
    // for "Expect: 100-continue" (HTTP/1.1): the caller should send
    // "HTTP/1.1 100 Continue" before waiting for the body. An expectation
    // other than 100-continue is an Error (417); a body over the limit is
    // an Error (413) as soon as its Content-Length is seen.
    bool expectsContinue() const { return m_expectContinue && m_phase != Phase::Done; }

private:
    // Where the parser is. Bytes are consumed from the buffer as soon as they
    // are parsed (header lines, chunks), so a byte is never scanned twice and
    // a chunked body costs no more than the decoded body in memory.
    enum class Phase : quint8 {
        Headers,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Done,
        Failed
    };

    Status parseHeaderSection(QByteArray &buffer);
    Status parseRequestLine(QByteArrayView line);
    Status parseHeaderLine(QByteArrayView line);
    Status readBody(QByteArray &buffer);
    Status parseChunked(QByteArray &buffer);
    Status fail(int status, QByteArray message);
    void reset();

    Limits m_limits;
    Request m_request;
    int m_errorStatus = 0;
    QByteArray m_errorMessage;
    Phase m_phase = Phase::Headers;
    qsizetype m_scanPos = 0;      // resume offset inside the current partial line
    qsizetype m_sectionBytes = 0; // header (or trailer) bytes already consumed
    qint64 m_remaining = 0;       // body or chunk bytes still to read
    bool m_haveRequestLine = false;
    bool m_methodDone = false; // first SP of the request line seen
    bool m_expectContinue = false;
};

// Standard reason phrase for a status code ("OK", "Bad Request", ...).
QByteArray reasonPhrase(int status);

// Serializes a full response. Adds Content-Length (except for 1xx and 204,
// which must not carry one) and "Connection: close" / "Connection:
// keep-alive" according to keepAlive (except for 101, where the caller
// passes "Connection: Upgrade" itself). Otherwise `headers` must not
// contain Content-Length or Connection.
// With a non-empty `date` (httpDate()), a Date header is added.
QByteArray serializeResponse(int status, const Headers &headers, QByteArrayView body,
                             bool keepAlive, QByteArrayView date = {});
// An HTTP date (IMF-fixdate, always GMT) for a time in seconds since the epoch.
QByteArray httpDate(qint64 secondsSinceEpoch);

// CORS headers of an answer (both ports): the request's Origin with
// credentials allowed (and Vary: Origin), or * when there is none.
Headers corsHeaders(const Request &request);
// The answer to a CORS preflight (OPTIONS): corsHeaders plus the methods
// GET, POST, OPTIONS and, as allowed headers, `alwaysAllowed` followed by
// those the preflight asks for (Content-Type when the list would be empty).
Headers corsPreflightHeaders(const Request &request, QByteArrayView alwaysAllowed = {});

// Percent-decoding ('+' as space when plusAsSpace).
QByteArray percentDecode(QByteArrayView in, bool plusAsSpace);

} // namespace qpush::http
