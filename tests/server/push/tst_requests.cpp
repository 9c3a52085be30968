// The typed requests of the domain (push/requests.h): each parser on a table
// of bodies, with the error kind and message it must answer (the REST and
// client replies carry them unchanged) or the values it must produce.
#include "push/requests.h"

#include <QJsonDocument>
#include <QTest>

using namespace qpush;
using push::DomainError;

namespace {
QJsonObject json(const QByteArray &text)
{
    const QJsonDocument doc = QJsonDocument::fromJson(text);
    if (!doc.isObject())
        qFatal("test body is not a JSON object: %s", text.constData());
    return doc.object();
}

push::Settings settings()
{
    push::Settings s;
    s.pushMessageExpireHours = 2;
    s.pushMessageMaxExpireHours = 10;
    s.apnsPayloadSize = 200;
    s.infoFieldMaxLength = 8;
    s.apnsListMaxEntries = 2;
    return s;
}

// An error row: the kind and the message expected, or Kind(-1) for success.
constexpr int kOk = -1;
} // namespace

class TestRequests : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void push_data();
    void push();
    void pushValues();
    void transfer_data();
    void transfer();
    void client_data();
    void client();
    void namespaceSave_data();
    void namespaceSave();
    void roomApns_data();
    void roomApns();
    void apnsEditLimit();
    void page_data();
    void page();
    void report_data();
    void report();
};

void TestRequests::push_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");

    const int invalid = DomainError::Invalid;
    QTest::newRow("minimal") << QByteArray(R"({"room":"r","pushData":{}})") << kOk << QString();
    QTest::newRow("no room") << QByteArray(R"({"pushData":{}})") << invalid
                             << QStringLiteral("room is required");
    QTest::newRow("null room") << QByteArray(R"({"room":null,"pushData":{}})") << invalid
                               << QStringLiteral("room is required");
    QTest::newRow("number room") << QByteArray(R"({"room":1,"pushData":{}})") << invalid
                                 << QStringLiteral("room must be a string");
    QTest::newRow("no pushData") << QByteArray(R"({"room":"r"})") << invalid
                                 << QStringLiteral("pushData is required");
    QTest::newRow("string pushData") << QByteArray(R"({"room":"r","pushData":"x"})") << invalid
                                     << QStringLiteral("pushData must be an object");
    QTest::newRow("number apnsName") << QByteArray(R"({"room":"r","pushData":{},"apnsName":1})")
                                     << invalid << QStringLiteral("apnsName must be a string");
    QTest::newRow("string leaveMessage")
        << QByteArray(R"({"room":"r","pushData":{},"leaveMessage":"true"})") << invalid
        << QStringLiteral("leaveMessage must be a boolean");
    QTest::newRow("array except") << QByteArray(R"({"room":"r","pushData":{},"except":[]})")
                                  << invalid
                                  << QStringLiteral("except must be a string (a client id)");
    QTest::newRow("string expire") << QByteArray(R"({"room":"r","pushData":{},"expire":"1"})")
                                   << invalid << QStringLiteral("expire must be a number of hours");
    QTest::newRow("expire 0") << QByteArray(R"({"room":"r","pushData":{},"expire":0})") << invalid
                              << QStringLiteral("expire must be a whole number from 1 to 10");
    QTest::newRow("expire 11") << QByteArray(R"({"room":"r","pushData":{},"expire":11})") << invalid
                               << QStringLiteral("expire must be a whole number from 1 to 10");
    QTest::newRow("expire 1.5") << QByteArray(R"({"room":"r","pushData":{},"expire":1.5})")
                                << invalid
                                << QStringLiteral("expire must be a whole number from 1 to 10");
    QTest::newRow("expire 10") << QByteArray(R"({"room":"r","pushData":{},"expire":10})") << kOk
                               << QString();
    QTest::newRow("bool extra") << QByteArray(R"({"room":"r","pushData":{},"extra":true})")
                                << invalid << QStringLiteral("extra must be a string");
    // First problem in SPEC order wins.
    QTest::newRow("two problems") << QByteArray(R"({"room":1,"pushData":"x"})") << invalid
                                  << QStringLiteral("room must be a string");
    const QByteArray big(300, 'a');
    QTest::newRow("apns payload too big")
        << QByteArray(R"({"room":"r","leaveMessage":true,"pushData":{"apsData":{"alert":")" + big +
                      R"("}}})")
        << invalid
        << QStringLiteral("the APNs payload (pushData.apsData) is %1 bytes, more than "
                          "apns_payload_size (200)");
    QTest::newRow("big payload without leaveMessage")
        << QByteArray(R"({"room":"r","pushData":{"apsData":{"alert":")" + big + R"("}}})") << kOk
        << QString();
}

