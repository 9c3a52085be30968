// Passwords kept only when the user asks, and then only in the platform
// keychain (QtKeychain: Secret Service / KWallet, macOS Keychain, Windows
// Credential Store), never in QSettings. Asynchronous; errors in words.
#pragma once

#include <QObject>
#include <QString>

#include <functional>

namespace qpush::admin {

class CredentialStore : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const QString &error)>;
    using Loaded = std::function<void(const QString &password, const QString &error)>;

    explicit CredentialStore(QObject *parent = nullptr) : QObject(parent) {}

    // `account` is Session::identity().
    void store(const QString &account, const QString &password, Done done);
    void load(const QString &account, Loaded done);
    void remove(const QString &account, Done done);

    static QString serviceName() { return QStringLiteral("qpush-admin"); }
};

} // namespace qpush::admin
