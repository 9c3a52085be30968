#include "logging.h"
Q_LOGGING_CATEGORY(lcNet, "qpush.net")
