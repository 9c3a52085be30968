#include "worker.h"

#include "common.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string_view>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace qpushbench {
namespace {

enum class State : uint8_t {
    Idle,
    Connecting,
    WaitHttp,
    WaitOpen,
    WaitOk,
    WaitJoin,
    Ready,
    Closed
};

// One client. Both strings stay empty (no heap) unless a frame arrives in
// pieces or the kernel refuses a write.
struct Conn
{
    std::string in;
    std::string out;
    int fd = -1;
    uint32_t startMs = 0;
    State state = State::Idle;
    uint8_t retries = 0;
};

constexpr uint64_t kCmdTag = ~uint64_t{0};

class Worker
{
public:
    Worker(const WorkerConfig &config, int cmdFd, int replyFd)
        : m_cfg(config), m_cmdFd(cmdFd), m_replyFd(replyFd), m_buf(256 * 1024)
    {
        m_mask = static_cast<uint32_t>(nowUs() * 2654435761u) | 0x01010101u;
    }

    int run()
    {
        m_ep = epoll_create1(EPOLL_CLOEXEC);
        if (m_ep < 0)
            return 1;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kCmdTag;
        epoll_ctl(m_ep, EPOLL_CTL_ADD, m_cmdFd, &ev);
        std::vector<epoll_event> events(1024);
        uint64_t lastScanUs = nowUs();
        while (!m_quit) {
            const int n = epoll_wait(m_ep, events.data(), static_cast<int>(events.size()), 5);
            if (n < 0 && errno != EINTR)
                return 1;
            for (int i = 0; i < n; ++i) {
                if (events[i].data.u64 == kCmdTag) {
                    if (!command())
                        return 0;
                    continue;
                }
                handle(static_cast<uint32_t>(events[i].data.u64), events[i].events);
            }
            const uint64_t now = nowUs();
            if (m_connecting && now - lastScanUs > 200000) {
                lastScanUs = now;
                expireHandshakes();
            }
            if (m_connecting)
                pump();
            if (m_cfg.eio == 3 && m_pingIntervalMs > 0)
                clientPings(now);
        }
        return 0;
    }

private:
    uint32_t nowMs() const { return static_cast<uint32_t>((nowUs() - m_startUs) / 1000); }
    uint32_t globalIndex(uint32_t k) const { return m_cfg.index + k * m_cfg.workers; }

    // ---- commands from the parent
    bool command()
    {
        uint32_t type = 0;
        std::string payload;
        if (!readMsg(m_cmdFd, type, payload, 10000))
            return false;
        switch (static_cast<Cmd>(type)) {
        case Cmd::Connect: {
            ConnectCmd c;
            std::memcpy(&c, payload.data(), std::min(payload.size(), sizeof c));
            m_target = c.target;
            m_joinRoom = c.joinRoom != 0;
            m_room.assign(c.room, strnlen(c.room, sizeof c.room));
            if (m_conns.size() < m_target)
                m_conns.resize(m_target);
            m_connecting = true;
            m_connectStartUs = nowUs();
            pump();
            break;
        }
        case Cmd::Phase: {
            PhaseCmd c;
            std::memcpy(&c, payload.data(), std::min(payload.size(), sizeof c));
            m_phase = c.phase;
            m_planned = c.plannedPushes;
            m_report = PhaseReport{};
            if (c.perPush) {
                m_report.pushMaxUs.assign(m_planned, 0);
                m_report.pushCount.assign(m_planned, 0);
            }
            break;
        }
        case Cmd::Status: {
            StatusReply r{m_report.delivered, m_ready, m_lost};
            writeMsg(m_replyFd, type, &r, sizeof r);
            break;
        }
        case Cmd::Report: {
            const std::string s = encodeReport(m_report);
            writeMsg(m_replyFd, type, s.data(), s.size());
            break;
        }
        case Cmd::Quit:
            m_quit = true;
            break;
        }
        return true;
    }

    // ---- connecting
    void pump()
    {
        while (m_inFlight < m_cfg.maxInFlight && m_ready + m_inFlight < m_target) {
            if (!m_retry.empty()) {
                const uint32_t k = m_retry.front();
                m_retry.pop_front();
                start(k);
            } else if (m_nextStart < m_target) {
                start(m_nextStart++);
            } else {
                break;
            }
        }
        if (m_connecting && (m_ready >= m_target ||
                             (m_inFlight == 0 && m_retry.empty() && m_nextStart >= m_target))) {
            m_connecting = false;
            ConnectReply r{m_ready, m_failed, m_retriesTotal, m_lost, nowUs() - m_connectStartUs};
            writeMsg(m_replyFd, static_cast<uint32_t>(Cmd::Connect), &r, sizeof r);
        }
    }

