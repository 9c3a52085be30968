// qpush-bench: load generator for Socket.IO push servers (qpush and the
// Node.js reference). Forks client worker processes, connects up to 100 000
// websocket clients from source addresses spread over 127.0.0.0/8, drives
// pushes through the REST API at fixed rates and prints figures (one JSON
// object per line with --json, plus a human summary on stdout).
#include "common.h"
#include "procstat.h"
#include "restdriver.h"
#include "worker.h"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace qpushbench;

namespace {

struct Options
{
    std::string socketHost = "127.0.0.1";
    uint16_t socketPort = 0;
    std::string apiHost = "127.0.0.1";
    uint16_t apiPort = 0;
    int serverPid = 0;
    // Several-node mode: --socket and --server-pid take lists; client worker
    // w connects to node w % nodes; RSS is per node, CPU summed over the
    // nodes and --redis-pid; --redis-port is asked for used_memory.
    std::vector<std::pair<std::string, uint16_t>> sockets;
    std::vector<int> serverPids;
    int redisPid = 0;
    uint16_t redisPort = 0;
    std::string label = "server";
    std::string scenario;
    std::vector<uint32_t> clients;
    std::vector<double> rates;
    double seconds = 5;
    uint32_t workers = 0;
    uint32_t perWorker = 15000;
    int eio = 4;
    bool ack = true;
    uint32_t httpConns = 64;
    std::string json;
    std::string auth = "/bench:x";
    std::string nsp = "/bench";
    std::string room = "fan";
    double settle = 1.0;
    double hold = 0;
    double drain = 5;
    uint32_t inFlight = 128;
    bool stopSaturated = false;
};

void usage()
{
    std::fprintf(
        stderr,
        "usage: qpush-bench --scenario idle|fanout|unicast --socket IP:PORT[,IP:PORT...] [--api "
        "IP:PORT]\n"
        "  [--server-pid PID[,PID...]] [--redis-pid PID] [--redis-port PORT] [--label NAME] "
        "[--clients N[,N...]] [--rates R[,R...]] [--seconds "
        "S]\n"
        "  [--workers W] [--per-worker N] [--eio 4|3] [--no-ack] [--http-conns N] [--json FILE]\n"
        "  [--auth NS:PASSWD] [--nsp /bench] [--room fan] [--settle S] [--hold S] [--drain S]\n"
        "  [--in-flight N] [--stop-saturated]\n"
        "idle: connect the --clients steps one after the other, report RSS/CPU per connection.\n"
        "fanout: --clients[0] clients join --room, pushes to it at each of --rates per second.\n"
        "unicast: --clients[0] clients, pushes to random user rooms at each of --rates per "
        "second.\n");
}

bool splitHostPort(const std::string &s, std::string &host, uint16_t &port)
{
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos)
        return false;
    host = s.substr(0, colon);
    port = static_cast<uint16_t>(std::stoul(s.substr(colon + 1)));
    return port != 0;
}

template <typename T> std::vector<T> parseList(const std::string &s)
{
    std::vector<T> out;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t comma = s.find(',', pos);
        if (comma == std::string::npos)
            comma = s.size();
        const std::string item = s.substr(pos, comma - pos);
        if (!item.empty()) {
            double v = std::stod(item);
            if (item.back() == 'k' || item.back() == 'K')
                v *= 1000;
            out.push_back(static_cast<T>(v));
        }
        pos = comma + 1;
    }
    return out;
}

