// Typed requests of the domain (SPEC §4): each is parsed and validated once,
// at the edge that received it (REST body, client event, query string), by a
// pure `parse` returning the request or the DomainError to answer. Wrong JSON
// types are refused, never coerced; checks run in SPEC order, so the first
// problem found is the one reported.
#pragma once

#include "errors.h"
#include "settings.h"

#include "store/types.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace qpush::push {

// The writable client fields of `info` / POST /api/auth/client (SPEC §3.2):
// device_token, mobile, system (strings) and leaveMessage (boolean). Sets
// `*writes` when at least one is present; an error text for a wrong type or
// a string longer than `maxLength` characters (info_field_max_length).
std::optional<QString> parseClientPatch(const QJsonObject &fields, store::ClientPatch &patch,
                                        bool *writes, int maxLength);
// True when one of those string fields is longer than `maxLength`.
bool patchTooLong(const QJsonObject &fields, int maxLength);

// Merges a partial namespace save (SPEC §10: absent fields keep their
// values; apns_list entries merged by name, `del: true` removes one) into
// `ns`. Returns an error text for a field of the wrong type, or for an
// apns_list (in the save or after it) of more than `maxApnsEntries`.
std::optional<QString> mergeNamespace(store::NamespaceRecord &ns, const QJsonObject &fields,
                                      int maxApnsEntries);

// POST /api/auth/push and the client `push` event.
struct PushRequest
{
    QString room;
    QJsonObject pushData;
    QString apnsName;
    bool leaveMessage = false;
    QString except; // a client id left out of the delivery
    int expireHours = 1;
    QString extra; // "lost": stored and counted, not delivered live

    bool lost() const { return extra == u"lost"; }
    static Expected<PushRequest> parse(const QJsonObject &body, const Settings &settings);
};

// POST /api/auth/transfer.
struct TransferRequest
{
    QStringList sourceRooms;
    QString targetRoom;
    store::TransferKind kind = store::TransferKind::Join;

    QString typeName() const; // "join" | "leave"
    static Expected<TransferRequest> parse(const QJsonObject &body, const Settings &settings);
};

// The writable client fields (SPEC §3.2) of `info` and POST /api/auth/client:
// device_token, mobile, system (strings of at most info_field_max_length
// characters) and leaveMessage (boolean). Other fields are ignored.
struct ClientPatchRequest
{
    store::ClientPatch patch;
    bool writes = false; // at least one field given: a write, else a read

    static Expected<ClientPatchRequest> parse(const QJsonObject &fields, const Settings &settings);
};

// GET /api/auth/client/:id and POST /api/auth/client {id, ...fields}: a
// client of the caller's namespace `nsp`, read or patched.
struct ClientRequest
{
    QString id;
    ClientPatchRequest fields;

    static Expected<ClientRequest> parse(const QJsonObject &body, const QString &nsp,
                                         const Settings &settings);
    static Expected<ClientRequest> parseId(const QString &id, const QString &nsp);
};

// POST /api/auth/namespace/save (the caller's namespace) and POST
// /api/admin/namespace/save (`key` in the body; may create it). `fields` is
// the partial save (SPEC §10), its field types already checked; the apns_list
// length limit needs the stored entries and is checked at the merge.
struct NamespaceSaveRequest
{
    QString key; // empty for the namespace's own save
    QJsonObject fields;

    static Expected<NamespaceSaveRequest> parseOwn(QJsonObject body);
    static Expected<NamespaceSaveRequest> parseAdmin(QJsonObject body, const Settings &settings);
};

// A do-not-disturb edit (SPEC §3.2 `apns`, §4 room-apns): `add` and
// `remove`, each absent, a room, or an array of rooms (names checked).
// `maxRooms` > 0 caps each list (TooLarge, before any name is read).
struct ApnsEdit
{
    QStringList add;
    QStringList remove;

    bool isEmpty() const { return add.isEmpty() && remove.isEmpty(); }
    static Expected<ApnsEdit> parse(const QJsonObject &body, const Settings &settings,
                                    int maxRooms);
};

// POST /api/auth/room-apns: the edit for every member of `room`.
struct RoomApnsRequest
{
    QString room;
    ApnsEdit edit;

    static Expected<RoomApnsRequest> parse(const QJsonObject &body, const Settings &settings);
};

// POST /api/auth/room-leave-message.
struct RoomLeaveMessageRequest
{
    QString room;
    bool leaveMessage = true;

    static Expected<RoomLeaveMessageRequest> parse(const QJsonObject &body,
                                                   const Settings &settings);
};

// A page of a list: `page` from 1 (default 1), `size` from 1 to `maxSize`
// (default 20). The texts come from a query string; empty means absent.
// `sizeName` names the size parameter in the error ("size", "pageSize").
struct PageRequest
{
    int page = 1;
    int size = 20;

    qsizetype offset() const { return (page - 1) * qsizetype(size); }
    static Expected<PageRequest> parse(const QString &page, const QString &size,
                                       QLatin1String sizeName, int maxSize);
};

// GET /api/auth/report/push/:id[?ackDetail=true].
struct ReportRequest
{
    qint64 id = 0;
    bool withDetail = false;

    static Expected<ReportRequest> parse(const QString &id, bool withDetail);
};

// Rooms named by an online report query: each checked against the name rules.
Expected<QStringList> parseRoomNames(const QStringList &rooms, const Settings &settings);

} // namespace qpush::push
