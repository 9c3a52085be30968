// Engine.IO packet/payload codec. The reference for every byte is the npm
// engine.io-parser: 2.x (protocol v3, used by engine.io 3.x) and 5.x
// (protocol v4, engine.io 6.x). Decoders are stricter than the reference
// (which silently accepts e.g. "0x4:" as a length or truncated binary
// payloads): anything a real client cannot produce is rejected.
#include "packet.h"

#include <array>
#include <charconv>
#include <cstring>

namespace qpush::eio {

namespace {

constexpr char RecordSeparator = '\x1e';
constexpr qsizetype MaxLengthDigits = 10; // > any body we accept, < int64 overflow

const QByteArray &textContentType()
{
    static const QByteArray t = QByteArrayLiteral("text/plain; charset=UTF-8");
    return t;
}

const QByteArray &binaryContentType()
{
    static const QByteArray t = QByteArrayLiteral("application/octet-stream");
    return t;
}

bool isPacketTypeChar(char c)
{
    return c >= '0' && c <= '6';
}

// ---- UTF-8 ---------------------------------------------------------------

// One step of the WHATWG UTF-8 decoder (what browsers and Node use, with
// replacement). Returns the number of UTF-16 code units produced (1 or 2)
// and sets `consumed` and `valid`. An invalid sequence yields one U+FFFD
// and consumes only the bytes before the offending one, which is then
// decoded again — exactly the "maximal subpart" rule.
inline int utf8Step(const uchar *p, const uchar *end, qsizetype &consumed, bool &valid)
{
    const uchar b = p[0];
    valid = true;
    if (b < 0x80) {
        consumed = 1;
        return 1;
    }
    int need = 0;
    uchar lo = 0x80;
    uchar hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F; // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        valid = false;
        consumed = 1;
        return 1;
    }
    qsizetype i = 1;
    for (int k = 0; k < need; ++k, ++i) {
        if (p + i >= end || p[i] < lo || p[i] > hi) {
            valid = false;
            consumed = i;
            return 1;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    consumed = i;
    return need == 3 ? 2 : 1;
}

inline bool allAscii8(const uchar *p)
{
    quint64 w;
    std::memcpy(&w, p, sizeof w);
    return (w & 0x8080808080808080ULL) == 0;
}

// Counts UTF-16 units; `valid` (optional) reports whether the input was
// well-formed UTF-8.
qsizetype countUtf16(QByteArrayView utf8, bool *validOut)
{
    const auto *p = reinterpret_cast<const uchar *>(utf8.data());
    const uchar *end = p + utf8.size();
    qsizetype units = 0;
    bool allValid = true;
    while (p < end) {
        if (end - p >= 8 && allAscii8(p)) {
            p += 8;
            units += 8;
            continue;
        }
        qsizetype consumed = 0;
        bool valid = true;
        units += utf8Step(p, end, consumed, valid);
        allValid = allValid && valid;
        p += consumed;
    }
    if (validOut)
        *validOut = allValid;
    return units;
}

bool isValidUtf8(QByteArrayView utf8)
{
    bool valid = true;
    countUtf16(utf8, &valid);
    return valid;
}

// ---- base64 --------------------------------------------------------------

constexpr std::array<qint8, 256> makeBase64Table()
{
    std::array<qint8, 256> t{};
    for (auto &v : t)
        v = -1;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        t[static_cast<uchar>(alphabet[i])] = static_cast<qint8>(i);
    return t;
}
constexpr std::array<qint8, 256> Base64Table = makeBase64Table();

// Standard alphabet; padding optional but, when present, correct. Clients
// (Buffer#toString('base64'), base64-arraybuffer, FileReader) always pad.
std::optional<QByteArray> decodeBase64(QByteArrayView in)
{
    qsizetype n = in.size();
    if (n % 4 == 0 && n > 0 && in[n - 1] == '=') {
        --n;
        if (in[n - 1] == '=')
            --n;
    }
    if (n % 4 == 1)
        return std::nullopt;
    QByteArray out;
    out.resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
    char *o = out.data();
    const auto *s = reinterpret_cast<const uchar *>(in.data());
    quint32 acc = 0;
    int bits = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const qint8 v = Base64Table[s[i]];
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6) | quint32(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = char((acc >> bits) & 0xFF);
        }
    }
    return out;
}

// ---- packets -------------------------------------------------------------

// "<type><data>" or (binary) "b..." as found in a text frame or a string
// payload. v3 base64 packets carry their type: "b4<base64>"; v4: "b<base64>".
std::optional<Packet> decodeTextPacket(Version v, QByteArrayView s)
{
    if (s.isEmpty())
        return std::nullopt;
    const char c = s[0];
    if (c == 'b') {
        QByteArrayView b64 = s.sliced(1);
        if (v == Version::V3) {
            // Only messages carry binary data.
            if (b64.isEmpty() || b64[0] != char(PacketType::Message))
                return std::nullopt;
            b64 = b64.sliced(1);
        }
        auto data = decodeBase64(b64);
        if (!data)
            return std::nullopt;
        return Packet::bytes(std::move(*data));
    }
    if (!isPacketTypeChar(c))
        return std::nullopt;
    return Packet::text(PacketType(c), s.sliced(1).toByteArray());
}

void appendDecimal(QByteArray &out, qsizetype n)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr - buf);
}

