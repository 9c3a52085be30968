#include "packet.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

namespace qpush::sio {

namespace {

constexpr qint64 kMaxAckId = (qint64(1) << 53) - 1; // Number.MAX_SAFE_INTEGER
constexpr int kMaxAckIdDigits = 16;                 // 9007199254740991
constexpr int kMaxAttachmentDigits = 9;             // keeps the count inside int

// ---------------------------------------------------------------------------
// JSON.stringify-compatible serializer. QJsonDocument::toJson differs from V8
// on numbers (1e+20 vs 100000000000000000000, 1e-07 vs 1e-7) and cannot write
// a top-level scalar, so the wire text is produced here. Objects come out in
// QJsonObject order (sorted keys): the insertion order JS would keep is not
// stored by QJsonObject.

const char kHex[] = "0123456789abcdef";

void appendUnicodeEscape(QByteArray &out, char16_t u)
{
    const char esc[6] = {
        '\\',         'u', kHex[(u >> 12) & 0xf], kHex[(u >> 8) & 0xf], kHex[(u >> 4) & 0xf],
        kHex[u & 0xf]};
    out.append(esc, 6);
}

// Escapes like JSON.stringify (ES2019 well-formed): quote, backslash and
// control characters; lone surrogates as \udxxx; everything else raw UTF-8.
void appendJsonString(QByteArray &out, QStringView s)
{
    out.append('"');
    const char16_t *p = s.utf16();
    const char16_t *const end = p + s.size();
    while (p != end) {
        // Fast path: a run of printable ASCII needing no escape.
        const char16_t *run = p;
        while (p != end && *p >= 0x20 && *p < 0x80 && *p != u'"' && *p != u'\\')
            ++p;
        if (p != run) {
            const qsizetype n = p - run;
            const qsizetype at = out.size();
            out.resize(at + n);
            char *dst = out.data() + at;
            for (qsizetype i = 0; i < n; ++i)
                dst[i] = char(run[i]);
            if (p == end)
                break;
        }
        const char16_t c = *p++;
        if (c < 0x80) {
            switch (c) {
            case u'"':
                out.append("\\\"", 2);
                break;
            case u'\\':
                out.append("\\\\", 2);
                break;
            case u'\b':
                out.append("\\b", 2);
                break;
            case u'\f':
                out.append("\\f", 2);
                break;
            case u'\n':
                out.append("\\n", 2);
                break;
            case u'\r':
                out.append("\\r", 2);
                break;
            case u'\t':
                out.append("\\t", 2);
                break;
            default:
                appendUnicodeEscape(out, c);
                break; // other control chars
            }
        } else if (c < 0x800) {
            const char b[2] = {char(0xc0 | (c >> 6)), char(0x80 | (c & 0x3f))};
            out.append(b, 2);
        } else if (QChar::isHighSurrogate(c) && p != end && QChar::isLowSurrogate(*p)) {
            const char32_t cp = QChar::surrogateToUcs4(c, *p++);
            const char b[4] = {char(0xf0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3f)),
                               char(0x80 | ((cp >> 6) & 0x3f)), char(0x80 | (cp & 0x3f))};
            out.append(b, 4);
        } else if (QChar::isSurrogate(c)) {
            appendUnicodeEscape(out, c); // lone surrogate
        } else {
            const char b[3] = {char(0xe0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3f)),
                               char(0x80 | (c & 0x3f))};
            out.append(b, 3);
        }
    }
    out.append('"');
}

// Number::toString of ECMA-262 (what JSON.stringify writes for finite numbers).
void appendJsonNumber(QByteArray &out, double d)
{
    if (!std::isfinite(d)) {
        out.append("null", 4);
        return;
    }
    char buf[40];
    if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
        // Integral and exact: plain digits (also turns -0 into "0").
        const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<qint64>(d));
        out.append(buf, r.ptr - buf);
        return;
    }
    // Shortest round-trip digits, as V8 chooses them: "[-]d[.ddd]e[+-]x".
    const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    const char *p = buf;
    if (*p == '-') {
        out.append('-');
        ++p;
    }
    char digits[20];
    int k = 0;
    while (p != r.ptr && *p != 'e') {
        if (*p != '.')
            digits[k++] = *p;
        ++p;
    }
    int exp10 = 0;
    std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), r.ptr, exp10);
    const int n = exp10 + 1; // position of the decimal point
    if (k <= n && n <= 21) {
        out.append(digits, k);
        out.append(n - k, '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, n);
        out.append('.');
        out.append(digits + n, k - n);
    } else if (-6 < n && n <= 0) {
        out.append("0.", 2);
        out.append(-n, '0');
        out.append(digits, k);
    } else {
        out.append(digits[0]);
        if (k > 1) {
            out.append('.');
            out.append(digits + 1, k - 1);
        }
        out.append('e');
        out.append(n - 1 >= 0 ? '+' : '-');
        const auto er = std::to_chars(buf, buf + sizeof buf, std::abs(n - 1));
        out.append(buf, er.ptr - buf);
    }
}

