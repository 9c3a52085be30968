#include "logging.h"

#include "config.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>
#include <cstdlib>

Q_LOGGING_CATEGORY(lcApp, "qpush.app")

namespace qpush {

namespace {

QString levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return QStringLiteral("debug");
    case QtInfoMsg:
        return QStringLiteral("info");
    case QtWarningMsg:
        return QStringLiteral("warning");
    case QtCriticalMsg:
        return QStringLiteral("critical");
    case QtFatalMsg:
        break;
    }
    return QStringLiteral("fatal");
}

void jsonMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray line =
        jsonLogLine(type, context.category, message, QDateTime::currentDateTimeUtc());
    // One write per line, so that lines of different threads do not mix.
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace

bool reloadLogging(Config &running, const QStringList &args, const QProcessEnvironment &env,
                   QString *message)
{
    const ConfigResult loaded = loadConfig(args, env);
    if (const auto *error = std::get_if<ConfigError>(&loaded)) {
        *message = QStringLiteral("configuration not reloaded, the logging stays as it was: ") +
                   error->message;
        return false;
    }
    const Config &fresh = std::get<Config>(loaded);
    const QStringList logKeys{QStringLiteral("log_level"), QStringLiteral("log_rules"),
                              QStringLiteral("log_format")};
    QStringList restartKeys;
    const QVariantMap before = configToVariantMap(running);
    const QVariantMap after = configToVariantMap(fresh);
    for (auto it = after.constBegin(); it != after.constEnd(); ++it) {
        if (!logKeys.contains(it.key()) && before.value(it.key()) != it.value())
            restartKeys.append(it.key());
    }
    running.log_level = fresh.log_level;
    running.log_rules = fresh.log_rules;
    running.log_format = fresh.log_format;
    applyLogging(running);
    *message = QStringLiteral("configuration reloaded: log_level %1, log_format %2")
                   .arg(running.log_level, running.log_format);
    if (!restartKeys.isEmpty())
        *message += QStringLiteral("; changed keys that need a restart: ") +
                    restartKeys.join(QStringLiteral(", "));
    return true;
}

QByteArray jsonLogLine(QtMsgType type, const char *category, const QString &message,
                       const QDateTime &time)
{
    // QJsonObject sorts its keys; the fixed order of the documentation reads
    // better in a terminal, so the object is assembled by hand from encoded values.
    auto value = [](const QString &s) {
        const QByteArray array = QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact);
        return array.sliced(1, array.size() - 2); // the string inside [ ]
    };
    QByteArray line;
    line.reserve(64 + message.size());
    line +=
        "{\"time\":" + value(time.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ"))) +
        ",\"level\":" + value(levelName(type)) +
        ",\"category\":" + value(QString::fromUtf8(category ? category : "default")) +
        ",\"message\":" + value(message) + "}\n";
    return line;
}

void applyLogging(const Config &config)
{
    if (config.log_format == u"json") {
        qInstallMessageHandler(jsonMessageHandler);
    } else {
        qInstallMessageHandler(nullptr);
        qSetMessagePattern(
            QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}D%{endif}%{if-info}I%{endif}"
                           "%{if-warning}W%{endif}%{if-critical}C%{endif}%{if-fatal}F%{endif} "
                           "%{category}: %{message}"));
    }
    QString rules;
    const QString level = config.log_level;
    // Everything below the chosen level is off for qpush's categories.
    rules += QStringLiteral("qpush.*.debug=%1\n").arg(level == u"debug" ? u"true" : u"false");
    rules += QStringLiteral("qpush.*.info=%1\n")
                 .arg(level == u"debug" || level == u"info" ? u"true" : u"false");
    rules += QStringLiteral("qpush.*.warning=%1\n").arg(level == u"critical" ? u"false" : u"true");
    QString extra = config.log_rules;
    extra.replace(QLatin1Char(';'), QLatin1Char('\n'));
    rules += extra;
    QLoggingCategory::setFilterRules(rules);
}

} // namespace qpush
