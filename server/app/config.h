#pragma once

#include <QByteArrayView>
#include <QFlags>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <variant>

namespace qpush {

// The node roles of a deployment, mirroring the original's connector (socket),
// logic (api) and worker processes. A node runs any combination; default all.
enum class Role {
    Socket = 0x1,
    Api = 0x2,
    Worker = 0x4,
};
Q_DECLARE_FLAGS(Roles, Role)
Q_DECLARE_OPERATORS_FOR_FLAGS(Roles)

// The server's whole configuration as one value. Member names are the config
// keys of the original service (SPEC §1), so `socket_port` here is
// `socket_port:` in config.yaml, QPUSH_SOCKET_PORT in the environment and
// `--set socket_port=...` on the command line. Defaults are the original's.
// A Config returned by loadConfig() is validated and fully resolved: `store`
// is never empty, `redis_address` is set whenever `store` is "redis".
// See docs/configuration.md for every key.
struct Config
{
    // Ports and addresses. A port of 0 means "any free port" (tests).
    QString socket_ip = QStringLiteral("0.0.0.0");
    quint16 socket_port = 21314;
    QString logic_ip = QStringLiteral("0.0.0.0");
    quint16 logic_port = 56789;
    bool single_port = false; // also serve the REST API on socket_port
    QString tls_cert;         // PEM file; with tls_key: HTTPS/WSS on both ports
    QString tls_key;

    // Engine.IO
    QStringList transports = {QStringLiteral("polling"), QStringLiteral("websocket")};
    int pingInterval = 20000;           // ms
    int pingTimeout = 10000;            // ms
    qint64 max_payload = 1000000;       // bytes per HTTP body / WebSocket message
    int client_idle_timeout = 30000;    // ms an idle HTTP connection on the client port is kept
    qint64 max_client_buffer = 4 << 20; // bytes of unsent output before a client is cut off

    // Transport limits (docs/security.md)
    int max_connections = 0;               // client port; 0: from the descriptor limit
    int max_connections_per_ip = 1000;     // client port, per source address; 0: none
    int handshake_rate_per_ip = 50;        // new sessions per second per address; 0: none
    int connect_timeout = 10000;           // ms for a session to join a namespace
    int max_pending_sessions = 10000;      // sessions not yet in a namespace, all addresses
    qint64 max_attachment_bytes = 4 << 20; // binary attachments of one packet
    int max_early_packets = 100;           // packets held while a namespace admits the client
    qint64 max_early_bytes = 1 << 20;      // their bytes
    QStringList trusted_proxies;           // CIDRs whose X-Forwarded-For is believed

    // Store
    QString store; // "redis" or "sqlite:PATH" after loading
    QString data_dir = QStringLiteral("./data");
    QStringList redis_address; // one "host:port", or several for Redis Cluster
    QString redis_password;
    int redis_db = 0;
    QString redis_prefix = QStringLiteral("p_");
    int node_timeout = 15000; // ms without a heartbeat before a node counts as dead

    // Names
    QString key_reg = QStringLiteral("^[\\w.\\-$#/]+$");
    int room_max_length = 100;
    int userid_max_length = 100;
    int uuid_max_length = 100;
    int namespace_max_length = 50;

    // Push pipeline
    bool room_activity_broadcast = true;
    int worker_message_timeout = 5000; // ms
    int worker_claim_timeout = 60000;  // ms a silent worker holds a job before another takes it
    int push_message_expire = 1;       // hours
    int push_message_max_expire = 10;  // hours
    int push_message_list_max_limit = 1000;
    int report_push_ack_detail_max_limit = 1000;
    int report_online_list_max_limit = 1000;
    int android_unread_message_list_max_limit = 100;
    int client_legacy_expire = 240; // hours
    int client_push_interval = 1;   // s
    int callback_timeout = 5000;    // ms

