#include "requests.h"

#include "apnssender.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace qpush::push {

namespace {

bool absent(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull();
}

std::optional<DomainError> checkRoom(const QString &room, const Settings &settings)
{
    if (auto err = settings.names.check(NameRules::Kind::Room, room))
        return DomainError::invalid(*err);
    return std::nullopt;
}

// The required `room` of a REST body, checked against the name rules.
Expected<QString> requiredRoom(const QJsonObject &body, const Settings &settings)
{
    const QJsonValue room = body.value(QStringLiteral("room"));
    if (!room.isString())
        return DomainError::invalid(QStringLiteral("room is required (a string)"));
    if (auto err = checkRoom(room.toString(), settings))
        return *err;
    return room.toString();
}

} // namespace

// ---- field parsers of partial writes ---------------------------------------------------

namespace {
std::optional<QString> takeString(const QJsonObject &o, const char *key, QString &out)
{
    const auto it = o.constFind(QLatin1String(key));
    if (it == o.constEnd())
        return std::nullopt;
    if (!it->isString())
        return QStringLiteral("%1 must be a string").arg(QLatin1String(key));
    out = it->toString();
    return std::nullopt;
}

std::optional<QString> mergeApnsEntry(store::ApnsEntry &e, const QJsonObject &o)
{
    for (const auto &f : apnsStringFields())
        if (f.writable)
            if (auto err = takeString(o, f.json, e.*(f.member)))
                return QStringLiteral("apns_list: ") + *err;
    const auto exp = o.constFind(QLatin1String("apns_expiration"));
    if (exp != o.constEnd()) {
        if (exp->isDouble()) {
            // Beyond qint64 the conversion is undefined (tests/fuzz/regressions/rest/).
            const double d = exp->toDouble();
            if (!(std::fabs(d) < 9223372036854775808.0))
                return QStringLiteral("apns_list: apns_expiration is out of range");
            e.apnsExpiration = qint64(d);
        } else if (exp->isString() && !exp->toString().isEmpty())
            e.apnsExpiration = exp->toString().toLongLong();
        else if (!exp->isNull() && !exp->isString())
            return QStringLiteral("apns_list: apns_expiration must be a number");
    }
    if (!e.apnsEnv.isEmpty() && e.apnsEnv != u"dev" && e.apnsEnv != u"production")
        return QStringLiteral("apns_list: apns_env must be dev or production");
    return std::nullopt;
}
} // namespace

bool patchTooLong(const QJsonObject &fields, int maxLength)
{
    for (const char *name : {"device_token", "mobile", "system"})
        if (fields.value(QLatin1String(name)).toString().size() > maxLength)
            return true;
    return false;
}

std::optional<QString> parseClientPatch(const QJsonObject &fields, store::ClientPatch &patch,
                                        bool *writes, int maxLength)
{
    *writes = false;
    const std::pair<const char *, std::optional<QString> store::ClientPatch::*> strings[] = {
        {"device_token", &store::ClientPatch::deviceToken},
        {"mobile", &store::ClientPatch::mobile},
        {"system", &store::ClientPatch::system},
    };
    for (const auto &[name, member] : strings) {
        const QJsonValue v = fields.value(QLatin1String(name));
        if (v.isUndefined())
            continue;
        if (!v.isString())
            return QStringLiteral("%1 must be a string").arg(QLatin1String(name));
        if (v.toString().size() > maxLength)
            return QStringLiteral("%1 is too long (max %2 characters)")
                .arg(QLatin1String(name))
                .arg(maxLength);
        patch.*member = v.toString();
        *writes = true;
    }
    const QJsonValue lm = fields.value(QStringLiteral("leaveMessage"));
    if (!lm.isUndefined()) {
        if (!lm.isBool())
            return QStringLiteral("leaveMessage must be a boolean");
        patch.leaveMessage = lm.toBool();
        *writes = true;
    }
    return std::nullopt;
}

