// Config loading: defaults, YAML, environment, command line, precedence,
// warnings and every kind of bad value.
#include "app/config.h"
#include "shared/version.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using qpush::Config;
using qpush::ConfigError;
using qpush::ConfigResult;

namespace {

QProcessEnvironment envOf(const QStringList &assignments)
{
    QProcessEnvironment env;
    for (const QString &a : assignments) {
        const qsizetype eq = a.indexOf(u'=');
        env.insert(a.left(eq), a.mid(eq + 1));
    }
    return env;
}

// Loads with no default search path, so no file outside the test is read.
ConfigResult load(const QStringList &args, const QStringList &env = {},
                  const QStringList &search = {})
{
    return qpush::loadConfig(QStringList{u"qpush-server"_s} + args, envOf(env), search);
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write test file");
        f.write(content);
        return path;
    }

    // The Config, failing the test (and returning defaults) on an error.
    static Config expectConfig(const ConfigResult &r)
    {
        if (const auto *e = std::get_if<ConfigError>(&r)) {
            qWarning("unexpected error: %s", qPrintable(e->message));
            return Config();
        }
        return std::get<Config>(r);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaults_data();
    void defaults();
    void everyKeyHasADefaultRow();
    void yamlValues_data();
    void yamlValues();
    void envValues_data();
    void envValues();
    void cliValues_data();
    void cliValues();
    void precedence_data();
    void precedence();
    void storeResolution_data();
    void storeResolution();
    void searchPath();
    void emptyFileIsFine();
    void unknownKeysWarn();
    void badValues_data();
    void badValues();
    void helpAndVersion_data();
    void helpAndVersion();
    void roleFlags();
    void shippedConfigIsTheDefaults();
    void docsCoverEveryKey();
};

// Every key with its documented default, in documentation order.
static QList<std::pair<QString, QVariant>> expectedDefaults()
{
    const QStringList all{u"polling"_s, u"websocket"_s};
    return {
        {u"socket_ip"_s, QVariant(u"0.0.0.0"_s)},
        {u"socket_port"_s, QVariant(21314)},
        {u"logic_ip"_s, QVariant(u"0.0.0.0"_s)},
        {u"logic_port"_s, QVariant(56789)},
        {u"single_port"_s, QVariant(false)},
        {u"tls_cert"_s, QVariant(QString())},
        {u"tls_key"_s, QVariant(QString())},
        {u"transports"_s, QVariant(all)},
        {u"pingInterval"_s, QVariant(20000)},
        {u"pingTimeout"_s, QVariant(10000)},
        {u"max_payload"_s, QVariant(qint64(1000000))},
        {u"client_idle_timeout"_s, QVariant(30000)},
        {u"max_client_buffer"_s, QVariant(qint64(4 << 20))},
        {u"max_connections"_s, QVariant(0)},
        {u"max_connections_per_ip"_s, QVariant(1000)},
        {u"handshake_rate_per_ip"_s, QVariant(50)},
        {u"connect_timeout"_s, QVariant(10000)},
        {u"max_pending_sessions"_s, QVariant(10000)},
        {u"max_attachment_bytes"_s, QVariant(qint64(4 << 20))},
        {u"max_early_packets"_s, QVariant(100)},
        {u"max_early_bytes"_s, QVariant(qint64(1 << 20))},
        {u"trusted_proxies"_s, QVariant(QStringList())},
        {u"store"_s, QVariant(u"sqlite:./data/qpush.db"_s)},
        {u"data_dir"_s, QVariant(u"./data"_s)},
        {u"redis_address"_s, QVariant(QStringList())},
        {u"redis_password"_s, QVariant(QString())},
        {u"redis_db"_s, QVariant(0)},
        {u"redis_prefix"_s, QVariant(u"p_"_s)},
        {u"node_timeout"_s, QVariant(15000)},
        {u"key_reg"_s, QVariant(u"^[\\w.\\-$#/]+$"_s)},
        {u"room_max_length"_s, QVariant(100)},
        {u"userid_max_length"_s, QVariant(100)},
        {u"uuid_max_length"_s, QVariant(100)},
        {u"namespace_max_length"_s, QVariant(50)},
        {u"room_activity_broadcast"_s, QVariant(true)},
        {u"worker_message_timeout"_s, QVariant(5000)},
        {u"worker_claim_timeout"_s, QVariant(60000)},
        {u"push_message_expire"_s, QVariant(1)},
        {u"push_message_max_expire"_s, QVariant(10)},
        {u"push_message_list_max_limit"_s, QVariant(1000)},
        {u"report_push_ack_detail_max_limit"_s, QVariant(1000)},
        {u"report_online_list_max_limit"_s, QVariant(1000)},
        {u"android_unread_message_list_max_limit"_s, QVariant(100)},
        {u"client_legacy_expire"_s, QVariant(240)},
        {u"client_push_interval"_s, QVariant(1)},
        {u"callback_timeout"_s, QVariant(5000)},
        {u"max_rooms_per_message"_s, QVariant(100)},
        {u"max_rooms_per_client"_s, QVariant(500)},
        {u"info_field_max_length"_s, QVariant(512)},
        {u"sync_max_messages"_s, QVariant(100)},
        {u"sync_max_bytes"_s, QVariant(qint64(1048576))},
        {u"client_event_rate"_s, QVariant(100)},
        {u"apns_list_max_entries"_s, QVariant(32)},
        {u"auth_failure_limit"_s, QVariant(30)},
        {u"auth_failure_window"_s, QVariant(60)},
        {u"cors_origins"_s, QVariant(QStringList())},
        {u"apns_aps_alert"_s, QVariant(u"通知"_s)},
        {u"apns_payload_size"_s, QVariant(4000)},
        {u"apns_host_dev"_s, QVariant(u"api.sandbox.push.apple.com"_s)},
        {u"apns_host_production"_s, QVariant(u"api.push.apple.com"_s)},
        {u"apns_ca_file"_s, QVariant(QString())},
        {u"apns_token_refresh"_s, QVariant(2400)},
        {u"admin_name"_s, QVariant(u"admin"_s)},
        {u"admin_passwd"_s, QVariant(QString())},
        {u"roles"_s, QVariant(QStringList{u"socket"_s, u"api"_s, u"worker"_s})},
        {u"log_level"_s, QVariant(u"info"_s)},
        {u"log_format"_s, QVariant(u"text"_s)},
        {u"log_rules"_s, QVariant(QString())},
    };
}

void TestConfig::defaults_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QVariant>("expected");
    for (const auto &[key, value] : expectedDefaults())
        QTest::newRow(qPrintable(key)) << key << value;
}

