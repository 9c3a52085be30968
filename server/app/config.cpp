#include "app/config.h"

#include "net/clientaddress.h"
#include "shared/version.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <limits>
#include <optional>

using namespace Qt::StringLiterals;

namespace qpush {

QString Config::sqlitePath() const
{
    if (store.startsWith(u"sqlite:"_s))
        return store.mid(7);
    return {};
}

namespace {

constexpr qint64 kIntMax = std::numeric_limits<int>::max();
constexpr qint64 kInt64Max = std::numeric_limits<qint64>::max();

using Member = std::variant<QString Config::*, quint16 Config::*, int Config::*, qint64 Config::*,
                            bool Config::*, QStringList Config::*, Roles Config::*>;

struct KeyDef
{
    const char *name;
    Member member;
    qint64 min = 0;
    qint64 max = 0;
};

// Every key, in documentation order. min/max apply to the integer kinds.
const std::vector<KeyDef> &keyDefs()
{
    static const std::vector<KeyDef> defs = {
        {"socket_ip", &Config::socket_ip},
        {"socket_port", &Config::socket_port, 0, 65535},
        {"logic_ip", &Config::logic_ip},
        {"logic_port", &Config::logic_port, 0, 65535},
        {"single_port", &Config::single_port},
        {"tls_cert", &Config::tls_cert},
        {"tls_key", &Config::tls_key},
        {"transports", &Config::transports},
        {"pingInterval", &Config::pingInterval, 1, kIntMax},
        {"pingTimeout", &Config::pingTimeout, 1, kIntMax},
        {"max_payload", &Config::max_payload, 1, kInt64Max},
        {"client_idle_timeout", &Config::client_idle_timeout, 1, kIntMax},
        {"max_client_buffer", &Config::max_client_buffer, 1, kInt64Max},
        {"max_connections", &Config::max_connections, 0, kIntMax},
        {"max_connections_per_ip", &Config::max_connections_per_ip, 0, kIntMax},
        {"handshake_rate_per_ip", &Config::handshake_rate_per_ip, 0, kIntMax},
        {"connect_timeout", &Config::connect_timeout, 1, kIntMax},
        {"max_pending_sessions", &Config::max_pending_sessions, 1, kIntMax},
        {"max_attachment_bytes", &Config::max_attachment_bytes, 1, kInt64Max},
        {"max_early_packets", &Config::max_early_packets, 0, kIntMax},
        {"max_early_bytes", &Config::max_early_bytes, 0, kInt64Max},
        {"trusted_proxies", &Config::trusted_proxies},
        {"store", &Config::store},
        {"data_dir", &Config::data_dir},
        {"redis_address", &Config::redis_address},
        {"redis_password", &Config::redis_password},
        {"redis_db", &Config::redis_db, 0, kIntMax},
        {"redis_prefix", &Config::redis_prefix},
        {"node_timeout", &Config::node_timeout, 1000, 300000},
        {"key_reg", &Config::key_reg},
        {"room_max_length", &Config::room_max_length, 1, kIntMax},
        {"userid_max_length", &Config::userid_max_length, 1, kIntMax},
        {"uuid_max_length", &Config::uuid_max_length, 1, kIntMax},
        {"namespace_max_length", &Config::namespace_max_length, 1, kIntMax},
        {"room_activity_broadcast", &Config::room_activity_broadcast},
        {"worker_message_timeout", &Config::worker_message_timeout, 0, kIntMax},
        {"worker_claim_timeout", &Config::worker_claim_timeout, 100, kIntMax},
        {"push_message_expire", &Config::push_message_expire, 1, kIntMax},
        {"push_message_max_expire", &Config::push_message_max_expire, 1, kIntMax},
        {"push_message_list_max_limit", &Config::push_message_list_max_limit, 0, kIntMax},
        {"report_push_ack_detail_max_limit", &Config::report_push_ack_detail_max_limit, 0, kIntMax},
        {"report_online_list_max_limit", &Config::report_online_list_max_limit, 0, kIntMax},
        {"android_unread_message_list_max_limit", &Config::android_unread_message_list_max_limit, 0,
         kIntMax},
        {"client_legacy_expire", &Config::client_legacy_expire, 1, kIntMax},
        {"client_push_interval", &Config::client_push_interval, 0, kIntMax},
        {"callback_timeout", &Config::callback_timeout, 1, kIntMax},
        {"max_rooms_per_message", &Config::max_rooms_per_message, 1, kIntMax},
        {"max_rooms_per_client", &Config::max_rooms_per_client, 1, kIntMax},
        {"info_field_max_length", &Config::info_field_max_length, 1, kIntMax},
        {"sync_max_messages", &Config::sync_max_messages, 1, kIntMax},
        {"sync_max_bytes", &Config::sync_max_bytes, 1, kInt64Max},
        {"client_event_rate", &Config::client_event_rate, 0, kIntMax},
        {"apns_list_max_entries", &Config::apns_list_max_entries, 1, kIntMax},
        {"auth_failure_limit", &Config::auth_failure_limit, 0, kIntMax},
        {"auth_failure_window", &Config::auth_failure_window, 1, kIntMax},
        {"cors_origins", &Config::cors_origins},
        {"apns_aps_alert", &Config::apns_aps_alert},
        {"apns_payload_size", &Config::apns_payload_size, 1, kIntMax},
        {"apns_host_dev", &Config::apns_host_dev},
        {"apns_host_production", &Config::apns_host_production},
        {"apns_ca_file", &Config::apns_ca_file},
        {"apns_token_refresh", &Config::apns_token_refresh, 1, 3000},
        {"admin_name", &Config::admin_name},
        {"admin_passwd", &Config::admin_passwd},
        {"roles", &Config::roles},
        {"log_level", &Config::log_level},
        {"log_format", &Config::log_format},
        {"log_rules", &Config::log_rules},
    };
    return defs;
}

const KeyDef *findKey(const QString &name)
{
    for (const KeyDef &d : keyDefs()) {
        if (name == QLatin1StringView(d.name))
            return &d;
    }
    return nullptr;
}

// Env and --set accept a key in any case and with or without '_' / '-', so
// QPUSH_PING_INTERVAL and --set ping-interval=... name pingInterval.
QString looseName(QString name)
{
    name.remove(u'_');
    name.remove(u'-');
    return name.toLower();
}

const KeyDef *findKeyLoosely(const QString &name)
{
    const QString n = looseName(name);
    for (const KeyDef &d : keyDefs()) {
        if (n == looseName(QString::fromLatin1(d.name)))
            return &d;
    }
    return nullptr;
}

// A value before conversion: a YAML node, or text from env / command line.
struct RawValue
{
    enum Type { Null, Scalar, Sequence, Map };
    Type type = Scalar;
    QString scalar;
    QStringList items;
};

QString quoted(const QString &s)
{
    return u'"' + s + u'"';
}

std::optional<qint64> parseInteger(const QString &text)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok, 10);
    if (!ok)
        return std::nullopt;
    return v;
}