std::optional<QString> mergeNamespace(store::NamespaceRecord &ns, const QJsonObject &fields,
                                      int maxApnsEntries)
{
    for (const auto &f : namespaceStringFields())
        if (f.writable)
            if (auto err = takeString(fields, f.json, ns.*(f.member)))
                return err;
    const auto off = fields.constFind(QLatin1String("offline"));
    if (off != fields.constEnd()) {
        if (off->isString() && (off->toString() == u"on" || off->toString() == u"off"))
            ns.offline = off->toString() == u"on";
        else if (off->isBool())
            ns.offline = off->toBool();
        else
            return QStringLiteral("offline must be \"on\" or \"off\"");
    }
    const auto list = fields.constFind(QLatin1String("apns_list"));
    if (list != fields.constEnd() && !list->isNull()) {
        if (!list->isArray())
            return QStringLiteral("apns_list must be an array");
        const QString tooMany =
            QStringLiteral("apns_list: at most %1 entries (apns_list_max_entries)")
                .arg(maxApnsEntries);
        // Checked before any entry is merged: each merge looks the name up
        // among the stored entries.
        if (list->toArray().size() > maxApnsEntries)
            return tooMany;
        for (const QJsonValue &v : list->toArray()) {
            if (!v.isObject())
                return QStringLiteral("apns_list entries must be objects");
            const QJsonObject o = v.toObject();
            const QString name = o.value(QStringLiteral("name")).toString();
            if (name.isEmpty())
                return QStringLiteral("apns_list entries need a name");
            qsizetype index = -1;
            for (qsizetype i = 0; i < ns.apnsList.size(); ++i)
                if (ns.apnsList.at(i).name == name)
                    index = i;
            if (o.value(QStringLiteral("del")).toBool()) {
                if (index >= 0)
                    ns.apnsList.removeAt(index);
                continue;
            }
            store::ApnsEntry entry;
            if (index >= 0)
                entry = ns.apnsList.at(index);
            entry.name = name;
            if (auto err = mergeApnsEntry(entry, o))
                return err;
            if (index >= 0)
                ns.apnsList[index] = entry;
            else
                ns.apnsList.append(entry);
        }
        if (ns.apnsList.size() > maxApnsEntries)
            return tooMany;
    }
    return std::nullopt;
}

// ---- push / transfer ----------------------------------------------------------------------

Expected<PushRequest> PushRequest::parse(const QJsonObject &body, const Settings &settings)
{
    PushRequest r;
    const QJsonValue room = body.value(QStringLiteral("room"));
    if (absent(room))
        return DomainError::invalid(QStringLiteral("room is required"));
    if (!room.isString())
        return DomainError::invalid(QStringLiteral("room must be a string"));
    if (auto err = checkRoom(room.toString(), settings))
        return *err;
    r.room = room.toString();
    const QJsonValue pushData = body.value(QStringLiteral("pushData"));
    if (absent(pushData))
        return DomainError::invalid(QStringLiteral("pushData is required"));
    if (!pushData.isObject())
        return DomainError::invalid(QStringLiteral("pushData must be an object"));
    r.pushData = pushData.toObject();
    const QJsonValue apnsName = body.value(QStringLiteral("apnsName"));
    if (!absent(apnsName) && !apnsName.isString())
        return DomainError::invalid(QStringLiteral("apnsName must be a string"));
    r.apnsName = apnsName.toString();
    const QJsonValue leaveMessage = body.value(QStringLiteral("leaveMessage"));
    if (!absent(leaveMessage) && !leaveMessage.isBool())
        return DomainError::invalid(QStringLiteral("leaveMessage must be a boolean"));
    r.leaveMessage = leaveMessage.toBool(false);
    const QJsonValue except = body.value(QStringLiteral("except"));
    if (!absent(except) && !except.isString())
        return DomainError::invalid(QStringLiteral("except must be a string (a client id)"));
    r.except = except.toString();
    const QJsonValue expire = body.value(QStringLiteral("expire"));
    r.expireHours = settings.pushMessageExpireHours;
    if (!absent(expire)) {
        if (!expire.isDouble())
            return DomainError::invalid(QStringLiteral("expire must be a number of hours"));
        const double e = expire.toDouble();
        if (e < 1 || e > settings.pushMessageMaxExpireHours || e != std::floor(e))
            return DomainError::invalid(QStringLiteral("expire must be a whole number from 1 to %1")
                                            .arg(settings.pushMessageMaxExpireHours));
        r.expireHours = int(e);
    }
    const QJsonValue extra = body.value(QStringLiteral("extra"));
    if (!absent(extra) && !extra.isString())
        return DomainError::invalid(QStringLiteral("extra must be a string"));
    r.extra = extra.toString();
    if (r.leaveMessage) {
        // The notification offline iOS devices will get must fit (SPEC §8).
        const qsizetype size = apnsPayload(r.pushData, settings.apnsAlert).size();
        if (size > settings.apnsPayloadSize)
            return DomainError::invalid(
                QStringLiteral("the APNs payload (pushData.apsData) is %1 bytes, "
                               "more than apns_payload_size (%2)")
                    .arg(size)
                    .arg(settings.apnsPayloadSize));
    }
    return r;
}

