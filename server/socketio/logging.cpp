#include "logging.h"
Q_LOGGING_CATEGORY(lcSocketIo, "qpush.socketio")