std::optional<bool> parseBool(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == u"true"_s || t == u"yes"_s || t == u"on"_s || t == u"1"_s)
        return true;
    if (t == u"false"_s || t == u"no"_s || t == u"off"_s || t == u"0"_s)
        return false;
    return std::nullopt;
}

// "a, b" or "[a, b]" (a YAML flow sequence written in an env var or flag).
QStringList splitList(QString text)
{
    text = text.trimmed();
    if (text.startsWith(u'[') && text.endsWith(u']'))
        text = text.mid(1, text.size() - 2);
    QStringList out;
    const QStringList parts = text.split(u',');
    for (QString p : parts) {
        p = p.trimmed();
        if (p.size() >= 2 && ((p.startsWith(u'"') && p.endsWith(u'"')) ||
                              (p.startsWith(u'\'') && p.endsWith(u'\''))))
            p = p.mid(1, p.size() - 2);
        if (!p.isEmpty())
            out.append(p);
    }
    return out;
}

std::optional<Roles> parseRoles(const QStringList &names, QString *error)
{
    Roles roles;
    for (const QString &raw : names) {
        const QString n = raw.trimmed().toLower();
        if (n == u"socket"_s || n == u"connector"_s)
            roles |= Role::Socket;
        else if (n == u"api"_s || n == u"logic"_s)
            roles |= Role::Api;
        else if (n == u"worker"_s)
            roles |= Role::Worker;
        else if (n == u"all"_s)
            roles |= Roles(Role::Socket) | Role::Api | Role::Worker;
        else {
            *error = u"unknown role "_s + quoted(raw) + u" (expected socket, api, worker)"_s;
            return std::nullopt;
        }
    }
    if (!roles) {
        *error = u"no role given (expected one or more of socket, api, worker)"_s;
        return std::nullopt;
    }
    return roles;
}

