// Who the console is logged in as: the server's API URL and either the
// admin credentials or one namespace's (then only that namespace is shown).
#pragma once

#include <QString>
#include <QUrl>

namespace qpush::admin {

struct Session
{
    enum class Role { Admin, Namespace };
    QUrl server; // http(s)://host:logic_port
    Role role = Role::Admin;
    QString user; // admin_name, or the namespace key ("/demo")
    QString password;

    bool isAdmin() const { return role == Role::Admin; }
    bool isValid() const { return server.isValid() && !server.host().isEmpty() && !user.isEmpty(); }
    // "admin@127.0.0.1:56789" / "/demo@127.0.0.1:56789": the keychain and recent-server key.
    QString identity() const
    {
        return user + QLatin1Char('@') + server.host() + QLatin1Char(':') +
               QString::number(server.port(server.scheme() == u"https" ? 443 : 80));
    }
};

} // namespace qpush::admin
