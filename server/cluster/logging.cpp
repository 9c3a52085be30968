#include "logging.h"
Q_LOGGING_CATEGORY(lcCluster, "qpush.cluster")
