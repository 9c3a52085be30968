#include "logging.h"
Q_LOGGING_CATEGORY(lcEventLoop, "qpush.eventloop")
