// Windows only: runs qpush-server under the service control manager
// (`qpush-server --windows-service`, registered by the NSIS installer as the
// service "qpush"). The SCM's dispatcher runs on a thread of its own; a stop
// or shutdown request calls `stopRequested` on that thread (it must only post
// to the event loop), and the main thread reports the final state.
#pragma once

#include <functional>

namespace qpush::windowsservice {

// Connects to the SCM and reports START_PENDING. False when the process was
// not started by the SCM (then nothing else here does anything).
bool connect(std::function<void()> stopRequested);
// The server serves: SERVICE_RUNNING, stop requests accepted from now on.
void reportRunning();
// The process is about to exit with `exitCode`: SERVICE_STOPPED.
void reportStopped(int exitCode);

} // namespace qpush::windowsservice