void TestConfig::defaults()
{
    QFETCH(QString, key);
    QFETCH(QVariant, expected);
    const ConfigResult r = load({});
    QVERIFY(std::holds_alternative<Config>(r));
    const Config c = std::get<Config>(r);
    QVERIFY(c.warnings.isEmpty());
    QVERIFY(c.configFile.isEmpty());
    const QVariantMap map = qpush::configToVariantMap(c);
    QVERIFY2(map.contains(key), qPrintable(key));
    QCOMPARE(map.value(key), expected);
}

void TestConfig::everyKeyHasADefaultRow()
{
    // The defaults table must cover every key the loader knows, in order.
    QStringList rows;
    for (const auto &row : expectedDefaults())
        rows.append(row.first);
    QCOMPARE(qpush::configKeys(), rows);
    QCOMPARE(qpush::configToVariantMap(Config()).size(), rows.size());
}

void TestConfig::yamlValues_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QVariant>("expected");

    QTest::newRow("string") << "socket_ip: 127.0.0.1\n"_ba << u"socket_ip"_s
                            << QVariant(u"127.0.0.1"_s);
    QTest::newRow("quoted string")
        << "redis_prefix: \"q:\"\n"_ba << u"redis_prefix"_s << QVariant(u"q:"_s);
    QTest::newRow("number as string")
        << "admin_passwd: 0123\n"_ba << u"admin_passwd"_s << QVariant(u"0123"_s);
    QTest::newRow("unicode string")
        << "apns_aps_alert: \"新消息\"\n"_ba << u"apns_aps_alert"_s << QVariant(u"新消息"_s);
    QTest::newRow("null string") << "redis_password:\n"_ba << u"redis_password"_s
                                 << QVariant(QString());
    QTest::newRow("cors origins")
        << "cors_origins: [https://console.example, 'http://127.0.0.1:8080']\n"_ba
        << u"cors_origins"_s
        << QVariant(QStringList{u"https://console.example"_s, u"http://127.0.0.1:8080"_s});
    QTest::newRow("port") << "socket_port: 8080\n"_ba << u"socket_port"_s << QVariant(8080);
    QTest::newRow("port 0") << "logic_port: 0\n"_ba << u"logic_port"_s << QVariant(0);
    QTest::newRow("port 65535") << "logic_port: 65535\n"_ba << u"logic_port"_s << QVariant(65535);
    QTest::newRow("quoted int") << "pingInterval: \"25000\"\n"_ba << u"pingInterval"_s
                                << QVariant(25000);
    QTest::newRow("int") << "pingTimeout: 5000\n"_ba << u"pingTimeout"_s << QVariant(5000);
    QTest::newRow("null int keeps default")
        << "pingTimeout: ~\n"_ba << u"pingTimeout"_s << QVariant(10000);
    QTest::newRow("int64") << "max_payload: 5000000000\n"_ba << u"max_payload"_s
                           << QVariant(qint64(5000000000));
    QTest::newRow("zero timeout") << "worker_message_timeout: 0\n"_ba << u"worker_message_timeout"_s
                                  << QVariant(0);
    QTest::newRow("bool false") << "room_activity_broadcast: false\n"_ba
                                << u"room_activity_broadcast"_s << QVariant(false);
    QTest::newRow("bool no") << "room_activity_broadcast: no\n"_ba << u"room_activity_broadcast"_s
                             << QVariant(false);
    QTest::newRow("bool on") << "single_port: on\n"_ba << u"single_port"_s << QVariant(true);
    QTest::newRow("bool True") << "single_port: True\n"_ba << u"single_port"_s << QVariant(true);
    QTest::newRow("block list") << "transports:\n  - websocket\n"_ba << u"transports"_s
                                << QVariant(QStringList{u"websocket"_s});
    QTest::newRow("flow list") << "transports: [websocket, polling]\n"_ba << u"transports"_s
                               << QVariant(QStringList{u"websocket"_s, u"polling"_s});
    QTest::newRow("list dedup") << "transports: [polling, polling]\n"_ba << u"transports"_s
                                << QVariant(QStringList{u"polling"_s});
    QTest::newRow("scalar list") << "transports: polling\n"_ba << u"transports"_s
                                 << QVariant(QStringList{u"polling"_s});
    QTest::newRow("redis_address string")
        << "redis_address: \"10.0.0.1:6379\"\n"_ba << u"redis_address"_s
        << QVariant(QStringList{u"10.0.0.1:6379"_s});
    QTest::newRow("redis_address array")
        << "redis_address:\n  - 127.0.0.1:7000\n  - 127.0.0.1:7001\n  - \"[::1]:7002\"\n"_ba
        << u"redis_address"_s
        << QVariant(QStringList{u"127.0.0.1:7000"_s, u"127.0.0.1:7001"_s, u"[::1]:7002"_s});
    QTest::newRow("key_reg single-quoted")
        << "key_reg: '^[a-z\\-]+$'\n"_ba << u"key_reg"_s << QVariant(u"^[a-z\\-]+$"_s);
    QTest::newRow("key_reg plain")
        << "key_reg: ^[\\w.\\-$#/]+$\n"_ba << u"key_reg"_s << QVariant(u"^[\\w.\\-$#/]+$"_s);
    QTest::newRow("roles list") << "roles: [worker, socket]\n"_ba << u"roles"_s
                                << QVariant(QStringList{u"socket"_s, u"worker"_s});
    QTest::newRow("roles original names") << "roles: connector,logic\n"_ba << u"roles"_s
                                          << QVariant(QStringList{u"socket"_s, u"api"_s});
    QTest::newRow("log_level alias")
        << "log_level: WARN\n"_ba << u"log_level"_s << QVariant(u"warning"_s);
    QTest::newRow("log_format json")
        << "log_format: JSON\n"_ba << u"log_format"_s << QVariant(u"json"_s);
    QTest::newRow("log_rules") << "log_rules: \"qpush.engineio.debug=true\"\n"_ba << u"log_rules"_s
                               << QVariant(u"qpush.engineio.debug=true"_s);
    QTest::newRow("comments and others")
        << "# comment\nsocket_port: 1234 # trailing\nlogic_port: 4321\n"_ba << u"socket_port"_s
        << QVariant(1234);
}

