#include "writebatcher.h"

#include "connection.h"

namespace qpush::net {

size_t WriteBatcher::add(Connection *connection)
{
    m_dirty.push_back(connection);
    if (!m_scheduled) {
        m_scheduled = true;
        QMetaObject::invokeMethod(this, &WriteBatcher::flushAll, Qt::QueuedConnection);
    }
    return m_dirty.size() - 1;
}

void WriteBatcher::remove(Connection *connection, size_t slot)
{
    if (slot < m_dirty.size() && m_dirty[slot] == connection)
        m_dirty[slot] = nullptr; // flushAll skips it
}

void WriteBatcher::flushAll()
{
    m_scheduled = false;
    std::vector<Connection *> dirty;
    dirty.swap(m_dirty);
    for (Connection *c : dirty)
        if (c)
            c->flushBatched();
}

} // namespace qpush::net
