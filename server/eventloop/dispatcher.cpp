#include "dispatcher.h"

#include <QCoreApplication>

#ifdef QPUSH_LINUX_FAST_PATHS
#include "epolldispatcher.h"
#endif

namespace qpush::eventloop {

const char *installEventDispatcher()
{
#ifdef QPUSH_LINUX_FAST_PATHS
    // Cost per pass independent of idle connections (docs/architecture.md).
    if (!qEnvironmentVariableIsSet("QPUSH_STOCK_EVENT_LOOP")) {
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
        return "epoll";
    }
#endif
    return "qt";
}

} // namespace qpush::eventloop