QStringList toList(const RawValue &v)
{
    switch (v.type) {
    case RawValue::Sequence:
        return v.items;
    case RawValue::Scalar:
        return splitList(v.scalar);
    default:
        return {};
    }
}

// Checks that only concern one key's own value; `error` gets the problem.
bool checkValue(const QString &key, Config &c, QString *error)
{
    if (key == u"cors_origins"_s) {
        // Exact origins only: a wildcard would hand every web site the
        // browser's cached credentials.
        static const QRegularExpression origin(u"^https?://[^/?#*\\s]+$"_s);
        for (const QString &o : std::as_const(c.cors_origins)) {
            if (!origin.match(o).hasMatch()) {
                *error = u"not an origin: "_s + quoted(o) +
                         u" (expected scheme://host[:port], e.g. https://console.example.com)"_s;
                return false;
            }
        }
    }
    if (key == u"transports"_s) {
        QStringList unique;
        for (const QString &t : std::as_const(c.transports)) {
            if (t != u"polling"_s && t != u"websocket"_s) {
                *error = u"unknown transport "_s + quoted(t) + u" (expected polling, websocket)"_s;
                return false;
            }
            if (!unique.contains(t))
                unique.append(t);
        }
        if (unique.isEmpty()) {
            *error = u"at least one transport is needed (polling, websocket)"_s;
            return false;
        }
        c.transports = unique;
    } else if (key == u"key_reg"_s) {
        const QRegularExpression re(c.key_reg);
        if (c.key_reg.isEmpty() || !re.isValid()) {
            *error = u"invalid regular expression "_s + quoted(c.key_reg) +
                     (c.key_reg.isEmpty() ? QString() : u": "_s + re.errorString());
            return false;
        }
    } else if (key == u"store"_s) {
        const QString s = c.store.trimmed();
        if (s == u"redis"_s || s == u"sqlite"_s || (s.startsWith(u"sqlite:"_s) && s.size() > 7)) {
            c.store = s;
        } else if (!s.isEmpty()) {
            *error = quoted(c.store) + u" is not a store (expected \"redis\", \"sqlite\" or "
                                       u"\"sqlite:PATH\")"_s;
            return false;
        }
    } else if (key == u"redis_address"_s) {
        for (const QString &a : std::as_const(c.redis_address)) {
            const qsizetype colon = a.lastIndexOf(u':');
            const auto port = colon > 0 ? parseInteger(a.mid(colon + 1)) : std::nullopt;
            if (!port || *port < 1 || *port > 65535) {
                *error = quoted(a) + u" is not a host:port address"_s;
                return false;
            }
        }
    } else if (key == u"trusted_proxies"_s) {
        QString why;
        if (!net::parseCidrs(c.trusted_proxies, &why)) {
            *error = why;
            return false;
        }
    } else if (key == u"log_level"_s) {
        QString l = c.log_level.trimmed().toLower();
        if (l == u"warn"_s)
            l = u"warning"_s;
        else if (l == u"error"_s)
            l = u"critical"_s;
        if (l != u"debug"_s && l != u"info"_s && l != u"warning"_s && l != u"critical"_s) {
            *error = u"unknown log level "_s + quoted(c.log_level) +
                     u" (expected debug, info, warning, critical)"_s;
            return false;
        }
        c.log_level = l;
    } else if (key == u"log_format"_s) {
        const QString f = c.log_format.trimmed().toLower();
        if (f != u"text"_s && f != u"json"_s) {
            *error =
                u"unknown log format "_s + quoted(c.log_format) + u" (expected text or json)"_s;
            return false;
        }
        c.log_format = f;
    } else if (key == u"admin_name"_s) {
        if (c.admin_name.isEmpty()) {
            *error = u"must not be empty"_s;
            return false;
        }
    } else if (key == u"data_dir"_s) {
        if (c.data_dir.isEmpty()) {
            *error = u"must not be empty"_s;
            return false;
        }
    }
    return true;
}

// Loading state: the Config being built and where each key was last set.
class Loader
{
public:
    Config config;
    QHash<QString, QString> sourceOf;
    std::optional<ConfigError> error;

