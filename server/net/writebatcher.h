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

    // Registers a connection for this pass; returns its slot for remove().
    size_t add(Connection *connection);
    // O(1): the slot add() returned.
    void remove(Connection *connection, size_t slot);

private:
    void flushAll();
    std::vector<Connection *> m_dirty;
    bool m_scheduled = false;
};

} // namespace qpush::net