// Digits as byte values 0..9 (v3 binary payload header).
void appendDecimalBytes(QByteArray &out, qsizetype n)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    for (char *c = buf; c != r.ptr; ++c)
        out.append(char(*c - '0'));
}

qsizetype decimalDigits(qsizetype n)
{
    qsizetype d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}

qsizetype base64Size(qsizetype n)
{
    return (n + 2) / 3 * 4;
}

std::optional<QList<Packet>> decodeStringPayloadV3(QByteArrayView body)
{
    if (body.isEmpty())
        return std::nullopt;
    QList<Packet> packets;
    const char *p = body.data();
    const char *end = p + body.size();
    while (p < end) {
        // <digits>':'
        qsizetype len = 0;
        qsizetype digits = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (++digits > MaxLengthDigits)
                return std::nullopt;
            len = len * 10 + (*p - '0');
            ++p;
        }
        if (digits == 0 || p == end || *p != ':')
            return std::nullopt;
        ++p;
        // Take `len` UTF-16 units; every unit needs at least one byte.
        if (len > end - p)
            return std::nullopt;
        const char *start = p;
        qsizetype units = 0;
        while (units < len) {
            if (p == end)
                return std::nullopt; // truncated
            const auto *u = reinterpret_cast<const uchar *>(p);
            if (*u < 0x80) {
                ++p;
                ++units;
                continue;
            }
            qsizetype consumed = 0;
            bool valid = true;
            const int n = utf8Step(u, reinterpret_cast<const uchar *>(end), consumed, valid);
            if (!valid)
                return std::nullopt;
            // A length that splits a surrogate pair can never be followed by
            // a valid length in the reference decoder either.
            if (units + n > len)
                return std::nullopt;
            units += n;
            p += consumed;
        }
        if (len == 0)
            continue; // "0:" is an empty payload, no packet
        auto packet = decodeTextPacket(Version::V3, QByteArrayView(start, p - start));
        if (!packet)
            return std::nullopt;
        packets.append(std::move(*packet));
    }
    return packets;
}

std::optional<QList<Packet>> decodeBinaryPayloadV3(QByteArrayView body)
{
    if (body.isEmpty())
        return std::nullopt;
    QList<Packet> packets;
    const auto *p = reinterpret_cast<const uchar *>(body.data());
    const uchar *end = p + body.size();
    while (p < end) {
        const uchar kind = *p++;
        if (kind > 1)
            return std::nullopt;
        qsizetype len = 0;
        qsizetype digits = 0;
        while (p < end && *p <= 9) {
            if (++digits > MaxLengthDigits)
                return std::nullopt;
            len = len * 10 + *p;
            ++p;
        }
        if (digits == 0 || p == end || *p != 0xFF)
            return std::nullopt;
        ++p;
        if (len == 0 || len > end - p)
            return std::nullopt;
        const QByteArrayView packet(reinterpret_cast<const char *>(p), len);
        p += len;
        if (kind == 0) {
            // Text packets are UTF-8 (utf8.js on the client side).
            if (!isValidUtf8(packet))
                return std::nullopt;
            auto decoded = decodeTextPacket(Version::V3, packet);
            if (!decoded)
                return std::nullopt;
            packets.append(std::move(*decoded));
        } else {
            if (packet[0] != 4) // only messages carry binary data
                return std::nullopt;
            packets.append(Packet::bytes(packet.sliced(1).toByteArray()));
        }
    }
    return packets;
}

void appendJsonEscapedChar(QByteArray &out, uchar c)
{
    static constexpr char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        out.append("\\\"", 2);
        return;
    case '\\':
        out.append("\\\\", 2);
        return;
    case '\b':
        out.append("\\b", 2);
        return;
    case '\f':
        out.append("\\f", 2);
        return;
    case '\n':
        out.append("\\n", 2);
        return;
    case '\r':
        out.append("\\r", 2);
        return;
    case '\t':
        out.append("\\t", 2);
        return;
    default: {
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(esc, 6);
    }
    }
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded component: '+' is a space, %XX a byte.
std::optional<QByteArray> formDecode(QByteArrayView s)
{
    QByteArray out;
    out.reserve(s.size());
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out.append(' ');
        } else if (c == '%') {
            if (i + 2 >= s.size())
                return std::nullopt;
            const int h = hexValue(s[i + 1]);
            const int l = hexValue(s[i + 2]);
            if (h < 0 || l < 0)
                return std::nullopt;
            out.append(char(h * 16 + l));
            i += 2;
        } else {
            out.append(c);
        }
    }
    return out;
}

} // namespace

