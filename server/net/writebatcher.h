// Coalesces the writes of one event-loop pass: a connection that gets
// output registers here once, and all registered connections are flushed
// together right after the current event has been handled. Several messages
// for one socket in one pass (a burst of broadcasts, a poll answer plus
// frames) then leave in one sendmsg instead of one each.
#pragma once

#include <QObject>

#include <vector>

namespace qpush::net {

class Connection;

class WriteBatcher : public QObject
{
    Q_OBJECT
public:
    explicit WriteBatcher(QObject *parent = nullptr) : QObject(parent) {}

    void add(Connection *connection);
    void remove(Connection *connection);

private:
    void flushAll();
    std::vector<Connection *> m_dirty;
    bool m_scheduled = false;
};

} // namespace qpush::net