    // Converts and stores one value; on a bad value records the error.
    bool set(const KeyDef &def, const RawValue &v, const QString &source)
    {
        const QString key = QLatin1StringView(def.name);
        QString problem;
        const bool ok = std::visit(
            [&](auto member) { return assign(config.*member, def, v, &problem); }, def.member);
        if (ok && checkValue(key, config, &problem)) {
            sourceOf.insert(key, source);
            return true;
        }
        fail(source + u": "_s + key + u": "_s + problem);
        return false;
    }

    void fail(const QString &message)
    {
        if (!error)
            error = ConfigError{message, 2};
    }

private:
    static bool assign(QString &out, const KeyDef &, const RawValue &v, QString *problem)
    {
        if (v.type == RawValue::Null) {
            out.clear();
            return true;
        }
        if (v.type != RawValue::Scalar) {
            *problem = u"expected a string"_s;
            return false;
        }
        out = v.scalar;
        return true;
    }

    template <typename Int>
    static bool assignInteger(Int &out, const KeyDef &def, const RawValue &v, QString *problem)
    {
        if (v.type == RawValue::Null)
            return true; // no value: keep the default
        const auto n = v.type == RawValue::Scalar ? parseInteger(v.scalar) : std::nullopt;
        if (!n) {
            *problem = u"expected an integer, got "_s +
                       (v.type == RawValue::Scalar ? quoted(v.scalar) : u"a list or map"_s);
            return false;
        }
        if (*n < def.min || *n > def.max) {
            *problem = QString::number(*n) + u" is out of range "_s + QString::number(def.min) +
                       u".."_s + QString::number(def.max);
            return false;
        }
        out = static_cast<Int>(*n);
        return true;
    }

    static bool assign(quint16 &out, const KeyDef &def, const RawValue &v, QString *problem)
    {
        return assignInteger(out, def, v, problem);
    }
    static bool assign(int &out, const KeyDef &def, const RawValue &v, QString *problem)
    {
        return assignInteger(out, def, v, problem);
    }
    static bool assign(qint64 &out, const KeyDef &def, const RawValue &v, QString *problem)
    {
        return assignInteger(out, def, v, problem);
    }

    static bool assign(bool &out, const KeyDef &, const RawValue &v, QString *problem)
    {
        if (v.type == RawValue::Null)
            return true;
        const auto b = v.type == RawValue::Scalar ? parseBool(v.scalar) : std::nullopt;
        if (!b) {
            *problem = u"expected true or false, got "_s +
                       (v.type == RawValue::Scalar ? quoted(v.scalar) : u"a list or map"_s);
            return false;
        }
        out = *b;
        return true;
    }

    static bool assign(QStringList &out, const KeyDef &, const RawValue &v, QString *problem)
    {
        if (v.type == RawValue::Map) {
            *problem = u"expected a list, got a map"_s;
            return false;
        }
        out = toList(v);
        return true;
    }

    static bool assign(Roles &out, const KeyDef &, const RawValue &v, QString *problem)
    {
        if (v.type == RawValue::Map) {
            *problem = u"expected a list of roles, got a map"_s;
            return false;
        }
        const auto r = parseRoles(toList(v), problem);
        if (!r)
            return false;
        out = *r;
        return true;
    }
};

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

QString markText(const QString &file, const YAML::Mark &m)
{
    if (m.is_null())
        return file;
    return file + u':' + QString::number(m.line + 1);
}

RawValue rawFromYaml(const YAML::Node &node, QString *nestedProblem)
{
    RawValue v;
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
        v.type = RawValue::Null;
        break;
    case YAML::NodeType::Scalar:
        v.type = RawValue::Scalar;
        v.scalar = fromStd(node.Scalar());
        break;
    case YAML::NodeType::Sequence:
        v.type = RawValue::Sequence;
        for (const YAML::Node &item : node) {
            if (!item.IsScalar()) {
                *nestedProblem = u"list items must be plain values"_s;
                break;
            }
            v.items.append(fromStd(item.Scalar()));
        }
        break;
    case YAML::NodeType::Map:
        v.type = RawValue::Map;
        break;
    }
    return v;
}

