#include "common.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <unistd.h>

namespace qpushbench {

uint64_t nowUs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

static bool writeAll(int fd, const char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                pollfd pfd{fd, POLLOUT, 0};
                ::poll(&pfd, 1, 1000);
                continue;
            }
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

static bool readAll(int fd, char *p, size_t n, uint64_t deadlineUs)
{
    while (n > 0) {
        const uint64_t now = nowUs();
        if (now >= deadlineUs)
            return false;
        pollfd pfd{fd, POLLIN, 0};
        const int pr = ::poll(&pfd, 1, static_cast<int>((deadlineUs - now) / 1000 + 1));
        if (pr <= 0)
            continue;
        const ssize_t r = ::read(fd, p, n);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

bool writeMsg(int fd, uint32_t type, const void *data, size_t len)
{
    uint32_t head[2] = {type, static_cast<uint32_t>(len)};
    return writeAll(fd, reinterpret_cast<const char *>(head), sizeof head) &&
           writeAll(fd, static_cast<const char *>(data), len);
}

bool readMsg(int fd, uint32_t &type, std::string &payload, int timeoutMs)
{
    const uint64_t deadline = nowUs() + static_cast<uint64_t>(timeoutMs) * 1000u;
    uint32_t head[2];
    if (!readAll(fd, reinterpret_cast<char *>(head), sizeof head, deadline))
        return false;
    type = head[0];
    payload.resize(head[1]);
    return readAll(fd, payload.data(), payload.size(), deadline + 10000000u);
}

template <typename T> static void put(std::string &s, const T &v)
{
    s.append(reinterpret_cast<const char *>(&v), sizeof v);
}
template <typename T> static void get(std::string_view &s, T &v)
{
    if (s.size() < sizeof v)
        return;
    std::memcpy(&v, s.data(), sizeof v);
    s.remove_prefix(sizeof v);
}

std::string encodeReport(const PhaseReport &r)
{
    std::string s;
    put(s, r.delivered);
    put(s, r.otherPhase);
    put(s, r.firstRecvUs);
    put(s, r.lastRecvUs);
    put(s, r.all);
    for (const auto &h : r.third)
        put(s, h);
    put(s, static_cast<uint64_t>(r.pushMaxUs.size()));
    s.append(reinterpret_cast<const char *>(r.pushMaxUs.data()), r.pushMaxUs.size() * 4);
    s.append(reinterpret_cast<const char *>(r.pushCount.data()), r.pushCount.size() * 4);
    return s;
}

PhaseReport decodeReport(std::string_view s)
{
    PhaseReport r;
    get(s, r.delivered);
    get(s, r.otherPhase);
    get(s, r.firstRecvUs);
    get(s, r.lastRecvUs);
    get(s, r.all);
    for (auto &h : r.third)
        get(s, h);
    uint64_t n = 0;
    get(s, n);
    if (s.size() >= n * 8) {
        r.pushMaxUs.resize(n);
        r.pushCount.resize(n);
        std::memcpy(r.pushMaxUs.data(), s.data(), n * 4);
        std::memcpy(r.pushCount.data(), s.data() + n * 4, n * 4);
    }
    return r;
}

bool findNumber(std::string_view text, std::string_view key, uint64_t &out)
{
    const size_t at = text.find(key);
    if (at == std::string_view::npos)
        return false;
    size_t i = at + key.size();
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
        ++i;
    uint64_t v = 0;
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
        v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
    if (i == start)
        return false;
    out = v;
    return true;
}

std::string base64(std::string_view in)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i < in.size()) {
        uint32_t v = uint8_t(in[i]) << 16;
        if (i + 1 < in.size())
            v |= uint8_t(in[i + 1]) << 8;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

} // namespace qpushbench