// ---- public API ----------------------------------------------------------

qsizetype utf16Length(QByteArrayView utf8)
{
    return countUtf16(utf8, nullptr);
}

Frame encodeFrame(Version v, const Packet &p)
{
    return encodeFrame(v, p, true);
}

Frame encodeFrame(Version v, const Packet &p, bool supportsBinary)
{
    if (p.binary) {
        if (!supportsBinary) {
            QByteArray out;
            if (v == Version::V3) {
                out.reserve(2 + base64Size(p.data.size()));
                out.append('b').append(char(p.type));
            } else {
                out.reserve(1 + base64Size(p.data.size()));
                out.append('b');
            }
            out.append(p.data.toBase64());
            return {std::move(out), false};
        }
        if (v == Version::V4)
            return {p.data, true}; // shared, no copy
        QByteArray out;
        out.reserve(1 + p.data.size());
        out.append(char(char(p.type) - '0')).append(p.data);
        return {std::move(out), true};
    }
    QByteArray out;
    out.reserve(1 + p.data.size());
    out.append(char(p.type)).append(p.data);
    return {std::move(out), false};
}

std::optional<Packet> decodeFrame(Version v, QByteArrayView data, bool binaryFrame)
{
    if (!binaryFrame)
        return decodeTextPacket(v, data);
    if (v == Version::V4)
        return Packet::bytes(data.toByteArray());
    if (data.isEmpty() || data[0] != 4)
        return std::nullopt;
    return Packet::bytes(data.sliced(1).toByteArray());
}

QByteArray encodePayloadV4(const QList<Packet> &packets)
{
    qsizetype total = packets.isEmpty() ? 0 : packets.size() - 1;
    for (const Packet &p : packets)
        total += 1 + (p.binary ? base64Size(p.data.size()) : p.data.size());
    QByteArray out;
    out.reserve(total);
    bool first = true;
    for (const Packet &p : packets) {
        if (!first)
            out.append(RecordSeparator);
        first = false;
        if (p.binary)
            out.append('b').append(p.data.toBase64());
        else
            out.append(char(p.type)).append(p.data);
    }
    return out;
}

std::optional<QList<Packet>> decodePayloadV4(QByteArrayView body)
{
    // engine.io-parser 5 splits on 0x1e and fails on the first bad packet,
    // so an empty body, an empty record or a trailing separator is an error.
    QList<Packet> packets;
    qsizetype pos = 0;
    while (true) {
        qsizetype sep = body.indexOf(RecordSeparator, pos);
        const qsizetype stop = sep < 0 ? body.size() : sep;
        const QByteArrayView record = body.sliced(pos, stop - pos);
        if (!record.isEmpty() && record[0] != 'b' && !isValidUtf8(record))
            return std::nullopt;
        auto packet = decodeTextPacket(Version::V4, record);
        if (!packet)
            return std::nullopt;
        packets.append(std::move(*packet));
        if (sep < 0)
            break;
        pos = sep + 1;
    }
    return packets;
}

Body encodePayloadV3(const QList<Packet> &packets, bool supportsBinary)
{
    bool anyBinary = false;
    for (const Packet &p : packets)
        anyBinary = anyBinary || p.binary;

    if (supportsBinary && anyBinary) {
        // <0|1><length digits as bytes 0..9>0xff<packet>; lengths are byte
        // counts (utf8.js-encoded text, or type byte + raw data).
        qsizetype total = 0;
        for (const Packet &p : packets)
            total += 3 + decimalDigits(1 + p.data.size()) + p.data.size();
        QByteArray out;
        out.reserve(total);
        for (const Packet &p : packets) {
            out.append(char(p.binary ? 1 : 0));
            appendDecimalBytes(out, 1 + p.data.size());
            out.append(char(0xFF));
            if (p.binary)
                out.append(char(char(p.type) - '0'));
            else
                out.append(char(p.type));
            out.append(p.data);
        }
        return {std::move(out), binaryContentType()};
    }

    if (packets.isEmpty())
        return {QByteArrayLiteral("0:"), textContentType()};

    // "<length>:<packet>", the length in UTF-16 code units of the packet
    // string; base64 packets are "b<type><base64>" and the 'b' counts.
    qsizetype total = 0;
    for (const Packet &p : packets) {
        const qsizetype body = p.binary ? 2 + base64Size(p.data.size()) : 1 + p.data.size();
        total += decimalDigits(body) + 1 + body;
    }
    QByteArray out;
    out.reserve(total);
    for (const Packet &p : packets) {
        if (p.binary) {
            const QByteArray b64 = p.data.toBase64();
            appendDecimal(out, 2 + b64.size());
            out.append(':').append('b').append(char(p.type)).append(b64);
        } else {
            appendDecimal(out, 1 + utf16Length(p.data));
            out.append(':').append(char(p.type)).append(p.data);
        }
    }
    return {std::move(out), textContentType()};
}

