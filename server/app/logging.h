#pragma once
#include <QLoggingCategory>
Q_DECLARE_LOGGING_CATEGORY(lcApp)

class QDateTime;

namespace qpush {
struct Config;
// Applies log_level / log_rules (QLoggingCategory filter rules) and the
// output format: log_format text (time, level, category, message) or json
// (one JSON object per line on stderr).
void applyLogging(const Config &config);

// One line of the json log format, with its newline:
// {"time":"<UTC ISO 8601, ms>","level":"info","category":"qpush.app","message":"..."}
QByteArray jsonLogLine(QtMsgType type, const char *category, const QString &message,
                       const QDateTime &time);
} // namespace qpush
