#include "logging.h"
Q_LOGGING_CATEGORY(lcEngineIo, "qpush.engineio")