// Applies the keys of a YAML document; `path` names it in messages.
void applyYamlText(Loader &l, QByteArrayView bytes, const QString &path)
{
    YAML::Node root;
    try {
        root = YAML::Load(std::string(bytes.data(), size_t(bytes.size())));
    } catch (const YAML::Exception &e) {
        l.fail(markText(path, e.mark) + u": YAML syntax error: "_s + fromStd(e.msg));
        return;
    }
    if (root.IsNull() || !root.IsDefined())
        return; // an empty file is fine
    if (!root.IsMap()) {
        l.fail(markText(path, root.Mark()) +
               u": the configuration must be a map of key: value lines"_s);
        return;
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString where = markText(path, it->first.Mark());
        const QString key = it->first.IsScalar() ? fromStd(it->first.Scalar()) : QString();
        const KeyDef *def = findKey(key);
        if (!def) {
            l.config.warnings.append(where + u": unknown key "_s + quoted(key) + u" ignored"_s);
            continue;
        }
        QString nested;
        const RawValue v = rawFromYaml(it->second, &nested);
        if (!nested.isEmpty()) {
            l.fail(markText(path, it->second.Mark()) + u": "_s + key + u": "_s + nested);
            return;
        }
        if (!l.set(*def, v, markText(path, it->second.Mark())))
            return;
    }
}

void applyYamlFile(Loader &l, const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        l.fail(path + u": cannot read the configuration file: "_s + f.errorString());
        return;
    }
    applyYamlText(l, f.readAll(), path);
}

RawValue textValue(const QString &s)
{
    RawValue v;
    v.type = RawValue::Scalar;
    v.scalar = s;
    return v;
}

const QString kEnvPrefix = u"QPUSH_"_s;
const QString kEnvConfig = u"QPUSH_CONFIG"_s;

void applyEnvironment(Loader &l, const QProcessEnvironment &env)
{
    QStringList names = env.keys();
    names.sort();
    for (const QString &name : std::as_const(names)) {
        if (!name.startsWith(kEnvPrefix) || name == kEnvConfig)
            continue;
        const QString keyPart = name.mid(kEnvPrefix.size());
        const KeyDef *def = findKeyLoosely(keyPart);
        if (!def) {
            l.config.warnings.append(u"environment variable "_s + name +
                                     u" is not a qpush setting; ignored"_s);
            continue;
        }
        if (!l.set(*def, textValue(env.value(name)), name))
            return;
    }
}

// Command-line options that map straight onto a key, in the order applied.
struct FlagDef
{
    const char *option;
    const char *key;
};
constexpr FlagDef kFlags[] = {
    {"socket-ip", "socket_ip"},         {"socket-port", "socket_port"},
    {"logic-ip", "logic_ip"},           {"logic-port", "logic_port"},
    {"data-dir", "data_dir"},           {"store", "store"},
    {"redis-address", "redis_address"}, {"roles", "roles"},
    {"admin-passwd", "admin_passwd"},   {"ping-interval", "pingInterval"},
    {"ping-timeout", "pingTimeout"},    {"max-payload", "max_payload"},
    {"log-level", "log_level"},         {"log-format", "log_format"},
};

QString helpFooter()
{
    QString keys;
    QString line = u" "_s;
    const QStringList all = configKeys();
    for (const QString &k : all) {
        if (line.size() + k.size() + 2 > 79) {
            keys += line + u'\n';
            line = u" "_s;
        }
        line += u' ' + k + (k == all.constLast() ? QString() : u","_s);
    }
    keys += line + u'\n';
    return u"\nConfiguration is read from a YAML file, then QPUSH_<KEY> environment variables\n"
           u"(key upper-cased, e.g. QPUSH_SOCKET_PORT, QPUSH_PINGINTERVAL), then the options\n"
           u"above; later wins. --set accepts every key:\n"_s +
           keys + u"See docs/configuration.md for defaults and meanings.\n"_s;
}

// Resolves what depends on several keys; runs once all sources are applied.
void finish(Loader &l)
{
    Config &c = l.config;
    auto src = [&](const char *key) {
        const QString s = l.sourceOf.value(QLatin1StringView(key));
        return s.isEmpty() ? u"default"_s : s;
    };
    if (c.push_message_expire > c.push_message_max_expire) {
        l.fail(src("push_message_expire") + u": push_message_expire ("_s +
               QString::number(c.push_message_expire) +
               u") must not exceed push_message_max_expire ("_s +
               QString::number(c.push_message_max_expire) + u", "_s +
               src("push_message_max_expire") + u')');
        return;
    }
    if (c.tls_cert.isEmpty() != c.tls_key.isEmpty()) {
        const char *given = c.tls_cert.isEmpty() ? "tls_key" : "tls_cert";
        l.fail(src(given) + u": tls_cert and tls_key must be set together"_s);
        return;
    }
    if (!c.single_port && c.socket_port != 0 && c.socket_port == c.logic_port) {
        l.fail(src("logic_port") + u": logic_port equals socket_port ("_s +
               QString::number(c.socket_port) +
               u"); use another port, or single_port: true to serve the API on the client port"_s);
        return;
    }
    if (c.store.isEmpty())
        c.store = c.redis_address.isEmpty() ? u"sqlite"_s : u"redis"_s;
    if (c.store == u"sqlite"_s)
        c.store = u"sqlite:"_s + QDir(c.data_dir).filePath(u"qpush.db"_s);
    if (c.store == u"redis"_s && c.redis_address.isEmpty())
        c.redis_address = QStringList{u"127.0.0.1:6379"_s};
}

} // namespace

