// The pure parts of a REST request on the API port. The route handlers
// (server/api/restapi.cpp) take their body through a private helper that
// answers 400 itself, and PushPipeline::push validates a push next to the
// store; neither is callable without a store, so this target feeds what they
// are built from: the Authorization header (parseBasicAuth), the query
// string (Request::queryItems/queryValue, percent-decoding), the JSON body
// (Qt's parser, then the domain's field parsers parseClientPatch and
// mergeNamespace), and the names found in it (client id, room, namespace
// rules). Input: "<Authorization value>\n<query string>\n<body>".
#include "fuzzcheck.h"

#include "api/basicauth.h"
#include "net/httpmessage.h"
#include "push/json.h"
#include "push/requests.h"
#include "push/settings.h"
#include "shared/namerules.h"
#include "store/types.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace qpush;

namespace {

void names(const NameRules &rules, const QString &value)
{
    (void)rules.check(NameRules::Kind::Namespace, value);
    (void)rules.check(NameRules::Kind::Room, value);
    (void)rules.check(NameRules::Kind::UserId, value);
    (void)rules.check(NameRules::Kind::Uuid, value);
    if (const auto id = store::parseClientId(value)) {
        FUZZ_CHECK(id->nsp.startsWith(QLatin1Char('/')));
        FUZZ_CHECK(!id->userid.isEmpty() && !id->uuid.isEmpty());
        FUZZ_CHECK(store::makeClientId(id->nsp, id->userid, id->platform, id->uuid) == value);
    }
}

void body(const NameRules &rules, QByteArrayView bytes)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return;
    const QJsonObject fields = doc.object();

    store::ClientPatch patch;
    bool writes = false;
    const push::Settings settings; // the defaults of the limits
    const auto patchError =
        push::parseClientPatch(fields, patch, &writes, settings.infoFieldMaxLength);
    FUZZ_CHECK(!patchError || !patchError->isEmpty());

    store::NamespaceRecord ns;
    ns.key = QStringLiteral("/demo");
    store::ApnsEntry existing;
    existing.name = QStringLiteral("app");
    existing.apnsEnv = QStringLiteral("dev");
    ns.apnsList.append(existing);
    const auto mergeError = push::mergeNamespace(ns, fields, settings.apnsListMaxEntries);
    if (!mergeError) {
        // namespaceToJson is not called: it reads a certificate that is not
        // PEM text as a file path on this machine.
        FUZZ_CHECK(ns.apnsList.size() <= settings.apnsListMaxEntries);
        for (const store::ApnsEntry &e : std::as_const(ns.apnsList))
            FUZZ_CHECK(!e.name.isEmpty());
    }

    // The typed requests of the REST bodies (push/requests.h): pure on any input.
    if (const auto pushRequest = push::PushRequest::parse(fields, settings))
        FUZZ_CHECK(!pushRequest->room.isEmpty() && pushRequest->expireHours >= 1);
    if (const auto transfer = push::TransferRequest::parse(fields, settings))
        FUZZ_CHECK(!transfer->sourceRooms.isEmpty());
    (void)push::ClientRequest::parse(fields, QStringLiteral("/demo"), settings);
    (void)push::NamespaceSaveRequest::parseAdmin(fields, settings);
    (void)push::RoomApnsRequest::parse(fields, settings);

    for (const char *key : {"room", "id", "clientId", "except", "userid", "uuid", "key"}) {
        const QJsonValue v = fields.value(QLatin1StringView(key));
        if (v.isString())
            names(rules, v.toString());
    }
    const QJsonValue pushData = fields.value(QStringLiteral("pushData"));
    if (pushData.isObject()) {
        const QByteArray stored = QJsonDocument(pushData.toObject()).toJson(QJsonDocument::Compact);
        // Compared as text: Qt tells an integer from an equal double apart.
        FUZZ_CHECK(QJsonDocument(push::pushDataObject(stored)).toJson(QJsonDocument::Compact) ==
                   stored);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input = fuzz::bytes(data, size);
    const qsizetype nl1 = input.indexOf('\n');
    const QByteArrayView auth = nl1 < 0 ? input : input.first(nl1);
    const QByteArrayView rest = nl1 < 0 ? QByteArrayView() : input.sliced(nl1 + 1);
    const qsizetype nl2 = rest.indexOf('\n');
    const QByteArrayView query = nl2 < 0 ? rest : rest.first(nl2);
    const QByteArrayView json = nl2 < 0 ? QByteArrayView() : rest.sliced(nl2 + 1);

    const NameRules rules;
    if (const auto creds = api::parseBasicAuth(auth.toByteArray())) {
        FUZZ_CHECK(!creds->user.isEmpty());
        names(rules, creds->user);
    }

    http::Request request;
    request.rawQuery = query.toByteArray();
    const auto items = request.queryItems();
    for (const auto &[key, value] : items) {
        FUZZ_CHECK(request.hasQueryItem(key));
        names(rules, QString::fromUtf8(value));
    }
    (void)request.queryValue("page");
    (void)http::percentDecode(query, false);

    body(rules, json);
    return 0;
}