    void start(uint32_t k)
    {
        Conn &c = m_conns[k];
        const uint32_t g = globalIndex(k);
        ++m_inFlight;
        c.state = State::Connecting;
        c.startMs = nowMs();
        c.in.clear();
        c.out.clear();
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) {
            handshakeFailed(k);
            return;
        }
        const int one = 1;
        setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // Source addresses spread over 127.0.1.1 .. 127.0.4.250: the port is
        // picked at connect() time per 4-tuple, so no per-address port limit.
        const uint32_t s = g % 1000;
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl((127u << 24) | ((1 + s / 250) << 8) | (1 + s % 250));
        sockaddr_in dst{};
        dst.sin_family = AF_INET;
        dst.sin_port = htons(m_cfg.port);
        inet_pton(AF_INET, m_cfg.host.c_str(), &dst.sin_addr);
        if (::bind(c.fd, reinterpret_cast<sockaddr *>(&src), sizeof src) < 0 ||
            (::connect(c.fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) < 0 &&
             errno != EINPROGRESS)) {
            handshakeFailed(k);
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = k;
        epoll_ctl(m_ep, EPOLL_CTL_ADD, c.fd, &ev);
    }

    void closeFd(Conn &c)
    {
        if (c.fd >= 0)
            ::close(c.fd);
        c.fd = -1;
        std::string().swap(c.in);
        std::string().swap(c.out);
    }

    void handshakeFailed(uint32_t k)
    {
        Conn &c = m_conns[k];
        closeFd(c);
        --m_inFlight;
        if (c.retries < m_cfg.maxRetries) {
            ++c.retries;
            ++m_retriesTotal;
            c.state = State::Idle;
            m_retry.push_back(k);
        } else {
            c.state = State::Closed;
            ++m_failed;
        }
    }

    void closed(uint32_t k)
    {
        Conn &c = m_conns[k];
        if (c.state == State::Ready) {
            closeFd(c);
            c.state = State::Closed;
            --m_ready;
            ++m_lost;
        } else if (c.state != State::Closed && c.state != State::Idle) {
            handshakeFailed(k);
        }
    }

    void expireHandshakes()
    {
        const uint32_t now = nowMs();
        for (uint32_t k = 0; k < m_nextStart && k < m_conns.size(); ++k) {
            const Conn &c = m_conns[k];
            if (c.state >= State::Connecting && c.state < State::Ready &&
                now - c.startMs > m_cfg.handshakeTimeoutMs)
                handshakeFailed(k);
        }
    }

    void markReady(uint32_t k)
    {
        m_conns[k].state = State::Ready;
        --m_inFlight;
        ++m_ready;
    }

