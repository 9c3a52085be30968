#include "logging.h"
Q_LOGGING_CATEGORY(lcPush, "qpush.push")