void appendJson(QByteArray &out, const QJsonValue &v);

void appendJsonArray(QByteArray &out, const QJsonArray &a)
{
    out.append('[');
    bool first = true;
    for (const QJsonValue &e : a) {
        if (!first)
            out.append(',');
        first = false;
        if (e.isUndefined())
            out.append("null", 4); // as JSON.stringify does for holes/undefined
        else
            appendJson(out, e);
    }
    out.append(']');
}

void appendJsonObject(QByteArray &out, const QJsonObject &o)
{
    out.append('{');
    bool first = true;
    for (auto it = o.constBegin(), end = o.constEnd(); it != end; ++it) {
        const QJsonValue v = it.value();
        if (v.isUndefined())
            continue; // JSON.stringify drops undefined members
        if (!first)
            out.append(',');
        first = false;
        appendJsonString(out, it.key());
        out.append(':');
        appendJson(out, v);
    }
    out.append('}');
}

void appendJson(QByteArray &out, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out.append("null", 4);
        break;
    case QJsonValue::Bool:
        v.toBool() ? out.append("true", 4) : out.append("false", 5);
        break;
    case QJsonValue::Double:
        appendJsonNumber(out, v.toDouble());
        break;
    case QJsonValue::String:
        appendJsonString(out, v.toString());
        break;
    case QJsonValue::Array:
        appendJsonArray(out, v.toArray());
        break;
    case QJsonValue::Object:
        appendJsonObject(out, v.toObject());
        break;
    }
}

void appendInteger(QByteArray &out, qint64 n)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr - buf);
}

// ---------------------------------------------------------------------------
// Decoding helpers.

// Strict JSON grammar check (RFC 8259, what JSON.parse accepts). Qt's parser
// is lenient where V8 is not: it takes "1.", ".5", unknown escapes such as
// "\x", raw control characters inside strings and a leading BOM. This scan
// runs first so such payloads are rejected like the JS server would; Qt then
// builds the values (and checks UTF-8).
class JsonScanner
{
public:
    JsonScanner(const char *begin, const char *end) : m_p(begin), m_end(end) {}

    bool document()
    {
        skipSpace();
        if (!value(0))
            return false;
        skipSpace();
        return m_p == m_end;
    }

private:
    static constexpr int kMaxDepth = 1000; // Qt refuses deeper nesting anyway

    void skipSpace()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }
    bool eat(char c)
    {
        if (m_p != m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }
    bool literal(const char *word, qsizetype n)
    {
        if (m_end - m_p < n || QByteArrayView(m_p, n) != QByteArrayView(word, n))
            return false;
        m_p += n;
        return true;
    }
    bool digits()
    {
        const char *start = m_p;
        while (m_p != m_end && isDigit(*m_p))
            ++m_p;
        return m_p != start;
    }
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }
    static bool isHex(char c)
    {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    bool number()
    {
        eat('-');
        if (eat('0')) {
            // no leading zeros
        } else if (m_p != m_end && *m_p >= '1' && *m_p <= '9') {
            digits();
        } else {
            return false;
        }
        if (eat('.') && !digits())
            return false;
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (!eat('+'))
                eat('-');
            if (!digits())
                return false;
        }
        return true;
    }

    bool string()
    {
        ++m_p; // opening quote
        while (m_p != m_end) {
            const auto c = static_cast<unsigned char>(*m_p++);
            if (c == '"')
                return true;
            if (c < 0x20)
                return false;
            if (c != '\\')
                continue;
            if (m_p == m_end)
                return false;
            switch (*m_p++) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            case 'u':
                if (m_end - m_p < 4 || !isHex(m_p[0]) || !isHex(m_p[1]) || !isHex(m_p[2]) ||
                    !isHex(m_p[3]))
                    return false;
                m_p += 4;
                break;
            default:
                return false;
            }
        }
        return false;
    }

    bool value(int depth)
    {
        if (m_p == m_end)
            return false;
        switch (*m_p) {
        case '{': {
            if (depth >= kMaxDepth)
                return false;
            ++m_p;
            skipSpace();
            if (eat('}'))
                return true;
            do {
                skipSpace();
                if (m_p == m_end || *m_p != '"' || !string())
                    return false;
                skipSpace();
                if (!eat(':'))
                    return false;
                skipSpace();
                if (!value(depth + 1))
                    return false;
                skipSpace();
            } while (eat(','));
            return eat('}');
        }
        case '[': {
            if (depth >= kMaxDepth)
                return false;
            ++m_p;
            skipSpace();
            if (eat(']'))
                return true;
            do {
                skipSpace();
                if (!value(depth + 1))
                    return false;
                skipSpace();
            } while (eat(','));
            return eat(']');
        }
        case '"':
            return string();
        case 't':
            return literal("true", 4);
        case 'f':
            return literal("false", 5);
        case 'n':
            return literal("null", 4);
        default:
            return number();
        }
    }

    const char *m_p;
    const char *const m_end;
};

