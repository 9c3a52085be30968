#pragma once
#include <QLoggingCategory>
Q_DECLARE_LOGGING_CATEGORY(lcApp)

class QDateTime;
class QProcessEnvironment;

namespace qpush {
struct Config;
// Applies log_level / log_rules (QLoggingCategory filter rules) and the
// output format: log_format text (time, level, category, message) or json
// (one JSON object per line on stderr).
void applyLogging(const Config &config);

// SIGHUP: loads the configuration again as the process started (`args` and
// `env` as given to loadConfig: file, environment, command line) and applies
// its logging keys (log_level, log_rules, log_format) to the process and to
// `running`. Other keys need a restart; changed ones are named in
// `*message`. When loading fails, `running` and the logging stay as they
// were, `*message` says why and the result is false. The caller logs it.
bool reloadLogging(Config &running, const QStringList &args, const QProcessEnvironment &env,
                   QString *message);

// One line of the json log format, with its newline:
// {"time":"<UTC ISO 8601, ms>","level":"info","category":"qpush.app","message":"..."}
QByteArray jsonLogLine(QtMsgType type, const char *category, const QString &message,
                       const QDateTime &time);
} // namespace qpush