bool parseArgs(int argc, char **argv, Options &o)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "qpush-bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--socket") {
            const std::string list = next();
            size_t pos = 0;
            while (pos <= list.size()) {
                size_t comma = list.find(',', pos);
                if (comma == std::string::npos)
                    comma = list.size();
                std::string host;
                uint16_t port = 0;
                if (!splitHostPort(list.substr(pos, comma - pos), host, port))
                    return false;
                o.sockets.emplace_back(host, port);
                pos = comma + 1;
            }
            o.socketHost = o.sockets.front().first;
            o.socketPort = o.sockets.front().second;
        } else if (a == "--api") {
            if (!splitHostPort(next(), o.apiHost, o.apiPort))
                return false;
        } else if (a == "--server-pid") {
            for (int pid : parseList<int>(next()))
                o.serverPids.push_back(pid);
            if (o.serverPids.empty())
                return false;
            o.serverPid = o.serverPids.front();
        } else if (a == "--redis-pid") {
            o.redisPid = std::stoi(next());
        } else if (a == "--redis-port") {
            o.redisPort = static_cast<uint16_t>(std::stoul(next()));
        } else if (a == "--label") {
            o.label = next();
        } else if (a == "--scenario") {
            o.scenario = next();
        } else if (a == "--clients") {
            o.clients = parseList<uint32_t>(next());
        } else if (a == "--rates") {
            o.rates = parseList<double>(next());
        } else if (a == "--seconds") {
            o.seconds = std::stod(next());
        } else if (a == "--workers") {
            o.workers = static_cast<uint32_t>(std::stoul(next()));
        } else if (a == "--per-worker") {
            o.perWorker = static_cast<uint32_t>(std::stoul(next()));
        } else if (a == "--eio") {
            o.eio = std::stoi(next());
        } else if (a == "--no-ack") {
            o.ack = false;
        } else if (a == "--http-conns") {
            o.httpConns = static_cast<uint32_t>(std::stoul(next()));
        } else if (a == "--json") {
            o.json = next();
        } else if (a == "--auth") {
            o.auth = next();
        } else if (a == "--nsp") {
            o.nsp = next();
        } else if (a == "--room") {
            o.room = next();
        } else if (a == "--settle") {
            o.settle = std::stod(next());
        } else if (a == "--hold") {
            o.hold = std::stod(next());
        } else if (a == "--drain") {
            o.drain = std::stod(next());
        } else if (a == "--stop-saturated") {
            o.stopSaturated = true;
        } else if (a == "--in-flight") {
            o.inFlight = static_cast<uint32_t>(std::stoul(next()));
        } else if (a == "-h" || a == "--help") {
            usage();
            std::exit(0);
        } else {
            std::fprintf(stderr, "qpush-bench: unknown option %s\n", a.c_str());
            return false;
        }
    }
    if (o.scenario != "idle" && o.scenario != "fanout" && o.scenario != "unicast")
        return false;
    if (o.socketPort == 0 || o.clients.empty() || (o.eio != 3 && o.eio != 4))
        return false;
    if (o.scenario != "idle" && (o.apiPort == 0 || o.rates.empty()))
        return false;
    if (o.room.size() >= sizeof(ConnectCmd::room) || o.seconds <= 0 || o.seconds > 600)
        return false;
    for (double r : o.rates)
        if (r <= 0 || r * o.seconds > 5e6)
            return false;
    return true;
}

// used_memory from INFO memory of the Redis at 127.0.0.1:port (0 if unknown).
uint64_t redisUsedMemory(uint16_t port)
{
    if (port == 0)
        return 0;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint64_t used = 0;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
        const char cmd[] = "*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n";
        if (::write(fd, cmd, sizeof cmd - 1) == static_cast<ssize_t>(sizeof cmd - 1)) {
            std::string reply;
            char buf[4096];
            for (int i = 0; i < 64 && reply.find("used_memory_rss:") == std::string::npos; ++i) {
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n <= 0)
                    break;
                reply.append(buf, static_cast<size_t>(n));
            }
            const size_t at = reply.find("\nused_memory:");
            if (at != std::string::npos)
                used = std::strtoull(reply.c_str() + at + 13, nullptr, 10);
        }
    }
    ::close(fd);
    return used;
}

struct WorkerHandle
{
    pid_t pid = -1;
    int cmd = -1;
    int reply = -1;
};

