#include "restdriver.h"

#include "common.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace qpushbench {

RestDriver::RestDriver(std::string host, uint16_t port, std::string basicAuth, uint32_t connections)
    : m_host(std::move(host)), m_port(port), m_auth(base64(basicAuth)), m_conns(connections)
{
}

RestDriver::~RestDriver()
{
    for (auto &c : m_conns)
        if (c.fd >= 0)
            ::close(c.fd);
    if (m_ep >= 0)
        ::close(m_ep);
}

bool RestDriver::connectOne(Conn &c)
{
    if (c.fd >= 0)
        ::close(c.fd);
    c = Conn{};
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0)
        return false;
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(m_port);
    inet_pton(AF_INET, m_host.c_str(), &dst.sin_addr);
    if (::connect(c.fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) < 0)
        return false;
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = &c;
    return epoll_ctl(m_ep, EPOLL_CTL_ADD, c.fd, &ev) == 0;
}

bool RestDriver::open(std::string &error)
{
    m_ep = epoll_create1(EPOLL_CLOEXEC);
    for (auto &c : m_conns) {
        if (!connectOne(c)) {
            error = "cannot connect to the REST API at " + m_host + ":" + std::to_string(m_port);
            return false;
        }
    }
    return true;
}

void RestDriver::onReadable(Conn &c, DriverResult &r)
{
    char buf[16384];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        if (c.busy) {
            ++r.errors;
            if (r.firstError.empty())
                r.firstError = "connection closed by the server";
        }
        connectOne(c);
        return;
    }
    if (n < 0)
        return;
    c.in.append(buf, static_cast<size_t>(n));
    while (true) {
        const size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos)
            return;
        const std::string_view head(c.in.data(), end);
        uint64_t length = 0;
        bool haveLength = false;
        bool closeAfter = false;
        size_t pos = 0;
        while (pos < head.size()) {
            size_t eol = head.find("\r\n", pos);
            if (eol == std::string_view::npos)
                eol = head.size();
            const std::string_view line = head.substr(pos, eol - pos);
            if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0)
                haveLength = findNumber(line.substr(15), "", length);
            if (line.size() > 11 && strncasecmp(line.data(), "connection:", 11) == 0 &&
                line.find("close") != std::string_view::npos)
                closeAfter = true;
            pos = eol + 2;
        }
        if (!haveLength)
            length = 0;
        if (c.in.size() < end + 4 + length)
            return;
        const std::string body = c.in.substr(end + 4, length);
        const bool okStatus = c.in.compare(0, 12, "HTTP/1.1 200") == 0;
        c.in.erase(0, end + 4 + length);
        const uint64_t now = nowUs();
        if (c.busy) {
            c.busy = false;
            r.reply.add(now - c.sentUs);
            r.lastReplyUs = now;
            uint64_t expect = 0;
            if (okStatus && findNumber(body, "\"expectAckCount\":", expect)) {
                ++r.ok;
                r.expected += expect;
            } else {
                ++r.errors;
                if (r.firstError.empty())
                    r.firstError = std::string(head.substr(0, head.find("\r\n"))) + " " + body;
            }
        }
        if (closeAfter) {
            connectOne(c);
            return;
        }
    }
}

DriverResult RestDriver::run(uint32_t phase, double rate, double seconds,
                             const std::function<std::string(uint64_t)> &room)
{
    DriverResult r;
    r.planned = static_cast<uint64_t>(std::llround(rate * seconds));
    const double stepUs = 1e6 / rate;
    const uint64_t start = nowUs() + 2000;
    r.startUs = start;
    const uint64_t hardEnd = start + static_cast<uint64_t>(seconds * 1.5e6) + 2000000u;
    std::vector<Conn *> idle;
    for (auto &c : m_conns)
        if (!c.busy)
            idle.push_back(&c);
    uint64_t seq = 0;
    size_t busy = 0;
    epoll_event events[256];
    const std::string prefix =
        "POST /api/auth/push HTTP/1.1\r\nHost: " + m_host + ":" + std::to_string(m_port) +
        "\r\nAuthorization: Basic " + m_auth +
        "\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: ";
    while ((seq < r.planned || busy > 0) && nowUs() < hardEnd) {
        uint64_t now = nowUs();
        while (seq < r.planned && !idle.empty()) {
            const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(seq) * stepUs);
            if (due > now)
                break;
            Conn *c = idle.back();
            idle.pop_back();
            char body[256];
            now = nowUs();
            const int bn = std::snprintf(
                body, sizeof body, "{\"room\":\"%s\",\"pushData\":{\"bq\":[%u,%llu,%llu]}}",
                room(seq).c_str(), phase, static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(now));
            std::string req = prefix + std::to_string(bn) + "\r\n\r\n" +
                              std::string(body, static_cast<size_t>(bn));
            r.lag.add(now - due);
            if (r.firstSendUs == 0)
                r.firstSendUs = now;
            r.lastSendUs = now;
            c->busy = true;
            c->sentUs = now;
            ++r.sent;
            ++busy;
            size_t off = 0;
            while (off < req.size()) {
                const ssize_t w = ::send(c->fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
                if (w <= 0) {
                    if (w < 0 && errno == EINTR)
                        continue;
                    if (w < 0 && errno == EAGAIN) {
                        pollfd p{c->fd, POLLOUT, 0};
                        ::poll(&p, 1, 100);
                        continue;
                    }
                    break;
                }
                off += static_cast<size_t>(w);
            }
            ++seq;
        }
        int timeout = 20;
        if (seq < r.planned && !idle.empty()) {
            const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(seq) * stepUs);
            now = nowUs();
            timeout = due > now ? static_cast<int>((due - now) / 1000) : 0;
        }
        const int n = epoll_wait(m_ep, events, 256, timeout);
        for (int i = 0; i < n; ++i) {
            Conn *c = static_cast<Conn *>(events[i].data.ptr);
            const bool wasBusy = c->busy;
            onReadable(*c, r);
            if (wasBusy && !c->busy) {
                --busy;
                idle.push_back(c);
            }
        }
    }
    return r;
}

} // namespace qpushbench
