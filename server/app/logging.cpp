#include "logging.h"

#include "config.h"

Q_LOGGING_CATEGORY(lcApp, "qpush.app")

namespace qpush {

void applyLogging(const Config &config)
{
    qSetMessagePattern(
        QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}D%{endif}%{if-info}I%{endif}"
                       "%{if-warning}W%{endif}%{if-critical}C%{endif}%{if-fatal}F%{endif} "
                       "%{category}: %{message}"));
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