void TestConfig::yamlValues()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, key);
    QFETCH(QVariant, expected);
    const QString path = writeFile(u"values.yaml"_s, yaml);
    const ConfigResult r = load({u"--config"_s, path});
    if (const auto *e = std::get_if<ConfigError>(&r))
        QFAIL(qPrintable(e->message));
    const Config c = std::get<Config>(r);
    QCOMPARE(c.configFile, path);
    QCOMPARE(c.warnings, QStringList());
    QCOMPARE(qpush::configToVariantMap(c).value(key), expected);
}

void TestConfig::envValues_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QVariant>("expected");
    QTest::newRow("port") << QStringList{u"QPUSH_SOCKET_PORT=9000"_s} << u"socket_port"_s
                          << QVariant(9000);
    QTest::newRow("camelCase key")
        << QStringList{u"QPUSH_PINGINTERVAL=1500"_s} << u"pingInterval"_s << QVariant(1500);
    QTest::newRow("bool") << QStringList{u"QPUSH_SINGLE_PORT=true"_s} << u"single_port"_s
                          << QVariant(true);
    QTest::newRow("comma list") << QStringList{u"QPUSH_TRANSPORTS=websocket, polling"_s}
                                << u"transports"_s
                                << QVariant(QStringList{u"websocket"_s, u"polling"_s});
    QTest::newRow("flow list") << QStringList{u"QPUSH_REDIS_ADDRESS=[a:1, 'b:2']"_s}
                               << u"redis_address"_s << QVariant(QStringList{u"a:1"_s, u"b:2"_s});
    QTest::newRow("string with specials") << QStringList{u"QPUSH_ADMIN_PASSWD=a:b #c, d"_s}
                                          << u"admin_passwd"_s << QVariant(u"a:b #c, d"_s);
    QTest::newRow("roles") << QStringList{u"QPUSH_ROLES=api"_s} << u"roles"_s
                           << QVariant(QStringList{u"api"_s});
    QTest::newRow("other vars ignored")
        << QStringList{u"PATH=/bin"_s, u"HOME=/x"_s} << u"socket_port"_s << QVariant(21314);
}

