// Picks the process's event dispatcher. Call before the application object
// exists. On Linux (without QPUSH_PORTABLE) it installs the
// EpollEventDispatcher unless QPUSH_STOCK_EVENT_LOOP=1 is set; elsewhere Qt's
// own dispatcher stays. Returns the name of what runs: "epoll" or "qt".
#pragma once

namespace qpush::eventloop {

const char *installEventDispatcher();

} // namespace qpush::eventloop
