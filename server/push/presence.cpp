#include "presence.h"

#include "liveclients.h"

namespace qpush::push {

void LocalPresence::countRoom(const QString &nsp, const QString &room, const QString &exceptClient,
                              std::function<void(qint64)> done)
{
    done(m_live->countOnline(nsp, room, exceptClient));
}

void LocalPresence::roomOnline(const QString &nsp, const QStringList &rooms,
                               std::function<void(QList<OnlineCounts>)> done)
{
    QList<OnlineCounts> out;
    out.reserve(rooms.size());
    for (const QString &room : rooms)
        out.append(m_live->roomOnline(nsp, room));
    done(std::move(out));
}

void LocalPresence::namespaceOnline(const QString &nsp, bool detail, int,
                                    std::function<void(QJsonObject)> done)
{
    done(m_live->namespaceOnline(nsp, detail));
}

} // namespace qpush::push
