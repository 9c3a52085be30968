// Single classes of the push domain, each called directly over the in-memory
// store and a fake clock (tests/support/domainfixture.h), without sockets or
// HTTP: PushPipeline (refusals, sync data, receipts), Reports (the ack-detail
// limit), ClientRecords (write only an existing client, update_date from the
// clock), NamespaceAdmin (list filters and paging, offline-first operations),
// NamespaceRegistry (updateDate from the clock) and LimitLog (one line per
// limit and minute of the clock).
#include "support/domainfixture.h"

#include "push/limitlog.h"

#include <QTest>

using namespace qpush;
using namespace qpush::test;
using push::Expected;

namespace {
const QString kNsp = QStringLiteral("/demo");

QString clientId(const QString &userid, store::Platform platform = store::Platform::Android)
{
    return store::makeClientId(kNsp, userid, platform, QStringLiteral("uuid-") + userid);
}
} // namespace

class TstDomainServices : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup() { m_d.reset(); }

    void pipelineRefusals();
    void syncAnswersData();
    void syncIsBounded();
    void receiptsAndAckDetailLimit();
    void clientRecordsWriteOnlyExisting();
    void clientRecordsRemoveLegacyByTheClock();
    void namespaceListFiltersAndPages();
    void destructiveOperationsNeedOffline();
    void registryStampsSavesWithTheClock();
    void limitLogOneLinePerMinuteOfTheClock();

private:
    // A stored client of kNsp in `rooms`.
    void addClient(const QString &id, const QStringList &rooms);
    // A push to `room` of kNsp; its outcome.
    push::PushOutcome push(const QString &room, const QJsonObject &extra = {});

    std::unique_ptr<DomainFixture> m_d;
};

void TstDomainServices::init()
{
    m_d = std::make_unique<DomainFixture>();
    QVERIFY(m_d->open());
    QVERIFY(m_d->saveNamespace(kNsp, QStringLiteral("pw")));
}

void TstDomainServices::addClient(const QString &id, const QStringList &rooms)
{
    store::ClientPatch patch;
    patch.connectTime = m_d->clock.nowMs();
    const auto updated = awaitValue<store::Result<store::ClientInfo>>(
        [&](auto done) { m_d->store.updateClient(id, patch, std::move(done)); });
    QVERIFY(updated && *updated);
    const auto joined = awaitValue<store::Result<store::Done>>(
        [&](auto done) { m_d->store.joinRooms(id, rooms, std::move(done)); });
    QVERIFY(joined && *joined);
}

push::PushOutcome TstDomainServices::push(const QString &room, const QJsonObject &extra)
{
    QJsonObject body{{QStringLiteral("room"), room},
                     {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("t"), room}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());
    const Expected<push::PushRequest> request = push::PushRequest::parse(body, m_d->settings);
    if (!request)
        return push::PushOutcome{request.error(), 0, 0};
    const auto outcome = awaitValue<push::PushOutcome>([&](auto done) {
        m_d->pipeline.push(kNsp, *request, [done](const push::PushOutcome &o) { done(o); });
    });
    return outcome.value_or(push::PushOutcome{
        push::DomainError{push::DomainError::Internal, QStringLiteral("no answer")}, 0, 0});
}

void TstDomainServices::pipelineRefusals()
{
    const auto request = push::PushRequest::parse({{QStringLiteral("room"), QStringLiteral("r")},
                                                   {QStringLiteral("pushData"), QJsonObject()}},
                                                  m_d->settings);
    QVERIFY(request);
    auto outcomeFor = [&](const QString &nsp) {
        return awaitValue<push::PushOutcome>([&](auto done) {
            m_d->pipeline.push(nsp, *request, [done](const push::PushOutcome &o) { done(o); });
        });
    };
    auto missing = outcomeFor(QStringLiteral("/ghost"));
    QVERIFY(missing && missing->error);
    QCOMPARE(missing->error->kind, push::DomainError::NotFound);

    QVERIFY(m_d->saveNamespace(kNsp, QStringLiteral("pw"), {{QStringLiteral("offline"), true}}));
    auto offline = outcomeFor(kNsp);
    QVERIFY(offline && offline->error);
    QCOMPARE(offline->error->kind, push::DomainError::Forbidden);
    QCOMPARE(m_d->pipeline.acceptedPushes(), 0);

    QVERIFY(m_d->saveNamespace(kNsp, QStringLiteral("pw"), {{QStringLiteral("offline"), false}}));
    auto accepted = outcomeFor(kNsp);
    QVERIFY(accepted && !accepted->error);
    QVERIFY(accepted->id > 0);
    QCOMPARE(m_d->pipeline.acceptedPushes(), 1);
}