std::optional<QList<Packet>> decodePayloadV3(QByteArrayView body, bool binaryBody)
{
    return binaryBody ? decodeBinaryPayloadV3(body) : decodeStringPayloadV3(body);
}

QByteArray wrapJsonp(QByteArrayView jsonpIndex, QByteArrayView stringPayload)
{
    // engine.io 3 polling-jsonp.js: '___eio[' + j.replace(/[^0-9]/g, '') +
    // '](' + JSON.stringify(data) with U+2028/U+2029 escaped + ');'
    QByteArray out;
    out.reserve(7 + jsonpIndex.size() + 4 + stringPayload.size() + stringPayload.size() / 8 + 3);
    out.append("___eio[", 7);
    for (char c : jsonpIndex) {
        if (c >= '0' && c <= '9')
            out.append(c);
    }
    out.append("](\"", 3);
    const auto *s = reinterpret_cast<const uchar *>(stringPayload.data());
    const qsizetype n = stringPayload.size();
    qsizetype runStart = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const uchar c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0xE2)
            continue;
        if (c == 0xE2) {
            // U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
            if (i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                out.append(stringPayload.sliced(runStart, i - runStart));
                out.append(s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                i += 2;
                runStart = i + 1;
            }
            continue;
        }
        out.append(stringPayload.sliced(runStart, i - runStart));
        appendJsonEscapedChar(out, c);
        runStart = i + 1;
    }
    out.append(stringPayload.sliced(runStart, n - runStart));
    out.append("\");", 3);
    return out;
}

std::optional<QByteArray> unwrapJsonpPost(QByteArrayView formBody)
{
    // querystring.parse(body).d: pairs split on '&' (first 1000 only), key
    // and value form-decoded; a repeated "d" becomes an array, which the
    // server ignores. The body itself is read as UTF-8 text first.
    if (!isValidUtf8(formBody))
        return std::nullopt;
    std::optional<QByteArray> d;
    qsizetype pos = 0;
    int pairs = 0;
    while (pos <= formBody.size() && pairs < 1000) {
        qsizetype amp = formBody.indexOf('&', pos);
        const qsizetype stop = amp < 0 ? formBody.size() : amp;
        const QByteArrayView pair = formBody.sliced(pos, stop - pos);
        ++pairs;
        if (!pair.isEmpty()) {
            const qsizetype eq = pair.indexOf('=');
            const QByteArrayView rawKey = eq < 0 ? pair : pair.first(eq);
            const QByteArrayView rawValue = eq < 0 ? QByteArrayView() : pair.sliced(eq + 1);
            auto key = formDecode(rawKey);
            if (!key)
                return std::nullopt;
            if (*key == "d") {
                if (d)
                    return std::nullopt;
                d = formDecode(rawValue);
                if (!d)
                    return std::nullopt;
            }
        }
        if (amp < 0)
            break;
        pos = amp + 1;
    }
    if (!d || !isValidUtf8(*d))
        return std::nullopt;

    // data.replace(/(\\)?\\n/g, (m, slashes) => slashes ? m : '\n')
    //     .replace(/\\\\n/g, '\\n')
    // Two left-to-right, non-overlapping passes, as the regexes do.
    const QByteArray &in = *d;
    if (!in.contains("\\n"))
        return d;
    QByteArray pass1;
    pass1.reserve(in.size());
    for (qsizetype i = 0; i < in.size();) {
        if (in[i] == '\\' && i + 2 < in.size() && in[i + 1] == '\\' && in[i + 2] == 'n') {
            pass1.append("\\\\n", 3);
            i += 3;
        } else if (in[i] == '\\' && i + 1 < in.size() && in[i + 1] == 'n') {
            pass1.append('\n');
            i += 2;
        } else {
            pass1.append(in[i]);
            ++i;
        }
    }
    QByteArray out;
    out.reserve(pass1.size());
    for (qsizetype i = 0; i < pass1.size();) {
        if (pass1[i] == '\\' && i + 2 < pass1.size() && pass1[i + 1] == '\\' &&
            pass1[i + 2] == 'n') {
            out.append("\\n", 2);
            i += 3;
        } else {
            out.append(pass1[i]);
            ++i;
        }
    }
    return out;
}

} // namespace qpush::eio