void TestConfig::envValues()
{
    QFETCH(QStringList, env);
    QFETCH(QString, key);
    QFETCH(QVariant, expected);
    const Config c = expectConfig(load({}, env));
    QCOMPARE(c.warnings, QStringList());
    QCOMPARE(qpush::configToVariantMap(c).value(key), expected);
}

void TestConfig::cliValues_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QVariant>("expected");
    QTest::newRow("-p") << QStringList{u"-p"_s, u"1111"_s} << u"socket_port"_s << QVariant(1111);
    QTest::newRow("-p attached") << QStringList{u"-p2222"_s} << u"socket_port"_s << QVariant(2222);
    QTest::newRow("--socket-port=")
        << QStringList{u"--socket-port=3333"_s} << u"socket_port"_s << QVariant(3333);
    QTest::newRow("--logic-port") << QStringList{u"--logic-port"_s, u"4444"_s} << u"logic_port"_s
                                  << QVariant(4444);
    QTest::newRow("--socket-ip") << QStringList{u"--socket-ip"_s, u"127.0.0.1"_s} << u"socket_ip"_s
                                 << QVariant(u"127.0.0.1"_s);
    QTest::newRow("--logic-ip") << QStringList{u"--logic-ip"_s, u"::1"_s} << u"logic_ip"_s
                                << QVariant(u"::1"_s);
    QTest::newRow("--data-dir") << QStringList{u"--data-dir"_s, u"/tmp/q"_s} << u"data_dir"_s
                                << QVariant(u"/tmp/q"_s);
    QTest::newRow("--store") << QStringList{u"--store"_s, u"sqlite:/tmp/x.db"_s} << u"store"_s
                             << QVariant(u"sqlite:/tmp/x.db"_s);
    QTest::newRow("--redis-address repeated")
        << QStringList{u"--redis-address"_s, u"h1:1"_s, u"--redis-address"_s, u"h2:2,h3:3"_s}
        << u"redis_address"_s << QVariant(QStringList{u"h1:1"_s, u"h2:2"_s, u"h3:3"_s});
    QTest::newRow("--roles=") << QStringList{u"--roles=socket,api"_s} << u"roles"_s
                              << QVariant(QStringList{u"socket"_s, u"api"_s});
    QTest::newRow("--admin-passwd") << QStringList{u"--admin-passwd"_s, u"s3cret"_s}
                                    << u"admin_passwd"_s << QVariant(u"s3cret"_s);
    QTest::newRow("--ping-interval")
        << QStringList{u"--ping-interval"_s, u"300"_s} << u"pingInterval"_s << QVariant(300);
    QTest::newRow("--ping-timeout")
        << QStringList{u"--ping-timeout"_s, u"200"_s} << u"pingTimeout"_s << QVariant(200);
    QTest::newRow("--max-payload")
        << QStringList{u"--max-payload"_s, u"100"_s} << u"max_payload"_s << QVariant(qint64(100));
    QTest::newRow("--log-level") << QStringList{u"--log-level"_s, u"debug"_s} << u"log_level"_s
                                 << QVariant(u"debug"_s);
    QTest::newRow("--log-format") << QStringList{u"--log-format"_s, u"json"_s} << u"log_format"_s
                                  << QVariant(u"json"_s);
    QTest::newRow("--set") << QStringList{u"--set"_s, u"push_message_max_expire=24"_s}
                           << u"push_message_max_expire"_s << QVariant(24);
    QTest::newRow("--set loose name")
        << QStringList{u"--set"_s, u"PING-INTERVAL=7"_s} << u"pingInterval"_s << QVariant(7);
    QTest::newRow("--set value with =") << QStringList{u"--set"_s, u"admin_passwd=a=b"_s}
                                        << u"admin_passwd"_s << QVariant(u"a=b"_s);
    QTest::newRow("--set empty string")
        << QStringList{u"--set"_s, u"redis_prefix="_s} << u"redis_prefix"_s << QVariant(QString());
    QTest::newRow("--set list") << QStringList{u"--set"_s, u"transports=websocket"_s}
                                << u"transports"_s << QVariant(QStringList{u"websocket"_s});
    QTest::newRow("dedicated flag beats --set")
        << QStringList{u"--socket-port"_s, u"5"_s, u"--set"_s, u"socket_port=6"_s}
        << u"socket_port"_s << QVariant(5);
    QTest::newRow("last flag wins")
        << QStringList{u"-p"_s, u"5"_s, u"-p"_s, u"7"_s} << u"socket_port"_s << QVariant(7);
}

void TestConfig::cliValues()
{
    QFETCH(QStringList, args);
    QFETCH(QString, key);
    QFETCH(QVariant, expected);
    const ConfigResult r = load(args);
    if (const auto *e = std::get_if<ConfigError>(&r))
        QFAIL(qPrintable(e->message));
    QCOMPARE(qpush::configToVariantMap(std::get<Config>(r)).value(key), expected);
}