void TestRequests::push()
{
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);

    const auto r = push::PushRequest::parse(json(body), settings());
    QCOMPARE(r.ok(), kind == kOk);
    if (kind == kOk)
        return;
    QCOMPARE(int(r.error().kind), kind);
    if (message.contains(QLatin1String("%1"))) // the size is the encoder's
        QVERIFY2(r.error().message.startsWith(message.section(QLatin1String("%1"), 0, 0)),
                 qPrintable(r.error().message));
    else
        QCOMPARE(r.error().message, message);
}

void TestRequests::pushValues()
{
    const auto r = push::PushRequest::parse(
        json(R"({"room":"r","pushData":{"a":1},"apnsName":"app","leaveMessage":true,)"
             R"("except":"/n#u#web-1","expire":3,"extra":"lost"})"),
        settings());
    QVERIFY(r.ok());
    QCOMPARE(r->room, QStringLiteral("r"));
    QCOMPARE(r->pushData, json(R"({"a":1})"));
    QCOMPARE(r->apnsName, QStringLiteral("app"));
    QVERIFY(r->leaveMessage);
    QCOMPARE(r->except, QStringLiteral("/n#u#web-1"));
    QCOMPARE(r->expireHours, 3);
    QVERIFY(r->lost());

    const auto d = push::PushRequest::parse(json(R"({"room":"r","pushData":{}})"), settings());
    QVERIFY(d.ok());
    QCOMPARE(d->expireHours, 2); // push_message_expire_hours
    QVERIFY(!d->leaveMessage);
    QVERIFY(!d->lost());
}

void TestRequests::transfer_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");

    const int invalid = DomainError::Invalid;
    QTest::newRow("join") << QByteArray(
                                 R"({"sourceRooms":["a","b"],"targetRoom":"t","type":"join"})")
                          << kOk << QStringLiteral("join");
    QTest::newRow("leave") << QByteArray(R"({"sourceRooms":["a"],"targetRoom":"t","type":"leave"})")
                           << kOk << QStringLiteral("leave");
    QTest::newRow("no sources") << QByteArray(R"({"targetRoom":"t","type":"join"})") << invalid
                                << QStringLiteral("sourceRooms must be a non-empty array of rooms");
    QTest::newRow("empty sources")
        << QByteArray(R"({"sourceRooms":[],"targetRoom":"t","type":"join"})") << invalid
        << QStringLiteral("sourceRooms must be a non-empty array of rooms");
    QTest::newRow("number source")
        << QByteArray(R"({"sourceRooms":[1],"targetRoom":"t","type":"join"})") << invalid
        << QStringLiteral("sourceRooms must hold strings");
    QTest::newRow("no target") << QByteArray(R"({"sourceRooms":["a"],"type":"join"})") << invalid
                               << QStringLiteral("targetRoom must be a string");
    QTest::newRow("bad type") << QByteArray(
                                     R"({"sourceRooms":["a"],"targetRoom":"t","type":"move"})")
                              << invalid << QStringLiteral("type must be \"join\" or \"leave\"");
    QTest::newRow("no type") << QByteArray(R"({"sourceRooms":["a"],"targetRoom":"t"})") << invalid
                             << QStringLiteral("type must be \"join\" or \"leave\"");
}

void TestRequests::transfer()
{
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);

    const auto r = push::TransferRequest::parse(json(body), settings());
    QCOMPARE(r.ok(), kind == kOk);
    if (kind == kOk) {
        QCOMPARE(r->typeName(), message);
        QCOMPARE(r->targetRoom, QStringLiteral("t"));
        QVERIFY(!r->sourceRooms.isEmpty());
        return;
    }
    QCOMPARE(int(r.error().kind), kind);
    QCOMPARE(r.error().message, message);
}

