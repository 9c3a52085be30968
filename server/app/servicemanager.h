// Readiness and status for the service manager. Under systemd (a Type=notify
// unit, NOTIFY_SOCKET set) these send READY=1 once the server serves,
// STOPPING=1 when it shuts down and a STATUS= line for `systemctl status`.
// Built without libsystemd (CMake option QPUSH_SYSTEMD=OFF, every non-Linux
// platform) or started by anything else, they do nothing.
#pragma once

#include <QString>

namespace qpush::servicemanager {

// True when this build can talk to systemd (QPUSH_SYSTEMD=ON).
bool supported();

void notifyReady(const QString &status);
void notifyStopping(const QString &status);

} // namespace qpush::servicemanager