QString TransferRequest::typeName() const
{
    return kind == store::TransferKind::Join ? QStringLiteral("join") : QStringLiteral("leave");
}

Expected<TransferRequest> TransferRequest::parse(const QJsonObject &body, const Settings &settings)
{
    TransferRequest r;
    const QJsonValue sources = body.value(QStringLiteral("sourceRooms"));
    if (!sources.isArray() || sources.toArray().isEmpty())
        return DomainError::invalid(
            QStringLiteral("sourceRooms must be a non-empty array of rooms"));
    const QJsonArray array = sources.toArray();
    r.sourceRooms.reserve(array.size());
    for (const QJsonValue &v : array) {
        if (!v.isString())
            return DomainError::invalid(QStringLiteral("sourceRooms must hold strings"));
        if (auto err = checkRoom(v.toString(), settings))
            return *err;
        r.sourceRooms.append(v.toString());
    }
    const QJsonValue target = body.value(QStringLiteral("targetRoom"));
    if (!target.isString())
        return DomainError::invalid(QStringLiteral("targetRoom must be a string"));
    if (auto err = checkRoom(target.toString(), settings))
        return *err;
    r.targetRoom = target.toString();
    const QJsonValue type = body.value(QStringLiteral("type"));
    if (type == QJsonValue(QStringLiteral("join")))
        r.kind = store::TransferKind::Join;
    else if (type == QJsonValue(QStringLiteral("leave")))
        r.kind = store::TransferKind::Leave;
    else
        return DomainError::invalid(QStringLiteral("type must be \"join\" or \"leave\""));
    return r;
}

// ---- clients ----------------------------------------------------------------------------

Expected<ClientPatchRequest> ClientPatchRequest::parse(const QJsonObject &fields,
                                                       const Settings &settings)
{
    ClientPatchRequest r;
    if (auto err = parseClientPatch(fields, r.patch, &r.writes, settings.infoFieldMaxLength))
        return DomainError::invalid(*err);
    return r;
}

Expected<ClientRequest> ClientRequest::parseId(const QString &id, const QString &nsp)
{
    const auto parts = store::parseClientId(id);
    if (!parts || parts->nsp != nsp)
        return DomainError::notFound(QStringLiteral("no such client"));
    ClientRequest r;
    r.id = id;
    return r;
}

Expected<ClientRequest> ClientRequest::parse(const QJsonObject &body, const QString &nsp,
                                             const Settings &settings)
{
    const QJsonValue id = body.value(QStringLiteral("id"));
    if (!id.isString())
        return DomainError::invalid(QStringLiteral("id is required (a client id)"));
    auto r = parseId(id.toString(), nsp);
    if (!r)
        return r;
    QJsonObject fields = body;
    fields.remove(QStringLiteral("id"));
    auto patch = ClientPatchRequest::parse(fields, settings);
    if (!patch)
        return patch.error();
    r.value().fields = std::move(patch).value();
    return r;
}

// ---- namespaces ---------------------------------------------------------------------------

namespace {
// The field types of a partial save, checked by merging it into an empty
// record. An apns_list longer than the limit is left to the merge into the
// stored record, which refuses it (and logs the limit) before any work.
std::optional<DomainError> checkSaveFields(const QJsonObject &fields, int maxApnsEntries)
{
    QJsonObject checked = fields;
    const QJsonValue list = fields.value(QStringLiteral("apns_list"));
    if (list.isArray() && list.toArray().size() > maxApnsEntries)
        checked.remove(QStringLiteral("apns_list"));
    store::NamespaceRecord scratch;
    if (auto err = mergeNamespace(scratch, checked, maxApnsEntries))
        return DomainError::invalid(*err);
    return std::nullopt;
}
} // namespace

Expected<NamespaceSaveRequest> NamespaceSaveRequest::parseOwn(QJsonObject body)
{
    // A namespace cannot rename itself: `key` is ignored.
    body.remove(QStringLiteral("key"));
    if (auto err = checkSaveFields(body, std::numeric_limits<int>::max()))
        return *err;
    return NamespaceSaveRequest{QString(), std::move(body)};
}