void TestConfig::precedence_data()
{
    QTest::addColumn<bool>("withFile");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("pingInterval");

    const QStringList noEnv;
    const QStringList noArgs;
    const QStringList env{u"QPUSH_SOCKET_PORT=2000"_s};
    const QStringList cli{u"-p"_s, u"3000"_s};
    QTest::newRow("default") << false << noEnv << noArgs << 21314 << 20000;
    QTest::newRow("file") << true << noEnv << noArgs << 1000 << 111;
    QTest::newRow("env") << false << env << noArgs << 2000 << 20000;
    QTest::newRow("file<env") << true << env << noArgs << 2000 << 111;
    QTest::newRow("file<cli") << true << noEnv << cli << 3000 << 111;
    QTest::newRow("env<cli") << false << env << cli << 3000 << 20000;
    QTest::newRow("file<env<cli") << true << env << cli << 3000 << 111;
    QTest::newRow("file<env<--set")
        << true << QStringList{u"QPUSH_PINGINTERVAL=222"_s}
        << QStringList{u"--set"_s, u"pingInterval=333"_s} << 1000 << 333;
    QTest::newRow("file<env (other key)")
        << true << QStringList{u"QPUSH_PINGINTERVAL=222"_s} << noArgs << 1000 << 222;
}

void TestConfig::precedence()
{
    QFETCH(bool, withFile);
    QFETCH(QStringList, env);
    QFETCH(QStringList, args);
    QFETCH(int, port);
    QFETCH(int, pingInterval);
    QStringList all = args;
    if (withFile) {
        all << u"-c"_s << writeFile(u"prec.yaml"_s, "socket_port: 1000\npingInterval: 111\n"_ba);
    }
    const Config c = expectConfig(load(all, env));
    QCOMPARE(int(c.socket_port), port);
    QCOMPARE(c.pingInterval, pingInterval);
}

void TestConfig::storeResolution_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("store");
    QTest::addColumn<QStringList>("redis");
    QTest::addColumn<QString>("sqlitePath");
    QTest::newRow("default sqlite in data_dir")
        << QStringList{u"--data-dir"_s, u"/var/lib/qpush"_s} << u"sqlite:/var/lib/qpush/qpush.db"_s
        << QStringList() << u"/var/lib/qpush/qpush.db"_s;
    QTest::newRow("bare sqlite") << QStringList{u"--store"_s, u"sqlite"_s}
                                 << u"sqlite:./data/qpush.db"_s << QStringList()
                                 << u"./data/qpush.db"_s;
    QTest::newRow("explicit path") << QStringList{u"--store=sqlite:/x/y.db"_s}
                                   << u"sqlite:/x/y.db"_s << QStringList() << u"/x/y.db"_s;
    QTest::newRow("redis_address implies redis")
        << QStringList{u"--redis-address"_s, u"r:6380"_s} << u"redis"_s << QStringList{u"r:6380"_s}
        << QString();
    QTest::newRow("explicit sqlite despite redis_address")
        << QStringList{u"--redis-address"_s, u"r:6380"_s, u"--store"_s, u"sqlite"_s}
        << u"sqlite:./data/qpush.db"_s << QStringList{u"r:6380"_s} << u"./data/qpush.db"_s;
    QTest::newRow("redis without address") << QStringList{u"--store"_s, u"redis"_s} << u"redis"_s
                                           << QStringList{u"127.0.0.1:6379"_s} << QString();
}

void TestConfig::storeResolution()
{
    QFETCH(QStringList, args);
    QFETCH(QString, store);
    QFETCH(QStringList, redis);
    QFETCH(QString, sqlitePath);
    const Config c = expectConfig(load(args));
    QCOMPARE(c.store, store);
    QCOMPARE(c.redis_address, redis);
    QCOMPARE(c.sqlitePath(), sqlitePath);
    QCOMPARE(c.usesRedisStore(), store == u"redis"_s);
}

void TestConfig::searchPath()
{
    const QString missing = m_dir.filePath(u"nope.yaml"_s);
    const QString first = writeFile(u"first.yaml"_s, "socket_port: 1\n"_ba);
    const QString second = writeFile(u"second.yaml"_s, "socket_port: 2\n"_ba);

    Config c = expectConfig(load({}, {}, {missing, second, first}));
    QCOMPARE(c.configFile, second);
    QCOMPARE(int(c.socket_port), 2);

    c = expectConfig(load({}, {}, {first, second}));
    QCOMPARE(c.configFile, first);
    QCOMPARE(int(c.socket_port), 1);

    // No file anywhere is fine.
    c = expectConfig(load({}, {}, {missing}));
    QVERIFY(c.configFile.isEmpty());
    QCOMPARE(int(c.socket_port), 21314);

    // QPUSH_CONFIG and --config name the file; --config wins.
    c = expectConfig(load({}, {u"QPUSH_CONFIG="_s + second}, {first}));
    QCOMPARE(c.configFile, second);
    c = expectConfig(load({u"--config="_s + first}, {u"QPUSH_CONFIG="_s + second}, {second}));
    QCOMPARE(c.configFile, first);

    QCOMPARE(qpush::defaultConfigSearchPath(),
             (QStringList{u"./config.yaml"_s, u"/etc/qpush/config.yaml"_s}));
}

