#include "logging.h"
Q_LOGGING_CATEGORY(lcCallbacks, "qpush.callbacks")