Expected<NamespaceSaveRequest> NamespaceSaveRequest::parseAdmin(QJsonObject body,
                                                                const Settings &settings)
{
    const QJsonValue key = body.value(QStringLiteral("key"));
    if (!key.isString())
        return DomainError::invalid(QStringLiteral("key is required (a string like \"/demo\")"));
    if (auto err = settings.names.check(NameRules::Kind::Namespace, key.toString()))
        return DomainError::invalid(*err);
    // '#' separates the parts of a client id ("/a" + user "x#u" must not be
    // "/a#x" + user "u"), and no client URL can name it anyway.
    if (key.toString().contains(u'#'))
        return DomainError::invalid(QStringLiteral("namespace must not contain '#'"));
    body.remove(QStringLiteral("key"));
    if (auto err = checkSaveFields(body, settings.apnsListMaxEntries))
        return *err;
    return NamespaceSaveRequest{key.toString(), std::move(body)};
}

// ---- rooms ------------------------------------------------------------------------------

Expected<ApnsEdit> ApnsEdit::parse(const QJsonObject &body, const Settings &settings, int maxRooms)
{
    ApnsEdit r;
    for (const auto &[name, list] : {std::pair{"add", &r.add}, std::pair{"remove", &r.remove}}) {
        const QJsonValue v = body.value(QLatin1String(name));
        if (absent(v))
            continue;
        if (!v.isString() && !v.isArray())
            return DomainError::invalid(
                QStringLiteral("%1 must be a room or an array of rooms").arg(QLatin1String(name)));
        const QJsonArray array = v.isString() ? QJsonArray{v} : v.toArray();
        if (maxRooms > 0 && array.size() > maxRooms)
            return DomainError::tooLarge(QStringLiteral("at most %1 rooms per %2 list")
                                             .arg(maxRooms)
                                             .arg(QLatin1String(name)));
        list->reserve(array.size());
        for (const QJsonValue &item : array) {
            if (!item.isString())
                return DomainError::invalid(
                    QStringLiteral("%1 must hold room names").arg(QLatin1String(name)));
            if (auto err = checkRoom(item.toString(), settings))
                return *err;
            list->append(item.toString());
        }
    }
    return r;
}

Expected<RoomApnsRequest> RoomApnsRequest::parse(const QJsonObject &body, const Settings &settings)
{
    auto room = requiredRoom(body, settings);
    if (!room)
        return room.error();
    auto edit = ApnsEdit::parse(body, settings, 0);
    if (!edit)
        return edit.error();
    return RoomApnsRequest{std::move(room).value(), std::move(edit).value()};
}

Expected<RoomLeaveMessageRequest> RoomLeaveMessageRequest::parse(const QJsonObject &body,
                                                                 const Settings &settings)
{
    auto room = requiredRoom(body, settings);
    if (!room)
        return room.error();
    const QJsonValue lm = body.value(QStringLiteral("leaveMessage"));
    if (!lm.isBool())
        return DomainError::invalid(QStringLiteral("leaveMessage must be a boolean"));
    return RoomLeaveMessageRequest{std::move(room).value(), lm.toBool()};
}

Expected<QStringList> parseRoomNames(const QStringList &rooms, const Settings &settings)
{
    for (const QString &room : rooms)
        if (auto err = checkRoom(room, settings))
            return *err;
    return rooms;
}

// ---- queries ----------------------------------------------------------------------------

Expected<PageRequest> PageRequest::parse(const QString &page, const QString &size,
                                         QLatin1String sizeName, int maxSize)
{
    PageRequest r;
    bool okPage = true, okSize = true;
    if (!page.isEmpty())
        r.page = page.toInt(&okPage);
    if (!size.isEmpty())
        r.size = size.toInt(&okSize);
    if (!okPage || r.page < 1)
        return DomainError::invalid(QStringLiteral("page must be a number from 1"));
    if (!okSize || r.size < 1 || r.size > maxSize)
        return DomainError::invalid(
            QStringLiteral("%1 must be a number from 1 to %2").arg(sizeName).arg(maxSize));
    return r;
}

Expected<ReportRequest> ReportRequest::parse(const QString &id, bool withDetail)
{
    bool ok = false;
    const qint64 value = id.toLongLong(&ok);
    if (!ok || value <= 0)
        return DomainError::notFound(QStringLiteral("no such push"));
    return ReportRequest{value, withDetail};
}

} // namespace qpush::push
