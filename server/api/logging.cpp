#include "logging.h"
Q_LOGGING_CATEGORY(lcApi, "qpush.api")