void TestConfig::emptyFileIsFine()
{
    for (const QByteArray &content : {QByteArray(), "# only a comment\n"_ba, "---\n"_ba}) {
        const Config c = expectConfig(load({u"-c"_s, writeFile(u"empty.yaml"_s, content)}));
        QCOMPARE(int(c.socket_port), 21314);
        QVERIFY(c.warnings.isEmpty());
    }
}

void TestConfig::unknownKeysWarn()
{
    const QString path =
        writeFile(u"unknown.yaml"_s, "socket_port: 1\nconnector_port: 2\nsocket_prot: 3\n"_ba);
    const ConfigResult r = load({u"--config"_s, path}, {u"QPUSH_SOCKET_PROT=4"_s});
    QVERIFY(std::holds_alternative<Config>(r));
    const Config c = std::get<Config>(r);
    QCOMPARE(int(c.socket_port), 1);
    QCOMPARE(c.warnings.size(), 3);
    QVERIFY2(c.warnings.at(0).contains(path + u":2"_s), qPrintable(c.warnings.at(0)));
    QVERIFY(c.warnings.at(0).contains(u"connector_port"_s));
    QVERIFY2(c.warnings.at(1).contains(path + u":3"_s), qPrintable(c.warnings.at(1)));
    QVERIFY(c.warnings.at(1).contains(u"socket_prot"_s));
    QVERIFY2(c.warnings.at(2).contains(u"QPUSH_SOCKET_PROT"_s), qPrintable(c.warnings.at(2)));
}

