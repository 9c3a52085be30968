// What the console remembers between runs (QSettings): recent servers
// (never their passwords), the window layout, and TLS certificates the user
// chose to trust for a server.
#pragma once

#include "session.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

class QSettings;

namespace qpush::admin {

struct RecentServer
{
    QUrl server;
    Session::Role role = Session::Role::Admin;
    QString user;
    bool passwordInKeychain = false;
    bool operator==(const RecentServer &o) const
    {
        return server == o.server && role == o.role && user == o.user;
    }
};

class ConsoleSettings
{
public:
    static constexpr int MaxRecentServers = 10;

    // The platform's settings for the console (organisation "qpush").
    ConsoleSettings();
    // A settings file (tests).
    explicit ConsoleSettings(const QString &iniFile);
    ~ConsoleSettings();

    QList<RecentServer> recentServers() const;
    // Moves (or adds) the server to the top of the list.
    void addRecentServer(const RecentServer &server);
    void removeRecentServer(const RecentServer &server);

    QStringList trustedCertificates(const QString &server) const;
    void trustCertificate(const QString &server, const QString &digest);

    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    void setWindowLayout(const QByteArray &geometry, const QByteArray &state);
    QByteArray splitterState(const QString &name) const;
    void setSplitterState(const QString &name, const QByteArray &state);

    int refreshIntervalMs() const;
    void setRefreshIntervalMs(int ms);

    void sync();

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace qpush::admin