class Bench
{
public:
    explicit Bench(Options o) : m_o(std::move(o)) {}

    ~Bench()
    {
        for (auto &w : m_workers) {
            writeMsg(w.cmd, static_cast<uint32_t>(Cmd::Quit), nullptr, 0);
            ::close(w.cmd);
        }
        for (auto &w : m_workers) {
            int status = 0;
            for (int i = 0; i < 100 && waitpid(w.pid, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (waitpid(w.pid, &status, WNOHANG) == 0) {
                ::kill(w.pid, SIGKILL);
                waitpid(w.pid, &status, 0);
            }
            ::close(w.reply);
        }
        if (m_json)
            std::fclose(m_json);
    }

    int run()
    {
        const uint32_t maxClients = *std::max_element(m_o.clients.begin(), m_o.clients.end());
        uint32_t workers = m_o.workers;
        if (workers == 0)
            workers = std::max<uint32_t>(2, (maxClients + m_o.perWorker - 1) / m_o.perWorker);
        if (const auto nodes = static_cast<uint32_t>(m_o.sockets.size()); nodes > 1)
            workers = (workers + nodes - 1) / nodes * nodes; // the same share on every node
        rlimit lim{};
        getrlimit(RLIMIT_NOFILE, &lim);
        if ((maxClients + workers - 1) / workers + 64 > lim.rlim_cur) {
            std::fprintf(stderr,
                         "qpush-bench: %u clients over %u workers exceed the open-file cap %llu "
                         "per process\n",
                         maxClients, workers, static_cast<unsigned long long>(lim.rlim_cur));
            return 2;
        }
        if (!m_o.json.empty()) {
            m_json = std::fopen(m_o.json.c_str(), "a");
            if (!m_json) {
                std::perror(m_o.json.c_str());
                return 2;
            }
        }
        if (!startWorkers(workers))
            return 1;
        std::printf("# %s %s: %u workers, EIO %d, %s clients, server pid %d\n", m_o.label.c_str(),
                    m_o.scenario.c_str(), workers, m_o.eio, m_o.ack ? "acking" : "non-acking",
                    m_o.serverPid);
        std::fflush(stdout);
        if (m_o.scenario == "idle")
            return idle();
        return pushes(m_o.scenario == "fanout");
    }

private:
    bool startWorkers(uint32_t n)
    {
        for (uint32_t i = 0; i < n; ++i) {
            int cmd[2], reply[2];
            if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(reply, O_CLOEXEC) < 0)
                return false;
            std::fflush(stdout);
            const pid_t pid = fork();
            if (pid < 0)
                return false;
            if (pid == 0) {
                for (auto &w : m_workers) {
                    ::close(w.cmd);
                    ::close(w.reply);
                }
                ::close(cmd[1]);
                ::close(reply[0]);
                WorkerConfig c;
                c.index = i;
                c.workers = n;
                c.host = m_o.sockets[i % m_o.sockets.size()].first;
                c.port = m_o.sockets[i % m_o.sockets.size()].second;
                c.nsp = m_o.nsp;
                c.eio = m_o.eio;
                c.ack = m_o.ack;
                c.maxInFlight = m_o.inFlight;
                _exit(runWorker(c, cmd[0], reply[1]));
            }
            ::close(cmd[0]);
            ::close(reply[1]);
            m_workers.push_back({pid, cmd[1], reply[0]});
        }
        return true;
    }

    template <typename T>
    bool ask(Cmd cmd, const void *payload, size_t len, std::vector<T> &replies, int timeoutMs)
    {
        for (auto &w : m_workers)
            if (!writeMsg(w.cmd, static_cast<uint32_t>(cmd), payload, len))
                return false;
        replies.clear();
        for (auto &w : m_workers) {
            uint32_t type = 0;
            std::string data;
            if (!readMsg(w.reply, type, data, timeoutMs) || type != static_cast<uint32_t>(cmd))
                return false;
            if constexpr (std::is_same_v<T, PhaseReport>) {
                replies.push_back(decodeReport(data));
            } else {
                T t{};
                std::memcpy(&t, data.data(), std::min(data.size(), sizeof t));
                replies.push_back(t);
            }
        }
        return true;
    }

    // Connects until `total` clients are ready across the workers.
    bool connectClients(uint32_t total, bool join, ConnectReply &sum, uint64_t &wallUs)
    {
        const auto n = static_cast<uint32_t>(m_workers.size());
        const uint64_t t0 = nowUs();
        for (uint32_t w = 0; w < n; ++w) {
            ConnectCmd c;
            c.target = total / n + (w < total % n ? 1 : 0);
            c.joinRoom = join ? 1 : 0;
            std::memcpy(c.room, m_o.room.data(), m_o.room.size());
            if (!writeMsg(m_workers[w].cmd, static_cast<uint32_t>(Cmd::Connect), &c, sizeof c))
                return false;
        }
        sum = ConnectReply{};
        for (auto &w : m_workers) {
            uint32_t type = 0;
            std::string data;
            if (!readMsg(w.reply, type, data, 600000))
                return false;
            ConnectReply r{};
            std::memcpy(&r, data.data(), std::min(data.size(), sizeof r));
            sum.ready += r.ready;
            sum.failed += r.failed;
            sum.retries += r.retries;
            sum.lost += r.lost;
            sum.elapsedUs = std::max(sum.elapsedUs, r.elapsedUs);
        }
        wallUs = nowUs() - t0;
        return true;
    }

    bool multiNode() const { return m_o.serverPids.size() > 1; }

    // One node: that process. Several: RSS summed over the nodes, CPU over
    // the nodes and Redis.
    ProcSample sampleServers() const
    {
        if (!multiNode())
            return sampleProcess(m_o.serverPid);
        ProcSample sum;
        sum.ok = true;
        for (int pid : m_o.serverPids) {
            const ProcSample p = sampleProcess(pid);
            sum.ok = sum.ok && p.ok;
            sum.rssKb += p.rssKb;
            sum.cpuSeconds += p.cpuSeconds;
            sum.threads += p.threads;
        }
        if (m_o.redisPid > 0)
            sum.cpuSeconds += sampleProcess(m_o.redisPid).cpuSeconds;
        return sum;
    }

    std::vector<uint64_t> nodeRss() const
    {
        std::vector<uint64_t> out;
        for (int pid : m_o.serverPids)
            out.push_back(sampleProcess(pid).rssKb);
        return out;
    }

    double clientCpu() const
    {
        double sum = 0;
        for (const auto &w : m_workers)
            sum += sampleProcess(w.pid).cpuSeconds;
        return sum;
    }

    static void sleepFor(double seconds)
    {
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
    }

    void emit(const std::string &line)
    {
        if (m_json) {
            std::fprintf(m_json, "%s\n", line.c_str());
            std::fflush(m_json);
        }
    }

    int idle()
    {
        std::vector<uint32_t> steps = m_o.clients;
        std::sort(steps.begin(), steps.end());
        sleepFor(m_o.settle);
        const ProcSample base = sampleServers();
        const std::vector<uint64_t> nodeBase = nodeRss();
        const uint64_t redisBase = redisUsedMemory(m_o.redisPort);
        ProcSample prev = base;
        uint32_t prevReady = 0;
        std::printf("%-10s %8s %8s %7s %10s %12s %12s %12s %10s\n", "server", "clients", "ready",
                    "failed", "conn/s", "RSS MB", "KB/conn", "CPU us/conn", "idle CPU%");
        for (uint32_t n : steps) {
            ConnectReply sum;
            uint64_t wallUs = 0;
            if (!connectClients(n, false, sum, wallUs)) {
                std::fprintf(stderr, "qpush-bench: workers stopped answering\n");
                return 1;
            }
            const uint64_t connectUs = std::max<uint64_t>(1, sum.elapsedUs);
            sleepFor(m_o.settle);
            const ProcSample s = sampleServers();
            double idleCpuPct = 0;
            if (m_o.hold > 0) {
                const ProcSample h0 = sampleServers();
                sleepFor(m_o.hold);
                const ProcSample h1 = sampleServers();
                idleCpuPct = (h1.cpuSeconds - h0.cpuSeconds) / m_o.hold * 100;
            }
            const double added = static_cast<double>(sum.ready) - prevReady;
            const double rssPerConn =
                sum.ready ? (static_cast<double>(s.rssKb) - base.rssKb) * 1024.0 / sum.ready : 0;
            const double connRate = added > 0 ? added / (static_cast<double>(connectUs) / 1e6) : 0;
            const double cpuPerConnUs =
                added > 0 ? (s.cpuSeconds - prev.cpuSeconds) * 1e6 / added : 0;
            std::printf("%-10s %8u %8u %7u %10.0f %12.1f %12.2f %12.1f %10.2f\n", m_o.label.c_str(),
                        n, sum.ready, sum.failed, connRate, s.rssKb / 1024.0, rssPerConn / 1024.0,
                        cpuPerConnUs, idleCpuPct);
            std::fflush(stdout);
            char line[1024];
            std::snprintf(line, sizeof line,
                          "{\"server\":\"%s\",\"scenario\":\"idle\",\"eio\":%d,\"clients\":%u,"
                          "\"ready\":%u,\"failed\":%u,"
                          "\"retries\":%u,\"lost\":%u,\"connect_s\":%.3f,\"connect_rate\":%.1f,"
                          "\"rss_base_kb\":%llu,"
                          "\"rss_kb\":%llu,\"rss_per_conn_bytes\":%.0f,\"cpu_connect_s\":%.3f,"
                          "\"cpu_us_per_conn\":%.1f,"
                          "\"idle_cpu_pct\":%.3f,\"server_threads\":%llu}",
                          m_o.label.c_str(), m_o.eio, n, sum.ready, sum.failed, sum.retries,
                          sum.lost, connectUs / 1e6, connRate,
                          static_cast<unsigned long long>(base.rssKb),
                          static_cast<unsigned long long>(s.rssKb), rssPerConn,
                          s.cpuSeconds - prev.cpuSeconds, cpuPerConnUs, idleCpuPct,
                          static_cast<unsigned long long>(s.threads));
            emit(line);
            if (multiNode()) {
                const std::vector<uint64_t> rss = nodeRss();
                const uint64_t redisUsed = redisUsedMemory(m_o.redisPort);
                const double perNode = static_cast<double>(sum.ready) / rss.size();
                std::string list;
                std::printf("#   %zu nodes, ~%.0f connections each; KB/conn per node:", rss.size(),
                            perNode);
                for (size_t k = 0; k < rss.size(); ++k) {
                    const double b =
                        perNode > 0 ? (static_cast<double>(rss[k]) - nodeBase[k]) * 1024 / perNode
                                    : 0;
                    std::printf(" %.2f", b / 1024);
                    list += (k ? "," : "") + std::to_string(static_cast<long long>(b));
                }
                std::printf("; node RSS MB:");
                for (uint64_t r : rss)
                    std::printf(" %.0f", r / 1024.0);
                std::printf("; Redis used_memory %.1f MB (+%.0f B/conn)\n", redisUsed / 1048576.0,
                            sum.ready ? (static_cast<double>(redisUsed) - redisBase) / sum.ready
                                      : 0);
                std::fflush(stdout);
                char extra[1024];
                std::snprintf(extra, sizeof extra,
                              "{\"server\":\"%s\",\"scenario\":\"idle-nodes\",\"nodes\":%zu,"
                              "\"clients\":%u,\"ready\":%u,\"rss_per_conn_node_bytes\":[%s],"
                              "\"redis_used_memory\":%llu,\"redis_used_memory_base\":%llu}",
                              m_o.label.c_str(), rss.size(), n, sum.ready, list.c_str(),
                              static_cast<unsigned long long>(redisUsed),
                              static_cast<unsigned long long>(redisBase));
                emit(extra);
            }
            prev = sampleServers();
            prevReady = sum.ready;
            if (!s.ok) {
                std::fprintf(stderr, "qpush-bench: server process %d is gone\n", m_o.serverPid);
                return 1;
            }
        }
        return 0;
    }

    int pushes(bool fanout)
    {
        const uint32_t n = m_o.clients.front();
        ConnectReply sum;
        uint64_t wallUs = 0;
        if (!connectClients(n, fanout, sum, wallUs)) {
            std::fprintf(stderr, "qpush-bench: workers stopped answering\n");
            return 1;
        }
        std::printf("# %u/%u clients ready in %.2f s (%u failed, %u retries)\n", sum.ready, n,
                    sum.elapsedUs / 1e6, sum.failed, sum.retries);
        if (sum.ready == 0)
            return 1;
        sleepFor(m_o.settle);
        RestDriver driver(m_o.apiHost, m_o.apiPort, m_o.auth, m_o.httpConns);
        std::string error;
        if (!driver.open(error)) {
            std::fprintf(stderr, "qpush-bench: %s\n", error.c_str());
            return 1;
        }
        std::mt19937_64 rng(12345);
        std::uniform_int_distribution<uint32_t> pick(0, n - 1);
        const auto room = [&](uint64_t) -> std::string {
            if (fanout)
                return m_o.room;
            return "user_u" + std::to_string(pick(rng));
        };
        if (fanout)
            std::printf("%-10s %8s %8s %8s %10s %12s %12s %12s %12s %14s\n", "server", "rate/s",
                        "pushes", "deliv", "deliv/s", "last p50 ms", "last p99 ms", "last max ms",
                        "deliv/CPU-s", "CPU s/M deliv");
        else
            std::printf("%-10s %8s %9s %8s %10s %9s %9s %9s %9s %12s %10s\n", "server", "rate/s",
                        "achieved", "deliv", "lost", "p50 ms", "p99 ms", "p999 ms", "max ms",
                        "deliv/CPU-s", "sustained");
        std::fflush(stdout);
        for (size_t i = 0; i < m_o.rates.size(); ++i) {
            const double rate = m_o.rates[i];
            const auto phase = static_cast<uint32_t>(i + 1);
            PhaseCmd pc;
            pc.phase = phase;
            pc.plannedPushes = static_cast<uint32_t>(std::llround(rate * m_o.seconds));
            pc.perPush = fanout ? 1 : 0;
            for (auto &w : m_workers)
                writeMsg(w.cmd, static_cast<uint32_t>(Cmd::Phase), &pc, sizeof pc);
            const ProcSample s0 = sampleServers();
            const double c0 = clientCpu();
            DriverResult dr = driver.run(phase, rate, m_o.seconds, room);
            // A push's expectAckCount may count only the accepting node's
            // clients; a fan-out reaches every ready client.
            if (fanout)
                dr.expected = std::max<uint64_t>(dr.expected, dr.sent * sum.ready);
            // Wait for the deliveries the server announced (bounded).
            const uint64_t drainEnd = nowUs() + static_cast<uint64_t>(m_o.drain * 1e6);
            uint64_t delivered = 0;
            std::vector<StatusReply> st;
            while (nowUs() < drainEnd) {
                if (!ask(Cmd::Status, nullptr, 0, st, 10000))
                    return 1;
                delivered = 0;
                for (auto &s : st)
                    delivered += s.delivered;
                if (delivered >= dr.expected)
                    break;
                sleepFor(0.05);
            }
            sleepFor(0.3); // acks reach the server
            const ProcSample s1 = sampleServers();
            const double clientCpuS = clientCpu() - c0;
            std::vector<PhaseReport> reps;
            if (!ask(Cmd::Report, nullptr, 0, reps, 30000))
                return 1;
            PhaseReport all;
            for (const auto &r : reps) {
                all.delivered += r.delivered;
                all.otherPhase += r.otherPhase;
                all.all.merge(r.all);
                for (int t = 0; t < 3; ++t)
                    all.third[t].merge(r.third[t]);
                if (r.firstRecvUs && (!all.firstRecvUs || r.firstRecvUs < all.firstRecvUs))
                    all.firstRecvUs = r.firstRecvUs;
                all.lastRecvUs = std::max(all.lastRecvUs, r.lastRecvUs);
            }
            Histogram last;
            uint64_t completePushes = 0;
            if (fanout) {
                std::vector<uint32_t> mx(pc.plannedPushes, 0), cnt(pc.plannedPushes, 0);
                for (const auto &r : reps)
                    for (size_t s = 0; s < r.pushMaxUs.size() && s < mx.size(); ++s) {
                        mx[s] = std::max(mx[s], r.pushMaxUs[s]);
                        cnt[s] += r.pushCount[s];
                    }
                for (size_t s = 0; s < mx.size(); ++s)
                    if (cnt[s] > 0) {
                        last.add(mx[s]);
                        if (cnt[s] >= sum.ready)
                            ++completePushes;
                    }
            }
            const double cpu = s1.cpuSeconds - s0.cpuSeconds;
            const double spanS =
                all.lastRecvUs > dr.firstSendUs ? (all.lastRecvUs - dr.firstSendUs) / 1e6 : 0;
            const double delivPerS = spanS > 0 ? all.delivered / spanS : 0;
            const double delivPerCpu = cpu > 0 ? all.delivered / cpu : 0;
            const double cpuPerM = all.delivered ? cpu / all.delivered * 1e6 : 0;
            // Accepted pushes over the phase's planned length, or longer when
            // the replies came late.
            const double replySpan =
                dr.lastReplyUs > dr.startUs ? (dr.lastReplyUs - dr.startUs) / 1e6 : 0;
            const double achieved = dr.ok / std::max(m_o.seconds, replySpan);
            const uint64_t lost = dr.expected > all.delivered ? dr.expected - all.delivered : 0;
            const uint64_t p99a = all.third[0].quantile(0.99), p99c = all.third[2].quantile(0.99);
            const bool sustained = dr.ok >= dr.planned * 99 / 100 && achieved >= 0.95 * rate &&
                                   all.delivered * 1000 >= dr.expected * 999 &&
                                   p99c <= 2 * p99a + 2000;
            auto ms = [](uint64_t us) { return us / 1000.0; };
            if (fanout)
                std::printf("%-10s %8.0f %8llu %8llu %10.0f %12.2f %12.2f %12.2f %12.0f %14.2f\n",
                            m_o.label.c_str(), rate, static_cast<unsigned long long>(dr.ok),
                            static_cast<unsigned long long>(all.delivered), delivPerS,
                            ms(last.quantile(0.5)), ms(last.quantile(0.99)), ms(last.max()),
                            delivPerCpu, cpuPerM);
            else
                std::printf("%-10s %8.0f %9.0f %8llu %10llu %9.2f %9.2f %9.2f %9.2f %12.0f %10s\n",
                            m_o.label.c_str(), rate, achieved,
                            static_cast<unsigned long long>(all.delivered),
                            static_cast<unsigned long long>(lost), ms(all.all.quantile(0.5)),
                            ms(all.all.quantile(0.99)), ms(all.all.quantile(0.999)),
                            ms(all.all.max()), delivPerCpu, sustained ? "yes" : "no");
            if (dr.errors)
                std::printf("#   %llu REST errors, first: %s\n",
                            static_cast<unsigned long long>(dr.errors), dr.firstError.c_str());
            std::fflush(stdout);
            char line[2048];
            std::snprintf(
                line, sizeof line,
                "{\"server\":\"%s\",\"scenario\":\"%s\",\"eio\":%d,\"ack\":%s,\"clients\":%u,"
                "\"rate\":%.1f,"
                "\"seconds\":%.2f,\"planned\":%llu,\"sent\":%llu,\"ok\":%llu,\"errors\":%llu,"
                "\"expected\":%llu,"
                "\"delivered\":%llu,\"late_other_phase\":%llu,\"lost\":%llu,\"achieved_rate\":%.1f,"
                "\"deliveries_per_s\":%.1f,\"cpu_s\":%.3f,\"deliveries_per_cpu_s\":%.1f,\"cpu_s_"
                "per_million\":%.3f,"
                "\"lat_p50_ms\":%.3f,\"lat_p99_ms\":%.3f,\"lat_p999_ms\":%.3f,\"lat_max_ms\":%.3f,"
                "\"p99_first_third_ms\":%.3f,\"p99_last_third_ms\":%.3f,\"last_p50_ms\":%.3f,"
                "\"last_p99_ms\":%.3f,"
                "\"last_max_ms\":%.3f,\"complete_pushes\":%llu,\"rest_p50_ms\":%.3f,\"rest_p99_"
                "ms\":%.3f,"
                "\"driver_lag_p99_ms\":%.3f,\"sustained\":%s,\"rss_kb\":%llu,\"client_cpu_s\":%."
                "3f}",
                m_o.label.c_str(), fanout ? "fanout" : "unicast", m_o.eio,
                m_o.ack ? "true" : "false", sum.ready, rate, m_o.seconds,
                static_cast<unsigned long long>(dr.planned),
                static_cast<unsigned long long>(dr.sent), static_cast<unsigned long long>(dr.ok),
                static_cast<unsigned long long>(dr.errors),
                static_cast<unsigned long long>(dr.expected),
                static_cast<unsigned long long>(all.delivered),
                static_cast<unsigned long long>(all.otherPhase),
                static_cast<unsigned long long>(lost), achieved, delivPerS, cpu, delivPerCpu,
                cpuPerM, ms(all.all.quantile(0.5)), ms(all.all.quantile(0.99)),
                ms(all.all.quantile(0.999)), ms(all.all.max()), ms(p99a), ms(p99c),
                ms(last.quantile(0.5)), ms(last.quantile(0.99)), ms(last.max()),
                static_cast<unsigned long long>(completePushes), ms(dr.reply.quantile(0.5)),
                ms(dr.reply.quantile(0.99)), ms(dr.lag.quantile(0.99)),
                sustained ? "true" : "false", static_cast<unsigned long long>(s1.rssKb),
                clientCpuS);
            emit(line);
            if (!s1.ok) {
                std::fprintf(stderr, "qpush-bench: server process %d is gone\n", m_o.serverPid);
                return 1;
            }
            // A server that could not deliver a phase in time still has a
            // backlog: higher rates would only measure that backlog.
            if (m_o.stopSaturated &&
                (all.delivered * 100 < dr.expected * 99 || achieved < 0.9 * rate) &&
                i + 1 < m_o.rates.size()) {
                std::printf("#   saturated at %.0f pushes/s: higher rates skipped\n", rate);
                break;
            }
        }
        return 0;
    }

    Options m_o;
    std::vector<WorkerHandle> m_workers;
    FILE *m_json = nullptr;
};

} // namespace

int main(int argc, char **argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    Options o;
    try {
        if (!parseArgs(argc, argv, o)) {
            usage();
            return 2;
        }
    } catch (const std::exception &) {
        usage();
        return 2;
    }
    Bench bench(std::move(o));
    return bench.run();
}
