#include "logging.h"

namespace qpush::apns {
Q_LOGGING_CATEGORY(lcApns, "qpush.apns")
}
