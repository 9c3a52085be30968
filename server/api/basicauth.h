// HTTP Basic credentials as the original service accepted them (SPEC §4):
// the "Basic " scheme word is optional (old clients send bare base64), the
// password may contain ':', and comparison is in constant time.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace qpush::api {

struct Credentials
{
    QString user;
    QString password;
};

// Parses an Authorization header value; nullopt when absent or malformed.
std::optional<Credentials> parseBasicAuth(const QByteArray &headerValue);

// Constant-time equality (time depends only on the lengths).
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace qpush::api