bool isBinaryType(PacketType t)
{
    return t == PacketType::BinaryEvent || t == PacketType::BinaryAck;
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool hasControlChars(QByteArrayView bytes)
{
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return true;
    }
    return false;
}

// A namespace is UTF-8 text without control characters (checked by the caller).
std::optional<QString> decodeNamespace(QByteArrayView bytes)
{
    bool ascii = true;
    for (const char c : bytes) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii)
        return QString::fromLatin1(bytes);
    QStringDecoder decoder(QStringDecoder::Utf8, QStringConverter::Flag::Stateless);
    QString s = decoder(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return s;
}

bool isPlaceholder(const QJsonObject &o)
{
    const auto it = o.constFind(QLatin1StringView("_placeholder"));
    return it != o.constEnd() && it.value().isBool() && it.value().toBool();
}

// Checks every placeholder of `v` names an attachment in [0, count), the way
// reconstructPacket does (which throws "illegal attachments" otherwise).
bool placeholdersInRange(const QJsonValue &v, int count)
{
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (const QJsonValue &e : a) {
            if ((e.isArray() || e.isObject()) && !placeholdersInRange(e, count))
                return false;
        }
        return true;
    }
    if (!v.isObject())
        return true;
    const QJsonObject o = v.toObject();
    if (isPlaceholder(o)) {
        const QJsonValue num = o.value(QLatin1StringView("num"));
        if (!num.isDouble())
            return false;
        const double n = num.toDouble();
        return n >= 0 && n < count && n == std::trunc(n);
    }
    for (auto it = o.constBegin(), end = o.constEnd(); it != end; ++it) {
        const QJsonValue e = it.value();
        if ((e.isArray() || e.isObject()) && !placeholdersInRange(e, count))
            return false;
    }
    return true;
}

// Event names the v5 parser refuses (they mean something to the JS API).
bool isReservedEventName(const QString &name)
{
    static constexpr std::array<QLatin1StringView, 6> kReserved = {
        QLatin1StringView("connect"),     QLatin1StringView("connect_error"),
        QLatin1StringView("disconnect"),  QLatin1StringView("disconnecting"),
        QLatin1StringView("newListener"), QLatin1StringView("removeListener"),
    };
    for (const QLatin1StringView r : kReserved) {
        if (name == r)
            return true;
    }
    return false;
}

bool isPayloadValid(Protocol protocol, PacketType type, const QJsonValue &data)
{
    switch (type) {
    case PacketType::Connect:
        return data.isUndefined() || data.isObject();
    case PacketType::Disconnect:
        return data.isUndefined();
    case PacketType::Event:
    case PacketType::BinaryEvent: {
        if (!data.isArray())
            return false;
        const QJsonArray a = data.toArray();
        if (a.isEmpty() || !a.first().isString())
            return false;
        return protocol == Protocol::V4 || !isReservedEventName(a.first().toString());
    }
    case PacketType::Ack:
    case PacketType::BinaryAck:
        return data.isArray();
    case PacketType::ConnectError:
        // v4 ERROR carries any JSON (usually a string); v5 an object or string.
        return protocol == Protocol::V4 || data.isUndefined() || data.isString() || data.isObject();
    }
    return false;
}