QStringList configKeys()
{
    QStringList keys;
    for (const KeyDef &d : keyDefs())
        keys.append(QString::fromLatin1(d.name));
    return keys;
}

QStringList roleNames(Roles roles)
{
    QStringList names;
    if (roles.testFlag(Role::Socket))
        names.append(u"socket"_s);
    if (roles.testFlag(Role::Api))
        names.append(u"api"_s);
    if (roles.testFlag(Role::Worker))
        names.append(u"worker"_s);
    return names;
}

QVariantMap configToVariantMap(const Config &config)
{
    QVariantMap map;
    for (const KeyDef &d : keyDefs()) {
        const QVariant value = std::visit(
            [&](auto member) -> QVariant {
                const auto &v = config.*member;
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, Roles>)
                    return roleNames(v);
                else if constexpr (std::is_same_v<T, quint16>)
                    return int(v);
                else
                    return QVariant::fromValue(v);
            },
            d.member);
        map.insert(QString::fromLatin1(d.name), value);
    }
    return map;
}

QStringList defaultConfigSearchPath()
{
    return {u"./config.yaml"_s, u"/etc/qpush/config.yaml"_s};
}

ConfigResult parseConfigYaml(QByteArrayView yaml, const QString &source)
{
    Loader l;
    l.config.configFile = source;
    applyYamlText(l, yaml, source);
    if (!l.error)
        finish(l);
    if (l.error)
        return *l.error;
    return l.config;
}

ConfigResult loadConfig(const QStringList &args, const QProcessEnvironment &env)
{
    return loadConfig(args, env, defaultConfigSearchPath());
}