    // Limits on clients and API callers (docs/security-domain.md)
    int max_rooms_per_message = 100; // rooms in one joinRoom / leaveRoom / apns list
    int max_rooms_per_client = 500;  // room memberships a client may gather itself
    int info_field_max_length = 512; // characters of device_token, mobile, system
    int sync_max_messages = 100;     // pushes in one sync reply
    qint64 sync_max_bytes = 1048576; // pushData bytes in one sync reply (≥ one push)
    int client_event_rate = 100;     // client events per second per connection, 0: off
    int apns_list_max_entries = 32;  // apns_list entries per namespace
    int auth_failure_limit = 30;     // wrong credentials per source address and window
    int auth_failure_window = 60;    // s; also the first back-off
    QStringList cors_origins;        // origins allowed credentials / the admin API

    // APNs
    QString apns_aps_alert = QStringLiteral("通知");
    int apns_payload_size = 4000; // bytes
    // "host", "host:port" or "https://host:port"; overridable for tests.
    QString apns_host_dev = QStringLiteral("api.sandbox.push.apple.com");
    QString apns_host_production = QStringLiteral("api.push.apple.com");
    // Extra CA certificates (PEM file) trusted for APNs besides the system store.
    QString apns_ca_file;
    // Seconds before the provider token is re-signed (APNs: 20-60 min).
    int apns_token_refresh = 2400;

    // Admin
    QString admin_name = QStringLiteral("admin");
    QString admin_passwd; // empty: see AdminPassword::resolve()

    // Process
    Roles roles = Roles(Role::Socket) | Role::Api | Role::Worker;
    QString log_level = QStringLiteral("info");  // debug | info | warning | critical
    QString log_format = QStringLiteral("text"); // text | json (one JSON object per line)
    QString log_rules; // QLoggingCategory filter rules, ';' or newline separated

    // Not keys: what loading found out.
    QString configFile;     // the YAML file read, empty when none
    QStringList warnings;   // unknown keys etc.; the caller logs them
    bool checkOnly = false; // --check-config: validate, report and exit

    bool usesRedisStore() const { return store == QLatin1String("redis"); }
    // The SQLite database file when the store is "sqlite:PATH", else empty.
    QString sqlitePath() const;
    bool hasRole(Role r) const { return roles.testFlag(r); }
};

// Why loading did not produce a Config. exitCode 2: usage or invalid value
// (message names the key and where it came from); exitCode 0: --help or
// --version was asked for and `message` is the text to print on stdout.
struct ConfigError
{
    QString message;
    int exitCode = 2;
};

using ConfigResult = std::variant<Config, ConfigError>;

// Loads the configuration: YAML file (--config/-c FILE or QPUSH_CONFIG, else
// ./config.yaml, else /etc/qpush/config.yaml, else none), then QPUSH_<KEY>
// environment variables, then command-line options; later wins. `args` is the
// full argument list including the program name (QCoreApplication::arguments()).
// Never exits the process and never prints.
ConfigResult loadConfig(const QStringList &args, const QProcessEnvironment &env);

// The same with an explicit list of files to try when neither --config nor
// QPUSH_CONFIG names one (tests pass an empty list to read no file).
ConfigResult loadConfig(const QStringList &args, const QProcessEnvironment &env,
                        const QStringList &defaultSearchPath);

// The configuration of one YAML document over the defaults, resolved as
// loadConfig() resolves it, without files, environment or command line (the
// file-reading path uses the same parser). `source` names the document in
// messages, usually its file path.
ConfigResult parseConfigYaml(QByteArrayView yaml, const QString &source);

// ./config.yaml, then /etc/qpush/config.yaml.
QStringList defaultConfigSearchPath();

// Every config key, in documentation order.
QStringList configKeys();

// Every key's value (strings, ints, bools, string lists; roles as a list of
// names), e.g. to log the effective configuration. Secrets are included:
// mask admin_passwd and redis_password before showing it.
QVariantMap configToVariantMap(const Config &config);

// "socket,api,worker" style names of a set of roles.
QStringList roleNames(Roles roles);

} // namespace qpush
