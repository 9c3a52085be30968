#include "logging.h"
Q_LOGGING_CATEGORY(lcStore, "qpush.store")
Q_LOGGING_CATEGORY(lcStoreSqlite, "qpush.store.sqlite")
Q_LOGGING_CATEGORY(lcStoreRedis, "qpush.store.redis")
