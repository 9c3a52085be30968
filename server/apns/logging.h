#pragma once

#include <QLoggingCategory>

namespace qpush::apns {
Q_DECLARE_LOGGING_CATEGORY(lcApns)
}
