#include "signalwatcher.h"

#include <QPointer>
#include <QSocketNotifier>

#include <csignal>

#ifdef Q_OS_WIN
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace qpush::eventloop {

#ifdef Q_OS_WIN

namespace {
// The console control handler is a plain function called on a system thread.
QPointer<SignalWatcher> g_watcher;

BOOL WINAPI onConsoleControl(DWORD type)
{
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT &&
        type != CTRL_SHUTDOWN_EVENT)
        return FALSE;
    const int sig = type == CTRL_C_EVENT ? SIGINT : SIGTERM;
    if (SignalWatcher *w = g_watcher.data()) {
        QMetaObject::invokeMethod(
            w, [w, sig] { Q_EMIT w->terminationRequested(sig); }, Qt::QueuedConnection);
    }
    return TRUE;
}
} // namespace

SignalWatcher::SignalWatcher(QObject *parent) : QObject(parent)
{
    g_watcher = this;
    ::SetConsoleCtrlHandler(onConsoleControl, TRUE);
}

SignalWatcher::~SignalWatcher()
{
    ::SetConsoleCtrlHandler(onConsoleControl, FALSE);
    g_watcher = nullptr;
}

#else // POSIX

namespace {
// A signal handler can only reach static storage: the write end of the pipe.
int g_pipe[2] = {-1, -1};

void onSignal(int sig)
{
    const unsigned char b = static_cast<unsigned char>(sig);
    [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &b, 1);
}

bool openPipe()
{
#ifdef QPUSH_LINUX_FAST_PATHS
    return ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) == 0;
#else
    if (::pipe(g_pipe) != 0)
        return false;
    for (int fd : g_pipe) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return true;
#endif
}
} // namespace

SignalWatcher::SignalWatcher(QObject *parent) : QObject(parent)
{
    if (g_pipe[0] < 0 && !openPipe())
        return;
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        unsigned char b = 0;
        while (::read(g_pipe[0], &b, 1) == 1) {
            if (int(b) == SIGHUP)
                Q_EMIT reloadRequested();
            else
                Q_EMIT terminationRequested(int(b));
        }
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

SignalWatcher::~SignalWatcher()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
}

#endif

} // namespace qpush::eventloop
