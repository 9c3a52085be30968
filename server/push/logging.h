#pragma once
#include <QLoggingCategory>
Q_DECLARE_LOGGING_CATEGORY(lcPush)
// Info lines operators can silence apart (log_rules, QT_LOGGING_RULES):
// one per client connect/disconnect, one per accepted push.
Q_DECLARE_LOGGING_CATEGORY(lcConnections)
Q_DECLARE_LOGGING_CATEGORY(lcPushes)
