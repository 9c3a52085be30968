#include "writebatcher.h"

#include "connection.h"

#include <algorithm>

namespace qpush::net {

void WriteBatcher::add(Connection *connection)
{
    m_dirty.push_back(connection);
    if (!m_scheduled) {
        m_scheduled = true;
        QMetaObject::invokeMethod(this, &WriteBatcher::flushAll, Qt::QueuedConnection);
    }
}

void WriteBatcher::remove(Connection *connection)
{
    auto it = std::find(m_dirty.begin(), m_dirty.end(), connection);
    if (it != m_dirty.end())
        *it = nullptr; // flushAll skips it
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
