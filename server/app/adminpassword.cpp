#include "app/adminpassword.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace qpush {

namespace {

constexpr QFileDevice::Permissions kOwnerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

ConfigError failure(const QString &message)
{
    return ConfigError{message, 1};
}

} // namespace

QString AdminPassword::filePath(const Config &config)
{
    return QDir(config.data_dir).filePath(u"admin_passwd"_s);
}

QString AdminPassword::generate(int length)
{
    static constexpr char16_t alphabet[] =
        u"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    constexpr quint32 size = sizeof(alphabet) / sizeof(alphabet[0]) - 1;
    QString out;
    out.reserve(length);
    QRandomGenerator *rng = QRandomGenerator::system();
    for (int i = 0; i < length; ++i)
        out.append(QChar(alphabet[rng->bounded(size)])); // bounded() is unbiased
    return out;
}

std::variant<QString, ConfigError> AdminPassword::resolve(const Config &config,
                                                          QString *generatedNotice)
{
    if (generatedNotice)
        generatedNotice->clear();
    if (!config.admin_passwd.isEmpty())
        return config.admin_passwd;

    const QString path = filePath(config);
    QFile existing(path);
    if (existing.exists()) {
        if (!existing.open(QIODevice::ReadOnly))
            return failure(path + u": cannot read the admin password: "_s + existing.errorString());
        const QString stored = QString::fromUtf8(existing.readAll()).trimmed();
        existing.close();
        if (!stored.isEmpty()) {
            // Someone may have loosened it by hand; the file is a credential.
            constexpr QFileDevice::Permissions groupOrOther =
                QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup |
                QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
            if (existing.permissions() & groupOrOther)
                existing.setPermissions(kOwnerOnly);
            return stored;
        }
        // An empty file holds no password: generate one in its place.
    }

    const QFileInfo dirInfo(config.data_dir);
    if (!dirInfo.isDir()) {
        if (!QDir().mkpath(config.data_dir))
            return failure(config.data_dir + u": cannot create the data directory"_s);
        // The directory will hold the store and this credential.
        QFile::setPermissions(config.data_dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                   QFileDevice::ExeOwner);
    }

    const QString password = generate();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failure(path + u": cannot write the admin password: "_s + file.errorString());
    // Restrict the temporary file before the secret is written into it.
    file.setPermissions(kOwnerOnly);
    file.write(password.toUtf8() + '\n');
    if (!file.commit())
        return failure(path + u": cannot write the admin password: "_s + file.errorString());
    QFile::setPermissions(path, kOwnerOnly);

    if (generatedNotice) {
        *generatedNotice = u"No admin password is configured, so one was generated.\n"
                           u"  admin user:     "_s +
                           config.admin_name + u"\n  admin password: "_s + password +
                           u"\nIt is stored in "_s +
                           QDir::cleanPath(QFileInfo(path).absoluteFilePath()) +
                           u" and will not be shown again; set admin_passwd in the configuration "
                           u"to choose your own."_s;
    }
    return password;
}

} // namespace qpush