void TestRequests::client_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");
    QTest::addColumn<bool>("writes");

    const int invalid = DomainError::Invalid, notFound = DomainError::NotFound;
    QTest::newRow("read") << QByteArray(R"({"id":"/n#u#web-1"})") << kOk << QString() << false;
    QTest::newRow("write") << QByteArray(R"({"id":"/n#u#ios-1","mobile":"m","leaveMessage":false})")
                           << kOk << QString() << true;
    QTest::newRow("no id") << QByteArray(R"({"mobile":"m"})") << invalid
                           << QStringLiteral("id is required (a client id)") << false;
    QTest::newRow("not an id") << QByteArray(R"({"id":"nope"})") << notFound
                               << QStringLiteral("no such client") << false;
    QTest::newRow("other namespace") << QByteArray(R"({"id":"/other#u#web-1"})") << notFound
                                     << QStringLiteral("no such client") << false;
    // The id is checked before the fields: an unknown client is 404 either way.
    QTest::newRow("other namespace, bad field")
        << QByteArray(R"({"id":"/other#u#web-1","mobile":1})") << notFound
        << QStringLiteral("no such client") << false;
    QTest::newRow("number mobile") << QByteArray(R"({"id":"/n#u#web-1","mobile":1})") << invalid
                                   << QStringLiteral("mobile must be a string") << false;
    QTest::newRow("long system") << QByteArray(R"({"id":"/n#u#web-1","system":"123456789"})")
                                 << invalid
                                 << QStringLiteral("system is too long (max 8 characters)")
                                 << false;
    QTest::newRow("string leaveMessage")
        << QByteArray(R"({"id":"/n#u#web-1","leaveMessage":"no"})") << invalid
        << QStringLiteral("leaveMessage must be a boolean") << false;
}

void TestRequests::client()
{
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);
    QFETCH(bool, writes);

    const auto r = push::ClientRequest::parse(json(body), QStringLiteral("/n"), settings());
    QCOMPARE(r.ok(), kind == kOk);
    if (kind == kOk) {
        QCOMPARE(r->fields.writes, writes);
        QCOMPARE(r->id, json(body).value(QStringLiteral("id")).toString());
        return;
    }
    QCOMPARE(int(r.error().kind), kind);
    QCOMPARE(r.error().message, message);
}

void TestRequests::namespaceSave_data()
{
    QTest::addColumn<bool>("admin");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");

    const int invalid = DomainError::Invalid;
    QTest::newRow("own") << false << QByteArray(R"({"key":"/x","name":"n"})") << kOk << QString();
    QTest::newRow("own wrong type") << false << QByteArray(R"({"name":1})") << invalid
                                    << QStringLiteral("name must be a string");
    QTest::newRow("own bad offline") << false << QByteArray(R"({"offline":"maybe"})") << invalid
                                     << QStringLiteral("offline must be \"on\" or \"off\"");
    QTest::newRow("admin") << true << QByteArray(R"({"key":"/demo","offline":"on"})") << kOk
                           << QString();
    QTest::newRow("admin no key") << true << QByteArray(R"({"name":"n"})") << invalid
                                  << QStringLiteral("key is required (a string like \"/demo\")");
    QTest::newRow("admin hash") << true << QByteArray(R"({"key":"/a#b"})") << invalid
                                << QStringLiteral("namespace must not contain '#'");
    QTest::newRow("admin bad apns entry")
        << true << QByteArray(R"({"key":"/demo","apns_list":[{"name":"a","apns_env":"x"}]})")
        << invalid << QStringLiteral("apns_list: apns_env must be dev or production");
    // The length limit needs the stored entries: left to the merge.
    QTest::newRow("admin long apns_list")
        << true
        << QByteArray(R"({"key":"/demo","apns_list":[{"name":"a"},{"name":"b"},{"name":"c"}]})")
        << kOk << QString();
}

void TestRequests::namespaceSave()
{
    QFETCH(bool, admin);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);

    const auto r = admin ? push::NamespaceSaveRequest::parseAdmin(json(body), settings())
                         : push::NamespaceSaveRequest::parseOwn(json(body));
    QCOMPARE(r.ok(), kind == kOk);
    if (kind == kOk) {
        QVERIFY(!r->fields.contains(QStringLiteral("key")));
        QCOMPARE(r->key, admin ? json(body).value(QStringLiteral("key")).toString() : QString());
        return;
    }
    QCOMPARE(int(r.error().kind), kind);
    QCOMPARE(r.error().message, message);
}

void TestRequests::roomApns_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QStringList>("add");
    QTest::addColumn<QStringList>("remove");

    const int invalid = DomainError::Invalid;
    QTest::newRow("one room") << QByteArray(R"({"room":"r","add":"a"})") << kOk << QString()
                              << QStringList{QStringLiteral("a")} << QStringList();
    QTest::newRow("lists") << QByteArray(R"({"room":"r","add":["a","b"],"remove":["c"]})") << kOk
                           << QString() << QStringList{QStringLiteral("a"), QStringLiteral("b")}
                           << QStringList{QStringLiteral("c")};
    QTest::newRow("no room") << QByteArray(R"({"add":"a"})") << invalid
                             << QStringLiteral("room is required (a string)") << QStringList()
                             << QStringList();
    QTest::newRow("object add") << QByteArray(R"({"room":"r","add":{}})") << invalid
                                << QStringLiteral("add must be a room or an array of rooms")
                                << QStringList() << QStringList();
    QTest::newRow("number in remove")
        << QByteArray(R"({"room":"r","remove":[1]})") << invalid
        << QStringLiteral("remove must hold room names") << QStringList() << QStringList();
}

void TestRequests::roomApns()
{
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);
    QFETCH(QStringList, add);
    QFETCH(QStringList, remove);

    const auto r = push::RoomApnsRequest::parse(json(body), settings());
    QCOMPARE(r.ok(), kind == kOk);
    if (kind == kOk) {
        QCOMPARE(r->room, QStringLiteral("r"));
        QCOMPARE(r->edit.add, add);
        QCOMPARE(r->edit.remove, remove);
        return;
    }
    QCOMPARE(int(r.error().kind), kind);
    QCOMPARE(r.error().message, message);
}

void TestRequests::apnsEditLimit()
{
    // The client `apns` event caps each list (max_rooms_per_message) before
    // reading any name; REST room-apns (maxRooms 0) does not.
    const QJsonObject three = json(R"({"add":["a","b","c"],"remove":"d"})");
    const auto capped = push::ApnsEdit::parse(three, settings(), 2);
    QVERIFY(!capped);
    QCOMPARE(capped.error(),
             push::DomainError::tooLarge(QStringLiteral("at most 2 rooms per add list")));
    const auto badName =
        push::ApnsEdit::parse(json(R"({"add":["a","b","c","bad name"]})"), settings(), 3);
    QCOMPARE(badName.error().kind, DomainError::TooLarge);
    const auto open = push::ApnsEdit::parse(three, settings(), 0);
    QVERIFY(open.ok());
    QCOMPARE(open->add.size(), 3);
    QCOMPARE(open->remove, QStringList{QStringLiteral("d")});
    QVERIFY(!open->isEmpty());
    const auto none = push::ApnsEdit::parse(json(R"({"add":null})"), settings(), 2);
    QVERIFY(none.ok());
    QVERIFY(none->isEmpty());
}

void TestRequests::page_data()
{
    QTest::addColumn<QString>("page");
    QTest::addColumn<QString>("size");
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("expectedPage");
    QTest::addColumn<int>("expectedSize");

    QTest::newRow("defaults") << QString() << QString() << QString() << 1 << 20;
    QTest::newRow("given") << QStringLiteral("3") << QStringLiteral("50") << QString() << 3 << 50;
    QTest::newRow("max") << QStringLiteral("1") << QStringLiteral("500") << QString() << 1 << 500;
    QTest::newRow("page 0") << QStringLiteral("0") << QString()
                            << QStringLiteral("page must be a number from 1") << 0 << 0;
    QTest::newRow("page text") << QStringLiteral("x") << QString()
                               << QStringLiteral("page must be a number from 1") << 0 << 0;
    QTest::newRow("size 0") << QString() << QStringLiteral("0")
                            << QStringLiteral("size must be a number from 1 to 500") << 0 << 0;
    QTest::newRow("size 501") << QString() << QStringLiteral("501")
                              << QStringLiteral("size must be a number from 1 to 500") << 0 << 0;
}

void TestRequests::page()
{
    QFETCH(QString, page);
    QFETCH(QString, size);
    QFETCH(QString, message);
    QFETCH(int, expectedPage);
    QFETCH(int, expectedSize);

    const auto r = push::PageRequest::parse(page, size, QLatin1String("size"), 500);
    QCOMPARE(r.ok(), message.isEmpty());
    if (!r) {
        QCOMPARE(r.error().kind, DomainError::Invalid);
        QCOMPARE(r.error().message, message);
        return;
    }
    QCOMPARE(r->page, expectedPage);
    QCOMPARE(r->size, expectedSize);
    QCOMPARE(r->offset(), qsizetype(expectedPage - 1) * expectedSize);
}

void TestRequests::report_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<qint64>("expected"); // 0: 404

    QTest::newRow("id") << QStringLiteral("42") << qint64(42);
    QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
    QTest::newRow("negative") << QStringLiteral("-3") << qint64(0);
    QTest::newRow("text") << QStringLiteral("abc") << qint64(0);
    QTest::newRow("empty") << QString() << qint64(0);
}

void TestRequests::report()
{
    QFETCH(QString, id);
    QFETCH(qint64, expected);

    const auto r = push::ReportRequest::parse(id, true);
    QCOMPARE(r.ok(), expected != 0);
    if (!r) {
        QCOMPARE(r.error(), DomainError::notFound(QStringLiteral("no such push")));
        return;
    }
    QCOMPARE(r->id, expected);
    QVERIFY(r->withDetail);
}

QTEST_GUILESS_MAIN(TestRequests)
#include "tst_requests.moc"