void setError(QByteArray *error, const char *message)
{
    if (error)
        *error = QByteArray(message);
}

std::optional<Packet> decodeTextImpl(Protocol protocol, QByteArrayView text, int maxAttachments,
                                     int *attachmentCount, QByteArray *error)
{
    const auto fail = [error](const char *message) {
        setError(error, message);
        return std::optional<Packet>();
    };
    if (attachmentCount)
        *attachmentCount = 0;
    if (text.isEmpty())
        return fail("empty packet");

    const char *const begin = text.data();
    const char *const end = begin + text.size();
    const char *p = begin;

    if (*p < '0' || *p > '6')
        return fail("unknown packet type");
    Packet packet;
    packet.type = PacketType(*p++ - '0');
    packet.data = QJsonValue(QJsonValue::Undefined);

    // <attachments>-
    int count = 0;
    if (isBinaryType(packet.type)) {
        const char *digits = p;
        while (p != end && isDigit(*p))
            ++p;
        if (p == digits || p == end || *p != '-')
            return fail("illegal attachments");
        if (p - digits > kMaxAttachmentDigits)
            return fail("too many attachments");
        std::from_chars(digits, p, count);
        if (count < 1)
            return fail("illegal attachments");
        if (count > maxAttachments)
            return fail("too many attachments");
        ++p; // '-'
    }

    // <nsp>,
    if (p != end && *p == '/') {
        const char *nspBegin = p;
        while (p != end && *p != ',')
            ++p;
        QByteArrayView nspBytes(nspBegin, p - nspBegin);
        if (p != end)
            ++p; // ','
        if (hasControlChars(nspBytes))
            return fail("invalid namespace");
        if (protocol == Protocol::V4 && packet.type == PacketType::Connect) {
            const qsizetype q = nspBytes.indexOf('?');
            if (q >= 0) {
                packet.query = nspBytes.sliced(q + 1).toByteArray();
                nspBytes.truncate(q);
            }
        }
        std::optional<QString> nsp = decodeNamespace(nspBytes);
        if (!nsp)
            return fail("invalid namespace");
        packet.nsp = std::move(*nsp);
    }

    // <id>
    if (p != end && isDigit(*p)) {
        const char *digits = p;
        while (p != end && isDigit(*p))
            ++p;
        qint64 id = 0;
        if (p - digits > kMaxAckIdDigits)
            return fail("invalid ack id");
        std::from_chars(digits, p, id);
        if (id > kMaxAckId)
            return fail("invalid ack id");
        switch (packet.type) {
        case PacketType::Event:
        case PacketType::Ack:
        case PacketType::BinaryEvent:
        case PacketType::BinaryAck:
            break;
        default:
            return fail("invalid ack id"); // no id on CONNECT/DISCONNECT/ERROR
        }
        packet.id = id;
    }
    if ((packet.type == PacketType::Ack || packet.type == PacketType::BinaryAck) && !packet.id)
        return fail("invalid ack id");

    // <json>
    if (p != end) {
        if (!JsonScanner(p, end).document())
            return fail("invalid JSON payload");
        const QByteArray json = QByteArray::fromRawData(p, end - p); // no copy
        const char *first = p;
        while (first != end &&
               (*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r'))
            ++first;
        QJsonParseError parseError;
        if (first != end && (*first == '[' || *first == '{')) {
            const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
            if (parseError.error != QJsonParseError::NoError)
                return fail("invalid JSON payload");
            packet.data = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
        } else if (packet.type == PacketType::ConnectError) {
            // QJsonDocument only parses containers: wrap the scalar in an array.
            QByteArray wrapped;
            wrapped.reserve(json.size() + 2);
            wrapped.append('[').append(json).append(']');
            const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &parseError);
            if (parseError.error != QJsonParseError::NoError || doc.array().size() != 1)
                return fail("invalid JSON payload");
            packet.data = doc.array().first();
        } else {
            return fail("invalid payload");
        }
    }

    if (!isPayloadValid(protocol, packet.type, packet.data))
        return fail("invalid payload");
    if (count > 0 && !placeholdersInRange(packet.data, count))
        return fail("illegal attachments");

    if (attachmentCount)
        *attachmentCount = count;
    return packet;
}

} // namespace

