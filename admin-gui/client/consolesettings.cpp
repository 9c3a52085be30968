#include "consolesettings.h"

#include <QSettings>

namespace qpush::admin {

ConsoleSettings::ConsoleSettings()
    : m_settings(
          std::make_unique<QSettings>(QStringLiteral("qpush"), QStringLiteral("qpush-admin")))
{
}

ConsoleSettings::ConsoleSettings(const QString &iniFile)
    : m_settings(std::make_unique<QSettings>(iniFile, QSettings::IniFormat))
{
}

ConsoleSettings::~ConsoleSettings() = default;

QList<RecentServer> ConsoleSettings::recentServers() const
{
    QList<RecentServer> out;
    const int n = m_settings->beginReadArray(QStringLiteral("recentServers"));
    for (int i = 0; i < n && i < MaxRecentServers; ++i) {
        m_settings->setArrayIndex(i);
        RecentServer s;
        s.server = QUrl(m_settings->value(QStringLiteral("url")).toString());
        s.role = m_settings->value(QStringLiteral("role")).toString() == u"namespace"
                     ? Session::Role::Namespace
                     : Session::Role::Admin;
        s.user = m_settings->value(QStringLiteral("user")).toString();
        s.passwordInKeychain = m_settings->value(QStringLiteral("keychain"), false).toBool();
        if (s.server.isValid() && !s.user.isEmpty())
            out.append(s);
    }
    m_settings->endArray();
    return out;
}

namespace {
void writeRecent(QSettings &settings, const QList<RecentServer> &list)
{
    settings.remove(QStringLiteral("recentServers"));
    settings.beginWriteArray(QStringLiteral("recentServers"), int(list.size()));
    for (qsizetype i = 0; i < list.size(); ++i) {
        settings.setArrayIndex(int(i));
        const RecentServer &s = list.at(i);
        settings.setValue(QStringLiteral("url"), s.server.toString());
        settings.setValue(QStringLiteral("role"), s.role == Session::Role::Namespace
                                                      ? QStringLiteral("namespace")
                                                      : QStringLiteral("admin"));
        settings.setValue(QStringLiteral("user"), s.user);
        settings.setValue(QStringLiteral("keychain"), s.passwordInKeychain);
    }
    settings.endArray();
}
} // namespace

void ConsoleSettings::addRecentServer(const RecentServer &server)
{
    QList<RecentServer> list = recentServers();
    list.removeAll(server);
    list.prepend(server);
    writeRecent(*m_settings, list.mid(0, MaxRecentServers));
}

void ConsoleSettings::removeRecentServer(const RecentServer &server)
{
    QList<RecentServer> list = recentServers();
    list.removeAll(server);
    writeRecent(*m_settings, list);
}

QStringList ConsoleSettings::trustedCertificates(const QString &server) const
{
    return m_settings->value(QStringLiteral("trustedCertificates/") + server).toStringList();
}

void ConsoleSettings::trustCertificate(const QString &server, const QString &digest)
{
    QStringList list = trustedCertificates(server);
    if (!list.contains(digest))
        list.append(digest);
    m_settings->setValue(QStringLiteral("trustedCertificates/") + server, list);
}

QByteArray ConsoleSettings::windowGeometry() const
{
    return m_settings->value(QStringLiteral("window/geometry")).toByteArray();
}

QByteArray ConsoleSettings::windowState() const
{
    return m_settings->value(QStringLiteral("window/state")).toByteArray();
}

void ConsoleSettings::setWindowLayout(const QByteArray &geometry, const QByteArray &state)
{
    m_settings->setValue(QStringLiteral("window/geometry"), geometry);
    m_settings->setValue(QStringLiteral("window/state"), state);
}

QByteArray ConsoleSettings::splitterState(const QString &name) const
{
    return m_settings->value(QStringLiteral("window/splitter-") + name).toByteArray();
}

void ConsoleSettings::setSplitterState(const QString &name, const QByteArray &state)
{
    m_settings->setValue(QStringLiteral("window/splitter-") + name, state);
}

int ConsoleSettings::refreshIntervalMs() const
{
    return qBound(1000, m_settings->value(QStringLiteral("refreshIntervalMs"), 5000).toInt(),
                  600000);
}

void ConsoleSettings::setRefreshIntervalMs(int ms)
{
    m_settings->setValue(QStringLiteral("refreshIntervalMs"), ms);
}

void ConsoleSettings::sync()
{
    m_settings->sync();
}

} // namespace qpush::admin