void TestConfig::badValues_data()
{
    // source: "yaml" (input is the file's content), "env" (NAME=value) or
    // "cli" (arguments separated by '|'). Every message must name the key (or
    // option) and where the value came from.
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QStringList>("mustContain");

    auto yaml = [](const char *name, const char *content, QStringList must) {
        QTest::newRow(name) << u"yaml"_s << QString::fromUtf8(content) << must;
    };
    auto env = [](const char *name, const char *content, QStringList must) {
        QTest::newRow(name) << u"env"_s << QString::fromUtf8(content) << must;
    };
    auto cli = [](const char *name, const char *content, QStringList must) {
        QTest::newRow(name) << u"cli"_s << QString::fromUtf8(content) << must;
    };

    // CORS origins are exact origins, never a wildcard.
    yaml("cors wildcard", "cors_origins: ['*']\n",
         {u"bad.yaml:1"_s, u"cors_origins"_s, u"\"*\""_s});
    yaml("cors with path", "cors_origins: [https://a.example/x]\n", {u"cors_origins"_s});
    env("env cors not an origin", "QPUSH_CORS_ORIGINS=console.example",
        {u"QPUSH_CORS_ORIGINS"_s, u"cors_origins"_s});

    // Ports
    yaml("yaml port too big", "\nsocket_port: 70000\n",
         {u"bad.yaml:2"_s, u"socket_port"_s, u"70000"_s, u"0..65535"_s});
    yaml("yaml port negative", "logic_port: -1\n", {u"bad.yaml:1"_s, u"logic_port"_s});
    env("env port too big", "QPUSH_LOGIC_PORT=65536", {u"QPUSH_LOGIC_PORT"_s, u"logic_port"_s});
    cli("cli port too big", "-p|99999", {u"--socket-port"_s, u"socket_port"_s, u"99999"_s});
    cli("cli port not a number", "--logic-port|http", {u"--logic-port"_s, u"\"http\""_s});
    // Types
    yaml("yaml int is text", "pingInterval: soon\n",
         {u"bad.yaml:1"_s, u"pingInterval"_s, u"integer"_s, u"\"soon\""_s});
    yaml("yaml int is list", "redis_db: [1]\n", {u"redis_db"_s, u"integer"_s});
    yaml("yaml bool is text", "single_port: maybe\n",
         {u"bad.yaml:1"_s, u"single_port"_s, u"true or false"_s});
    yaml("yaml string is list", "socket_ip: [a, b]\n", {u"socket_ip"_s, u"string"_s});
    yaml("yaml list is map", "transports: {a: 1}\n", {u"transports"_s, u"map"_s});
    yaml("yaml nested list", "redis_address: [[a:1]]\n", {u"redis_address"_s, u"bad.yaml:1"_s});
    env("env bool", "QPUSH_ROOM_ACTIVITY_BROADCAST=sure",
        {u"QPUSH_ROOM_ACTIVITY_BROADCAST"_s, u"room_activity_broadcast"_s});
    env("env int", "QPUSH_MAX_PAYLOAD=1MB", {u"QPUSH_MAX_PAYLOAD"_s, u"max_payload"_s});
    // Timeouts
    yaml("negative worker timeout", "worker_message_timeout: -1\n",
         {u"worker_message_timeout"_s, u"out of range"_s});
    env("negative callback timeout", "QPUSH_CALLBACK_TIMEOUT=-5",
        {u"QPUSH_CALLBACK_TIMEOUT"_s, u"callback_timeout"_s});
    env("zero idle timeout", "QPUSH_CLIENT_IDLE_TIMEOUT=0", {u"client_idle_timeout"_s});
    cli("pingInterval 0", "--ping-interval|0", {u"--ping-interval"_s, u"pingInterval"_s});
    cli("pingTimeout negative", "--ping-timeout=-3", {u"--ping-timeout"_s, u"pingTimeout"_s});
    yaml("pingTimeout 0", "pingTimeout: 0\n", {u"bad.yaml:1"_s, u"pingTimeout"_s});
    cli("max_payload 0", "--max-payload|0", {u"--max-payload"_s, u"max_payload"_s});
    // Validated strings and lists
    yaml("invalid regex", "key_reg: '^[a-z'\n", {u"bad.yaml:1"_s, u"key_reg"_s, u"regular"_s});
    cli("empty regex", "--set|key_reg=", {u"--set key_reg"_s, u"key_reg"_s});
    yaml("unknown transport", "transports: [polling, flash]\n",
         {u"bad.yaml:1"_s, u"transports"_s, u"\"flash\""_s});
    yaml("empty transports", "transports: []\n", {u"transports"_s, u"at least one"_s});
    yaml("bad trusted proxy", "trusted_proxies: [127.0.0.1, proxy.local]\n",
         {u"bad.yaml:1"_s, u"trusted_proxies"_s, u"\"proxy.local\""_s});
    env("bad trusted prefix", "QPUSH_TRUSTED_PROXIES=10.0.0.0/40",
        {u"QPUSH_TRUSTED_PROXIES"_s, u"trusted_proxies"_s});
    env("empty transports env", "QPUSH_TRANSPORTS=", {u"QPUSH_TRANSPORTS"_s, u"transports"_s});
    cli("unknown role", "--roles=socket,gateway", {u"--roles"_s, u"\"gateway\""_s});
    yaml("empty roles", "roles: []\n", {u"roles"_s, u"no role"_s});
    cli("bad store", "--store|mysql", {u"--store"_s, u"\"mysql\""_s});
    cli("sqlite without path", "--store|sqlite:", {u"--store"_s, u"store"_s});
    yaml("bad redis address", "redis_address: [\"a:1\", localhost]\n",
         {u"redis_address"_s, u"\"localhost\""_s});
    env("bad redis port", "QPUSH_REDIS_ADDRESS=h:0", {u"QPUSH_REDIS_ADDRESS"_s});
    cli("bad log level", "--log-level|loud", {u"--log-level"_s, u"\"loud\""_s});
    cli("bad log format", "--log-format|xml", {u"--log-format"_s, u"\"xml\""_s});
    yaml("empty admin name", "admin_name: ''\n", {u"admin_name"_s, u"empty"_s});
    cli("empty data dir", "--data-dir=", {u"--data-dir"_s, u"data_dir"_s});
    // Several keys together
    yaml("expire above max", "push_message_max_expire: 2\npush_message_expire: 3\n",
         {u"push_message_expire"_s, u"push_message_max_expire"_s, u"bad.yaml:2"_s});
    env("tls cert without key", "QPUSH_TLS_CERT=/c.pem", {u"tls_key"_s, u"QPUSH_TLS_CERT"_s});
    cli("same ports", "-p|5000|--logic-port|5000",
        {u"logic_port"_s, u"socket_port"_s, u"single_port"_s});
    // The file itself
    yaml("syntax error", "socket_port: 1\nbad: [unclosed\n", {u"bad.yaml:"_s, u"YAML"_s});
    yaml("not a map", "- a\n- b\n", {u"bad.yaml"_s, u"map"_s});
    cli("missing --config file", "--config|/nonexistent/q.yaml",
        {u"--config"_s, u"/nonexistent/q.yaml"_s, u"not found"_s});
    env("missing QPUSH_CONFIG file", "QPUSH_CONFIG=/nonexistent/e.yaml",
        {u"QPUSH_CONFIG"_s, u"/nonexistent/e.yaml"_s});
    // The command line itself
    cli("unknown option", "--sokcet-port|1", {u"sokcet-port"_s, u"--help"_s});
    cli("missing value", "--logic-port", {u"logic-port"_s});
    cli("positional", "extra", {u"\"extra\""_s});
    cli("--set without =", "--set|pingInterval", {u"--set"_s, u"KEY=VALUE"_s});
    cli("--set unknown key", "--set|nope=1", {u"--set"_s, u"\"nope\""_s});
    cli("--set bad value", "--set|redis_db=-1", {u"--set redis_db"_s, u"out of range"_s});
    cli("worker_claim_timeout under 100 ms", "--set|worker_claim_timeout=99",
        {u"--set worker_claim_timeout"_s, u"out of range"_s});
    cli("node_timeout under 1 s", "--set|node_timeout=999",
        {u"--set node_timeout"_s, u"out of range"_s});
    cli("node_timeout over 300 s", "--set|node_timeout=300001",
        {u"--set node_timeout"_s, u"out of range"_s});
}