void TstDomainServices::syncAnswersData()
{
    const push::PushOutcome first =
        push(QStringLiteral("r"), {{QStringLiteral("leaveMessage"), true}});
    QVERIFY(!first.error);
    const push::PushOutcome second =
        push(QStringLiteral("r"), {{QStringLiteral("leaveMessage"), true}});
    QVERIFY(!second.error);
    QVERIFY(!push(QStringLiteral("other")).error);

    auto sync = [&](qint64 clientNum, bool fetch) {
        return awaitValue<Expected<store::SyncResult>>([&](auto done) {
            m_d->pipeline.sync(kNsp, QStringLiteral("r"), clientNum, fetch, std::move(done));
        });
    };
    // The room's serverNum, and the pushes from clientNum on (the client's
    // last serverNum is sent again: it checks the overlap).
    auto all = sync(0, true);
    QVERIFY(all && *all);
    QCOMPARE(all->value().serverNum, 2);
    QCOMPARE(all->value().messages.size(), 2);
    QCOMPARE(all->value().messages.at(0).id, first.id);
    QCOMPARE(all->value().messages.at(1).id, second.id);
    // A push's serverNum is the room's count before it; the room's is the count.
    QCOMPARE(all->value().messages.at(0).serverNum, 0);
    QCOMPARE(all->value().messages.at(1).serverNum, 1);
    // Without fetch: the number only.
    auto numberOnly = sync(0, false);
    QVERIFY(numberOnly && *numberOnly);
    QCOMPARE(numberOnly->value().serverNum, 2);
    QVERIFY(numberOnly->value().messages.isEmpty());
    // Up to date: nothing to fetch.
    auto upToDate = sync(2, true);
    QVERIFY(upToDate && *upToDate);
    QCOMPARE(upToDate->value().serverNum, 2);
    QVERIFY(upToDate->value().messages.isEmpty());
    // An outage is an Unavailable error, not an empty answer.
    m_d->store.setAvailable(false);
    auto down = sync(0, true);
    QVERIFY(down && !*down);
    QCOMPARE(down->error().kind, push::DomainError::Unavailable);
}

void TstDomainServices::syncIsBounded()
{
    m_d->settings.syncMaxMessages = 3;
    for (int i = 0; i < 5; ++i)
        QVERIFY(!push(QStringLiteral("r")).error);
    const auto r = awaitValue<Expected<store::SyncResult>>([&](auto done) {
        m_d->pipeline.sync(kNsp, QStringLiteral("r"), 0, true, std::move(done));
    });
    QVERIFY(r && *r);
    QCOMPARE(r->value().serverNum, 5);
    QCOMPARE(r->value().messages.size(), 3);
    QCOMPARE(r->value().messages.first().serverNum, 0); // the oldest first
    QCOMPARE(r->value().messages.last().serverNum, 2);
}

void TstDomainServices::receiptsAndAckDetailLimit()
{
    const QStringList ids{clientId(QStringLiteral("a")), clientId(QStringLiteral("b")),
                          clientId(QStringLiteral("c"))};
    for (const QString &id : ids)
        addClient(id, {QStringLiteral("r")});
    const push::PushOutcome pushed = push(QStringLiteral("r"));
    QVERIFY(!pushed.error);

    // Three receipts of one push in one event-loop pass, one twice.
    auto answered = std::make_shared<int>(0);
    auto failures = std::make_shared<int>(0);
    for (const QString &id : ids + QStringList{ids.first()})
        m_d->pipeline.acknowledge(kNsp, pushed.id, id,
                                  [answered, failures](std::optional<push::DomainError> err) {
                                      ++*answered;
                                      if (err)
                                          ++*failures;
                                  });
    QTRY_COMPARE(*answered, 4);
    QCOMPARE(*failures, 0);

    m_d->settings.reportPushAckDetailMaxLimit = 2;
    const auto report = awaitValue<Expected<store::PushReport>>([&](auto done) {
        m_d->services.reports.get(kNsp, push::ReportRequest{pushed.id, true}, std::move(done));
    });
    QVERIFY(report && *report);
    QCOMPARE(report->value().ackCount, 3); // the repeated receipt counted once
    QCOMPARE(report->value().ackAndroidCount, 3);
    QCOMPARE(report->value().ackAndroidDetail.size(), 2); // the detail is capped, not the count

    const auto missing = awaitValue<Expected<store::PushReport>>([&](auto done) {
        m_d->services.reports.get(kNsp, push::ReportRequest{pushed.id + 1000, false},
                                  std::move(done));
    });
    QVERIFY(missing && !*missing);
    QCOMPARE(missing->error().kind, push::DomainError::NotFound);
}