Encoded encode(Protocol protocol, const Packet &packet)
{
    Encoded encoded;
    QByteArray &out = encoded.text;
    out.reserve(64 + packet.nsp.size());

    PacketType type = packet.type;
    const bool withAttachments = !packet.attachments.isEmpty();
    switch (type) {
    case PacketType::Event:
    case PacketType::BinaryEvent:
        type = withAttachments ? PacketType::BinaryEvent : PacketType::Event;
        break;
    case PacketType::Ack:
    case PacketType::BinaryAck:
        type = withAttachments ? PacketType::BinaryAck : PacketType::Ack;
        break;
    default:
        break;
    }

    out.append(char('0' + int(type)));
    if (isBinaryType(type)) {
        appendInteger(out, packet.attachments.size());
        out.append('-');
        encoded.attachments = packet.attachments; // implicitly shared
    }

    const bool v4Query =
        protocol == Protocol::V4 && type == PacketType::Connect && !packet.query.isEmpty();
    if (v4Query || (!packet.nsp.isEmpty() && packet.nsp != QLatin1StringView("/"))) {
        out.append(packet.nsp.toUtf8());
        if (v4Query)
            out.append('?').append(packet.query);
        out.append(',');
    }

    if (packet.id)
        appendInteger(out, *packet.id);

    if (!packet.data.isUndefined() && !packet.data.isNull())
        appendJson(out, packet.data);
    return encoded;
}

std::optional<Packet> decodeText(Protocol protocol, QByteArrayView text, int *attachmentCount,
                                 QByteArray *error)
{
    // The caller applies its own limit on the announced count (Decoder does).
    return decodeTextImpl(protocol, text, std::numeric_limits<int>::max(), attachmentCount, error);
}

Decoder::Status Decoder::feedText(QByteArrayView text)
{
    if (m_pending) {
        m_pending.reset();
        m_expectedAttachments = 0;
        m_attachmentBytes = 0;
        m_error = QByteArrayLiteral("text packet while binary attachments are pending");
        return Status::Error;
    }
    int count = 0;
    std::optional<Packet> packet =
        decodeTextImpl(m_protocol, text, m_maxAttachments, &count, &m_error);
    if (!packet)
        return Status::Error;
    m_error.clear();
    if (count > 0) {
        // Complete binary packets read as EVENT/ACK with attachments (as the
        // v5 parser does); encode() turns them back into BINARY_* on the wire.
        packet->type =
            packet->type == PacketType::BinaryEvent ? PacketType::Event : PacketType::Ack;
        packet->attachments.reserve(count);
        m_expectedAttachments = count;
        m_pending = std::move(packet);
        return Status::NeedMore;
    }
    m_ready = std::move(packet);
    return Status::Packet;
}

Decoder::Status Decoder::feedBinary(const QByteArray &bytes)
{
    if (!m_pending) {
        m_error = QByteArrayLiteral("binary message without a pending binary packet");
        return Status::Error;
    }
    m_attachmentBytes += bytes.size();
    if (m_attachmentBytes > m_maxAttachmentBytes) {
        m_pending.reset();
        m_expectedAttachments = 0;
        m_attachmentBytes = 0;
        m_error = QByteArrayLiteral("binary attachments exceed max_attachment_bytes");
        return Status::Error;
    }
    m_pending->attachments.append(bytes);
    if (m_pending->attachments.size() < m_expectedAttachments)
        return Status::NeedMore;
    m_ready = std::move(m_pending);
    m_pending.reset();
    m_expectedAttachments = 0;
    m_attachmentBytes = 0;
    return Status::Packet;
}

Packet Decoder::takePacket()
{
    Q_ASSERT(m_ready);
    Packet packet = m_ready ? std::move(*m_ready) : Packet();
    m_ready.reset();
    return packet;
}

bool hasPlaceholders(const QJsonValue &v)
{
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (const QJsonValue &e : a) {
            if (hasPlaceholders(e))
                return true;
        }
        return false;
    }
    if (!v.isObject())
        return false;
    const QJsonObject o = v.toObject();
    if (isPlaceholder(o))
        return true;
    for (auto it = o.constBegin(), end = o.constEnd(); it != end; ++it) {
        if (hasPlaceholders(it.value()))
            return true;
    }
    return false;
}

} // namespace qpush::sio
