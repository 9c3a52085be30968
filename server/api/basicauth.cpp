#include "basicauth.h"

namespace qpush::api {

std::optional<Credentials> parseBasicAuth(const QByteArray &headerValue)
{
    QByteArray v = headerValue.trimmed();
    if (v.isEmpty())
        return std::nullopt;
    if (v.size() > 6 && v.first(6).compare("basic ", Qt::CaseInsensitive) == 0)
        v = v.sliced(6).trimmed();
    const auto decoded = QByteArray::fromBase64Encoding(v, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    const QByteArray &text = *decoded;
    const qsizetype colon = text.indexOf(':');
    if (colon <= 0)
        return std::nullopt;
    return Credentials{QString::fromUtf8(text.first(colon)),
                       QString::fromUtf8(text.sliced(colon + 1))};
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    // Compare over the longer length so that the time does not reveal a
    // matching prefix; the length difference is folded into the result.
    const qsizetype n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a.at(i)) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b.at(i)) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

} // namespace qpush::api
