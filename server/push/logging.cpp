#include "logging.h"
Q_LOGGING_CATEGORY(lcPush, "qpush.push")
Q_LOGGING_CATEGORY(lcConnections, "qpush.connections")
Q_LOGGING_CATEGORY(lcPushes, "qpush.pushes")