void TstDomainServices::clientRecordsWriteOnlyExisting()
{
    push::ClientRecords &records = m_d->services.clients;
    const QString ghost = clientId(QStringLiteral("ghost"));
    store::ClientPatch patch;
    patch.mobile = QStringLiteral("555");

    auto updateExisting = [&](const QString &id) {
        return awaitValue<Expected<store::ClientInfo>>(
            [&](auto done) { records.updateExisting(id, patch, std::move(done)); });
    };
    auto get = [&](const QString &id) {
        return awaitValue<Expected<store::ClientInfo>>(
            [&](auto done) { records.get(id, std::move(done)); });
    };
    // Not there: NotFound, and no record is created by the attempt.
    auto refused = updateExisting(ghost);
    QVERIFY(refused && !*refused);
    QCOMPARE(refused->error().kind, push::DomainError::NotFound);
    auto stillMissing = get(ghost);
    QVERIFY(stillMissing && !*stillMissing);
    QCOMPARE(stillMissing->error().kind, push::DomainError::NotFound);

    // update() writes a connected client's own record, created or not.
    m_d->clock.advance(5000);
    const qint64 firstWrite = m_d->clock.nowMs();
    auto created = awaitValue<Expected<store::ClientInfo>>(
        [&](auto done) { records.update(ghost, patch, std::move(done)); });
    QVERIFY(created && *created);
    QCOMPARE(created->value().mobile, QStringLiteral("555"));
    QCOMPARE(created->value().updateDate, firstWrite);

    // Now it exists: updateExisting writes and stamps update_date from the clock.
    m_d->clock.advance(60000);
    patch.mobile = QStringLiteral("777");
    auto written = updateExisting(ghost);
    QVERIFY(written && *written);
    QCOMPARE(written->value().mobile, QStringLiteral("777"));
    QCOMPARE(written->value().updateDate, firstWrite + 60000);
}

void TstDomainServices::clientRecordsRemoveLegacyByTheClock()
{
    m_d->settings.clientLegacyExpireHours = 2;
    const QString old = clientId(QStringLiteral("old"));
    const QString recent = clientId(QStringLiteral("recent"));
    addClient(old, {});
    m_d->clock.advance(push::kHourMs);
    addClient(recent, {});
    // One hour later "old" was last seen two hours ago (and a millisecond).
    m_d->clock.advance(push::kHourMs + 1);
    const auto removed = awaitValue<Expected<QStringList>>(
        [&](auto done) { m_d->services.clients.removeLegacy(kNsp, std::move(done)); });
    QVERIFY(removed && *removed);
    QCOMPARE(removed->value(), QStringList{old});
    const auto kept = awaitValue<Expected<store::ClientInfo>>(
        [&](auto done) { m_d->services.clients.get(recent, std::move(done)); });
    QVERIFY(kept && *kept);
}

void TstDomainServices::namespaceListFiltersAndPages()
{
    QVERIFY(m_d->saveNamespace(QStringLiteral("/alpha"), QStringLiteral("pw"),
                               {{QStringLiteral("name"), QStringLiteral("First")}}));
    QVERIFY(m_d->saveNamespace(QStringLiteral("/beta"), QStringLiteral("pw"),
                               {{QStringLiteral("name"), QStringLiteral("Second")},
                                {QStringLiteral("offline"), QStringLiteral("on")}}));
    auto keysOf = [&](const QString &key, const QString &name, const QString &offline,
                      const QString &page, const QString &size, qsizetype *total) {
        const auto request = push::NamespaceListRequest::parse(key, name, offline, page, size);
        if (!request)
            return QStringList{QStringLiteral("error: ") + request.error().message};
        const push::NamespacePage p = m_d->services.namespaces.list(*request);
        *total = p.total;
        QStringList keys;
        for (const store::NamespaceRecord &ns : p.items)
            keys.append(ns.key);
        return keys;
    };
    qsizetype total = -1;
    QCOMPARE(keysOf({}, {}, {}, {}, {}, &total),
             (QStringList{QStringLiteral("/alpha"), QStringLiteral("/beta"), kNsp}));
    QCOMPARE(total, 3);
    QCOMPARE(keysOf({}, {}, QStringLiteral("on"), {}, {}, &total),
             QStringList{QStringLiteral("/beta")});
    QCOMPARE(keysOf({}, {}, QStringLiteral("off"), {}, {}, &total),
             (QStringList{QStringLiteral("/alpha"), kNsp}));
    QCOMPARE(keysOf(QStringLiteral("a"), {}, {}, {}, {}, &total),
             (QStringList{QStringLiteral("/alpha"), QStringLiteral("/beta")}));
    QCOMPARE(keysOf({}, QStringLiteral("Sec"), {}, {}, {}, &total),
             QStringList{QStringLiteral("/beta")});
    // A page of one: the total still counts every match.
    QCOMPARE(keysOf({}, {}, {}, QStringLiteral("2"), QStringLiteral("1"), &total),
             QStringList{QStringLiteral("/beta")});
    QCOMPARE(total, 3);
    QCOMPARE(keysOf({}, {}, {}, QStringLiteral("4"), QStringLiteral("1"), &total), QStringList());
    QCOMPARE(keysOf({}, {}, QStringLiteral("maybe"), {}, {}, &total),
             QStringList{QStringLiteral("error: offline must be on, off or all")});
}