void TestConfig::badValues()
{
    QFETCH(QString, source);
    QFETCH(QString, input);
    QFETCH(QStringList, mustContain);

    ConfigResult r;
    if (source == u"yaml"_s) {
        r = load({u"--config"_s, writeFile(u"bad.yaml"_s, input.toUtf8())});
    } else if (source == u"env"_s) {
        r = load({}, {input});
    } else {
        r = load(input.split(u'|'));
    }
    QVERIFY2(std::holds_alternative<ConfigError>(r), "a bad value was accepted");
    const ConfigError e = std::get<ConfigError>(r);
    QCOMPARE(e.exitCode, 2);
    for (const QString &part : std::as_const(mustContain))
        QVERIFY2(e.message.contains(part),
                 qPrintable(u"\""_s + part + u"\" missing from: "_s + e.message));
}

void TestConfig::helpAndVersion_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("mustContain");
    const QStringList help{u"Usage: qpush-server [options]"_s,
                           u"--socket-port"_s,
                           u"-p"_s,
                           u"--config"_s,
                           u"--set"_s,
                           u"--roles"_s,
                           u"QPUSH_SOCKET_PORT"_s,
                           u"pingInterval"_s,
                           u"android_unread_message_list_max_limit"_s};
    QTest::newRow("--help") << QStringList{u"--help"_s} << help;
    QTest::newRow("-h") << QStringList{u"-h"_s} << help;
    QTest::newRow("--help wins over bad values")
        << QStringList{u"-p"_s, u"999999"_s, u"--help"_s} << help;
    const QStringList version{u"qpush-server"_s, qpush::versionString()};
    QTest::newRow("--version") << QStringList{u"--version"_s} << version;
    QTest::newRow("-v") << QStringList{u"-v"_s} << version;
}

void TestConfig::helpAndVersion()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, mustContain);
    const ConfigResult r = load(args);
    QVERIFY(std::holds_alternative<ConfigError>(r));
    const ConfigError e = std::get<ConfigError>(r);
    QCOMPARE(e.exitCode, 0);
    QVERIFY(!qpush::versionString().isEmpty());
    for (const QString &part : std::as_const(mustContain))
        QVERIFY2(e.message.contains(part), qPrintable(part));
}

void TestConfig::roleFlags()
{
    Config c = expectConfig(load({u"--roles"_s, u"worker"_s}));
    QVERIFY(c.hasRole(qpush::Role::Worker));
    QVERIFY(!c.hasRole(qpush::Role::Socket));
    QVERIFY(!c.hasRole(qpush::Role::Api));
    c = expectConfig(load({u"--roles"_s, u"all"_s}));
    QVERIFY(c.hasRole(qpush::Role::Socket) && c.hasRole(qpush::Role::Api) &&
            c.hasRole(qpush::Role::Worker));
    QCOMPARE(qpush::roleNames(c.roles), (QStringList{u"socket"_s, u"api"_s, u"worker"_s}));
}

void TestConfig::shippedConfigIsTheDefaults()
{
    // resources/config.yaml (installed as /etc/qpush/config.yaml) must load
    // without warnings and change no default.
    const QString source = qEnvironmentVariable("QPUSHTEST_SOURCE_DIR");
    if (source.isEmpty())
        QFAIL("QPUSHTEST_SOURCE_DIR is not set (run through ctest)");
    const QString path = source + u"/resources/config.yaml"_s;
    QVERIFY(QFile::exists(path));
    const Config c = expectConfig(load({u"--config"_s, path}));
    QCOMPARE(c.configFile, path);
    QCOMPARE(c.warnings, QStringList());
    QCOMPARE(qpush::configToVariantMap(c), qpush::configToVariantMap(expectConfig(load({}))));
}

void TestConfig::docsCoverEveryKey()
{
    const QString source = qEnvironmentVariable("QPUSHTEST_SOURCE_DIR");
    if (source.isEmpty())
        QFAIL("QPUSHTEST_SOURCE_DIR is not set (run through ctest)");
    QFile doc(source + u"/docs/configuration.md"_s);
    QVERIFY(doc.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(doc.readAll());
    const QStringList keys = qpush::configKeys();
    for (const QString &key : keys) {
        QVERIFY2(text.contains(u'`' + key + u'`'), qPrintable(key));
        QVERIFY2(text.contains(u"QPUSH_"_s + key.toUpper()), qPrintable(key));
    }
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