ConfigResult loadConfig(const QStringList &args, const QProcessEnvironment &env,
                        const QStringList &defaultSearchPath)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"qpush-server: Socket.IO push service"_s);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsCompactedShortOptions);
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption helpOpt({u"h"_s, u"help"_s}, u"Show this help and exit."_s);
    const QCommandLineOption versionOpt({u"v"_s, u"version"_s}, u"Show the version and exit."_s);
    const QCommandLineOption configOpt({u"c"_s, u"config"_s},
                                       u"Read FILE (default: ./config.yaml, then "
                                       u"/etc/qpush/config.yaml, if present)."_s,
                                       u"FILE"_s);
    const QCommandLineOption setOpt(u"set"_s, u"Set any configuration key (repeatable)."_s,
                                    u"KEY=VALUE"_s);
    const QCommandLineOption checkOpt(u"check-config"_s,
                                      u"Validate the configuration and exit: 0 when valid, 2 "
                                      u"with the source, line and key of the first error."_s);
    parser.addOption(helpOpt);
    parser.addOption(versionOpt);
    parser.addOption(configOpt);
    parser.addOption(checkOpt);
    struct Described
    {
        QStringList names;
        QString help;
        QString value;
    };
    const Described described[] = {
        {{u"socket-ip"_s}, u"Address of the client (Socket.IO) port."_s, u"IP"_s},
        {{u"p"_s, u"socket-port"_s}, u"Client (Socket.IO) port; 0 = any free port."_s, u"N"_s},
        {{u"logic-ip"_s}, u"Address of the API port."_s, u"IP"_s},
        {{u"logic-port"_s}, u"REST API port; 0 = any free port."_s, u"N"_s},
        {{u"data-dir"_s}, u"Directory for the SQLite store and the admin password."_s, u"DIR"_s},
        {{u"store"_s}, u"redis, sqlite or sqlite:PATH."_s, u"STORE"_s},
        {{u"redis-address"_s},
         u"Redis host:port; several (comma-separated) for a cluster."_s,
         u"ADDR"_s},
        {{u"roles"_s}, u"Roles of this node: socket,api,worker (default all)."_s, u"LIST"_s},
        {{u"admin-passwd"_s},
         u"Admin password (default: generated, see data dir)."_s,
         u"PASSWORD"_s},
        {{u"ping-interval"_s}, u"Engine.IO ping interval, ms."_s, u"MS"_s},
        {{u"ping-timeout"_s}, u"Engine.IO ping timeout, ms."_s, u"MS"_s},
        {{u"max-payload"_s}, u"Largest accepted message, bytes."_s, u"BYTES"_s},
        {{u"log-level"_s}, u"debug, info, warning or critical."_s, u"LEVEL"_s},
        {{u"log-format"_s}, u"text (default) or json (one object per line)."_s, u"FORMAT"_s},
    };
    for (const Described &d : described)
        parser.addOption(QCommandLineOption(d.names, d.help, d.value));
    parser.addOption(setOpt);

    const QStringList argv = args.isEmpty() ? QStringList{u"qpush-server"_s} : args;
    if (!parser.parse(argv))
        return ConfigError{parser.errorText() + u"\nTry --help."_s, 2};
    if (parser.isSet(helpOpt)) {
        // helpText() names argv[0] of the QCoreApplication, if any: use ours.
        const QString help = parser.helpText();
        return ConfigError{u"Usage: "_s + QFileInfo(argv.first()).fileName() + u" [options]"_s +
                               help.mid(help.indexOf(u'\n')) + helpFooter(),
                           0};
    }
    if (parser.isSet(versionOpt))
        return ConfigError{u"qpush-server "_s + versionString() + u'\n', 0};
    if (!parser.positionalArguments().isEmpty())
        return ConfigError{u"unexpected argument "_s +
                               quoted(parser.positionalArguments().first()) + u"\nTry --help."_s,
                           2};

    Loader l;
    l.config.checkOnly = parser.isSet(checkOpt);

    // 1. The YAML file.
    QString file;
    bool explicitFile = false;
    if (parser.isSet(configOpt)) {
        file = parser.value(configOpt);
        explicitFile = true;
    } else if (env.contains(kEnvConfig) && !env.value(kEnvConfig).isEmpty()) {
        file = env.value(kEnvConfig);
        explicitFile = true;
    } else {
        for (const QString &candidate : defaultSearchPath) {
            if (QFileInfo(candidate).isFile()) {
                file = candidate;
                break;
            }
        }
    }
    if (explicitFile && !QFileInfo(file).isFile()) {
        const QString via = parser.isSet(configOpt) ? u"--config"_s : kEnvConfig;
        return ConfigError{via + u": configuration file "_s + quoted(file) + u" not found"_s, 2};
    }
    if (!file.isEmpty()) {
        l.config.configFile = file;
        applyYamlFile(l, file);
        if (l.error)
            return *l.error;
    }

    // 2. The environment.
    applyEnvironment(l, env);
    if (l.error)
        return *l.error;

    // 3. The command line: --set first, then the dedicated options.
    const QStringList sets = parser.values(setOpt);
    for (const QString &s : sets) {
        const qsizetype eq = s.indexOf(u'=');
        const QString key = eq < 0 ? s : s.left(eq);
        const KeyDef *def = findKeyLoosely(key.trimmed());
        if (eq < 0 || !def) {
            return ConfigError{
                u"--set "_s + s + u": "_s +
                    (eq < 0 ? u"expected KEY=VALUE"_s : u"unknown key "_s + quoted(key)),
                2};
        }
        if (!l.set(*def, textValue(s.mid(eq + 1)), u"--set "_s + key.trimmed()))
            return *l.error;
    }
    for (const FlagDef &f : kFlags) {
        const QString option = QLatin1StringView(f.option);
        if (!parser.isSet(option))
            continue;
        const KeyDef *def = findKey(QString::fromLatin1(f.key));
        Q_ASSERT(def);
        // A repeated option adds to a list key and replaces a scalar one.
        const QStringList values = parser.values(option);
        const bool isList = std::holds_alternative<QStringList Config::*>(def->member) ||
                            std::holds_alternative<Roles Config::*>(def->member);
        const QString text = isList ? values.join(u',') : values.constLast();
        if (!l.set(*def, textValue(text), u"--"_s + option))
            return *l.error;
    }

    finish(l);
    if (l.error)
        return *l.error;
    return l.config;
}

} // namespace qpush