void TstDomainServices::destructiveOperationsNeedOffline()
{
    push::NamespaceAdmin &admin = m_d->services.namespaces;
    // Unknown: NotFound; online: Conflict; for every destructive operation.
    QCOMPARE(admin.clearRealtimeData(QStringLiteral("/ghost"))->kind, push::DomainError::NotFound);
    QCOMPARE(admin.clearRealtimeData(kNsp)->kind, push::DomainError::Conflict);
    auto remove = [&](const QString &key) {
        return awaitValue<Expected<store::Done>>(
            [&](auto done) { admin.remove(key, true, std::move(done)); });
    };
    auto online = remove(kNsp);
    QVERIFY(online && !*online);
    QCOMPARE(online->error().kind, push::DomainError::Conflict);
    QVERIFY(m_d->registry.find(kNsp));
    auto legacy = awaitValue<Expected<QStringList>>(
        [&](auto done) { admin.clearLegacyClients(kNsp, std::move(done)); });
    QVERIFY(legacy && !*legacy);
    QCOMPARE(legacy->error().kind, push::DomainError::Conflict);

    // Offline: allowed, and the namespace is gone.
    QVERIFY(m_d->saveNamespace(kNsp, QStringLiteral("pw"), {{QStringLiteral("offline"), true}}));
    QVERIFY(!admin.clearRealtimeData(kNsp));
    auto removed = remove(kNsp);
    QVERIFY(removed && *removed);
    QVERIFY(!m_d->registry.find(kNsp));
    auto again = remove(kNsp);
    QVERIFY(again && !*again);
    QCOMPARE(again->error().kind, push::DomainError::NotFound);
}

void TstDomainServices::registryStampsSavesWithTheClock()
{
    m_d->clock.set(1800000000000);
    QVERIFY(m_d->saveNamespace(kNsp, QStringLiteral("pw2")));
    QCOMPARE(m_d->registry.find(kNsp)->updateDate, 1800000000000);
    m_d->clock.advance(1234);
    QVERIFY(m_d->saveNamespace(QStringLiteral("/new"), QStringLiteral("pw")));
    QCOMPARE(m_d->registry.find(QStringLiteral("/new"))->updateDate, 1800000001234);
}

void TstDomainServices::limitLogOneLinePerMinuteOfTheClock()
{
    static QStringList *lines = nullptr;
    QStringList captured;
    lines = &captured;
    const QtMessageHandler previous =
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &msg) {
            if (lines && type == QtWarningMsg)
                lines->append(msg);
        });
    push::LimitLog log(&m_d->clock, nullptr);
    log.tripped("x", QStringLiteral("first"));
    log.tripped("x", QStringLiteral("second"));
    m_d->clock.advance(59000); // still the same minute of the clock
    log.tripped("x", QStringLiteral("third"));
    log.tripped("y", QStringLiteral("other limit"));
    m_d->clock.advance(1000);
    log.tripped("x", QStringLiteral("fourth"));
    qInstallMessageHandler(previous);
    lines = nullptr;

    QCOMPARE(captured.size(), 3);
    QVERIFY2(captured.at(0).contains(QStringLiteral("limit x tripped: first (0 more")),
             qPrintable(captured.at(0)));
    QVERIFY2(captured.at(1).contains(QStringLiteral("limit y tripped: other limit")),
             qPrintable(captured.at(1)));
    QVERIFY2(captured.at(2).contains(QStringLiteral("limit x tripped: fourth (2 more")),
             qPrintable(captured.at(2)));
}

QTEST_GUILESS_MAIN(TstDomainServices)
#include "tst_domainservices.moc"
