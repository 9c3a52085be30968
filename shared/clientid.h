// Client identity (SPEC §2): platforms and client ids
// `<nsp>#<userid>#<platform>-<uuid>`. Domain vocabulary shared by the server
// layers and the admin console.
#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace qpush {

enum class Platform { Web, Ios, Android };

QString platformName(Platform p); // "web", "ios", "android"
std::optional<Platform> platformFromName(QStringView name);

// The parts of a client id.
struct ClientIdParts
{
    QString nsp;
    QString userid;
    Platform platform = Platform::Web;
    QString uuid;
};

std::optional<ClientIdParts> parseClientId(const QString &clientId);
QString makeClientId(const QString &nsp, const QString &userid, Platform platform,
                     const QString &uuid);

} // namespace qpush