    // ---- socket events
    void handle(uint32_t k, uint32_t events)
    {
        if (k >= m_conns.size())
            return;
        Conn &c = m_conns[k];
        if (c.fd < 0)
            return;
        if (c.state == State::Connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                handshakeFailed(k);
                return;
            }
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.u64 = k;
            epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
            c.state = State::WaitHttp;
            const uint32_t g = globalIndex(k);
            char req[512];
            const int n = std::snprintf(
                req, sizeof req,
                "GET /socket.io/?EIO=%d&transport=websocket&uuid=u%u&userid=u%u HTTP/1.1\r\n"
                "Host: %s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                m_cfg.eio, g, g, m_cfg.host.c_str(), m_cfg.port);
            sendRaw(k, std::string_view(req, static_cast<size_t>(n)));
            return;
        }
        if ((events & EPOLLOUT) && !c.out.empty()) {
            const ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN) {
                closed(k);
                return;
            }
            if (w > 0)
                c.out.erase(0, static_cast<size_t>(w));
            if (c.out.empty()) {
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u64 = k;
                epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
            }
        }
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            const ssize_t r = ::recv(c.fd, m_buf.data(), m_buf.size(), 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                closed(k);
                return;
            }
            if (r > 0)
                onData(k, std::string_view(m_buf.data(), static_cast<size_t>(r)));
        }
    }

    void onData(uint32_t k, std::string_view data)
    {
        Conn &c = m_conns[k];
        if (c.state == State::WaitHttp) {
            c.in.append(data);
            const size_t end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.in.size() > 16384)
                    handshakeFailed(k);
                return;
            }
            if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
                handshakeFailed(k);
                return;
            }
            c.state = State::WaitOpen;
            std::string rest = c.in.substr(end + 4);
            c.in.clear();
            if (!rest.empty())
                onData(k, rest);
            return;
        }
        std::string_view todo = data;
        if (!c.in.empty()) {
            c.in.append(data);
            todo = c.in;
        }
        size_t used = 0;
        while (true) {
            std::string_view s = todo.substr(used);
            if (s.size() < 2)
                break;
            const auto b0 = static_cast<uint8_t>(s[0]);
            const auto b1 = static_cast<uint8_t>(s[1]);
            uint64_t len = b1 & 0x7f;
            size_t head = 2;
            if (len == 126) {
                if (s.size() < 4)
                    break;
                len = (uint64_t(uint8_t(s[2])) << 8) | uint8_t(s[3]);
                head = 4;
            } else if (len == 127) {
                if (s.size() < 10)
                    break;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | uint8_t(s[2 + i]);
                head = 10;
            }
            if (b1 & 0x80)
                head += 4; // servers do not mask; skip a key if one comes
            if (len > (64u << 20)) {
                closed(k);
                return;
            }
            if (s.size() < head + len)
                break;
            used += head + len;
            const std::string_view payload = s.substr(head, len);
            const uint8_t opcode = b0 & 0x0f;
            if (!(b0 & 0x80)) { // fragmented messages: not produced by either server
                closed(k);
                return;
            }
            if (opcode == 1 || opcode == 2) {
                if (!onMessage(k, payload))
                    return;
            } else if (opcode == 8) {
                closed(k);
                return;
            } else if (opcode == 9) {
                sendFrame(k, 0x8a, payload);
            }
            if (m_conns[k].fd < 0)
                return;
        }
        Conn &cc = m_conns[k];
        if (!cc.in.empty()) {
            cc.in.erase(0, used);
        } else if (used < data.size()) {
            cc.in.assign(data.substr(used));
        }
    }

    // Returns false when the connection was closed.
    bool onMessage(uint32_t k, std::string_view m)
    {
        Conn &c = m_conns[k];
        if (m.empty())
            return true;
        switch (m[0]) {
        case '0':
            if (c.state == State::WaitOpen) {
                if (m_cfg.eio == 3 && m_pingIntervalMs == 0) {
                    uint64_t v = 0;
                    if (findNumber(m, "\"pingInterval\":", v) && v > 0) {
                        m_pingIntervalMs = static_cast<uint32_t>(v);
                        m_lastPingUs = nowUs();
                    }
                }
                c.state = State::WaitOk;
                std::string connect = "40" + m_cfg.nsp + ",";
                sendText(k, connect);
            }
            return true;
        case '2':
            sendText(k, "3");
            return true;
        case '1':
            closed(k);
            return false;
        case '4':
            break;
        default:
            return true;
        }
        if (m.size() < 2)
            return true;
        const char type = m[1];
        std::string_view body = m.substr(2);
        if (body.substr(0, m_cfg.nsp.size()) == m_cfg.nsp && body.size() > m_cfg.nsp.size() &&
            body[m_cfg.nsp.size()] == ',') {
            body.remove_prefix(m_cfg.nsp.size() + 1);
        } else if (!body.empty() && body[0] == '/') {
            return true; // another namespace (v2 root connect is "40")
        }
        switch (type) {
        case '2':
            if (body.starts_with("[\"push\",")) {
                onPush(k, body);
            } else if (body.starts_with("[\"ok\"") && c.state == State::WaitOk) {
                if (m_joinRoom) {
                    c.state = State::WaitJoin;
                    sendText(k, "42" + m_cfg.nsp + ",1[\"joinRoom\",\"" + m_room + "\"]");
                } else {
                    markReady(k);
                }
            }
            return true;
        case '3':
            if (c.state == State::WaitJoin) {
                if (body.find("\"status\":200") == std::string_view::npos) {
                    handshakeFailed(k);
                    return false;
                }
                markReady(k);
            }
            return true;
        case '4':
            if (c.state != State::Ready) {
                handshakeFailed(k);
                return false;
            }
            return true;
        case '1':
            closed(k);
            return false;
        default:
            return true;
        }
    }

    void onPush(uint32_t k, std::string_view body)
    {
        const uint64_t now = nowUs();
        const size_t at = body.find("\"bq\":[");
        if (at != std::string_view::npos) {
            uint64_t phase = 0, seq = 0, sent = 0;
            std::string_view s = body.substr(at);
            findNumber(s, "[", phase);
            s = s.substr(s.find(',') + 1);
            findNumber(s, "", seq);
            s = s.substr(s.find(',') + 1);
            findNumber(s, "", sent);
            if (phase == m_phase) {
                PhaseReport &r = m_report;
                const uint64_t lat = now > sent ? now - sent : 0;
                ++r.delivered;
                if (r.firstRecvUs == 0)
                    r.firstRecvUs = now;
                r.lastRecvUs = now;
                r.all.add(lat);
                const uint64_t third = m_planned ? std::min<uint64_t>(2, seq * 3 / m_planned) : 0;
                r.third[third].add(lat);
                if (seq < r.pushMaxUs.size()) {
                    r.pushMaxUs[seq] = std::max<uint32_t>(
                        r.pushMaxUs[seq],
                        static_cast<uint32_t>(std::min<uint64_t>(lat, 0xffffffffu)));
                    ++r.pushCount[seq];
                }
            } else {
                ++m_report.otherPhase;
            }
        }
        if (m_cfg.ack) {
            uint64_t id = 0;
            if (findNumber(body, "\"id\":", id)) {
                char ack[96];
                const int n = std::snprintf(ack, sizeof ack, "42%s,[\"ackPush\",{\"id\":%llu}]",
                                            m_cfg.nsp.c_str(), static_cast<unsigned long long>(id));
                sendText(k, std::string_view(ack, static_cast<size_t>(n)));
            }
        }
    }

    void clientPings(uint64_t now)
    {
        // EIO 3: the client pings. Spread the pings of all ready clients over the interval.
        const uint64_t intervalUs = uint64_t{m_pingIntervalMs} * 1000u / 2;
        if (m_conns.empty() || now <= m_lastPingUs)
            return;
        uint64_t due = (now - m_lastPingUs) * m_conns.size() / intervalUs;
        if (due == 0)
            return;
        m_lastPingUs = now;
        for (; due > 0; --due) {
            m_pingCursor = (m_pingCursor + 1) % m_conns.size();
            if (m_conns[m_pingCursor].state == State::Ready)
                sendText(static_cast<uint32_t>(m_pingCursor), "2");
        }
    }

    // ---- writing
    void sendText(uint32_t k, std::string_view text) { sendFrame(k, 0x81, text); }

    void sendFrame(uint32_t k, uint8_t b0, std::string_view payload)
    {
        char frame[512];
        std::string big;
        char *p = frame;
        const size_t head = payload.size() < 126 ? 6 : 8;
        if (head + payload.size() > sizeof frame) {
            big.resize(head + payload.size());
            p = big.data();
        }
        p[0] = static_cast<char>(b0);
        if (payload.size() < 126) {
            p[1] = static_cast<char>(0x80 | payload.size());
        } else {
            p[1] = static_cast<char>(0x80 | 126);
            p[2] = static_cast<char>((payload.size() >> 8) & 0xff);
            p[3] = static_cast<char>(payload.size() & 0xff);
        }
        std::memcpy(p + head - 4, &m_mask, 4);
        const auto *mk = reinterpret_cast<const uint8_t *>(&m_mask);
        for (size_t i = 0; i < payload.size(); ++i)
            p[head + i] = static_cast<char>(payload[i] ^ mk[i & 3]);
        sendRaw(k, std::string_view(p, head + payload.size()));
    }

    void sendRaw(uint32_t k, std::string_view bytes)
    {
        Conn &c = m_conns[k];
        if (c.fd < 0)
            return;
        if (!c.out.empty()) {
            c.out.append(bytes);
            return;
        }
        const ssize_t w = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
            return; // the read side sees the error and closes
        }
        const size_t done = w > 0 ? static_cast<size_t>(w) : 0;
        if (done < bytes.size()) {
            c.out.assign(bytes.substr(done));
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
            ev.data.u64 = k;
            epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
    }

    WorkerConfig m_cfg;
    int m_cmdFd;
    int m_replyFd;
    int m_ep = -1;
    bool m_quit = false;
    std::vector<char> m_buf;
    std::vector<Conn> m_conns;
    std::deque<uint32_t> m_retry;
    uint64_t m_startUs = nowUs();
    uint32_t m_mask = 0;
    // connecting
    bool m_connecting = false;
    bool m_joinRoom = false;
    std::string m_room;
    uint64_t m_connectStartUs = 0;
    uint32_t m_target = 0;
    uint32_t m_nextStart = 0;
    uint32_t m_inFlight = 0;
    uint32_t m_ready = 0;
    uint32_t m_failed = 0;
    uint32_t m_retriesTotal = 0;
    uint32_t m_lost = 0;
    // EIO 3 client pings
    uint32_t m_pingIntervalMs = 0;
    uint64_t m_lastPingUs = 0;
    size_t m_pingCursor = 0;
    // the current phase
    uint32_t m_phase = 0;
    uint32_t m_planned = 0;
    PhaseReport m_report;
};

} // namespace

int runWorker(const WorkerConfig &config, int cmdFd, int replyFd)
{
    Worker w(config, cmdFd, replyFd);
    return w.run();
}

} // namespace qpushbench
