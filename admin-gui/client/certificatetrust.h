// TLS certificate errors are never ignored silently: each one goes to an
// asker (the GUI shows the errors and lets the user decide). A certificate
// the user accepted is trusted for this run, and across runs only when the
// user asked for it to be remembered (per server, by SHA-256 digest).
#pragma once

#include <QList>
#include <QSet>
#include <QSslError>
#include <QString>

#include <functional>

namespace qpush::admin {

class CertificateTrust
{
public:
    enum class Decision { Reject, AcceptOnce, AcceptAndRemember };
    using Asker = std::function<Decision(const QString &server, const QList<QSslError> &errors)>;
    using Remember = std::function<void(const QString &server, const QString &digest)>;

    void setAsker(Asker asker) { m_asker = std::move(asker); }
    void setRememberHandler(Remember remember) { m_remember = std::move(remember); }
    // Digests remembered in an earlier run (ConsoleSettings) for `server` ("host:port").
    void addRemembered(const QString &server, const QStringList &digests);

    // True when the errors may be ignored for this connection.
    bool accept(const QString &server, const QList<QSslError> &errors);

    static QString digestOf(const QSslCertificate &certificate);
    // One line per error, for the dialog.
    static QString describe(const QList<QSslError> &errors);

private:
    Asker m_asker;
    Remember m_remember;
    QSet<QString> m_trusted; // server + ' ' + digest
};

} // namespace qpush::admin
