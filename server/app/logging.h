#pragma once
#include <QLoggingCategory>
Q_DECLARE_LOGGING_CATEGORY(lcApp)

namespace qpush {
struct Config;
// Applies log_level / log_rules (QLoggingCategory filter rules) and the
// message pattern (time, level, category).
void applyLogging(const Config &config);
} // namespace qpush
