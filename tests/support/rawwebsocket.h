// Minimal client side of RFC 6455 for load programs on raw non-blocking
// sockets (the stress test and the broadcast benchmark): writing small
// requests, masked client text frames, and taking server frames out of a
// receive buffer. Plain C++, no Qt: usable in forked child processes.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace qpush::testsupport {

// Writes everything or fails; only for small writes (a full socket buffer is
// treated as an error).
inline bool writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        size -= size_t(n);
    }
    return true;
}

// A masked client text frame (mask key 0: the payload stays as it is);
// payloads here are shorter than 126 bytes.
inline std::string clientFrame(std::string_view payload)
{
    std::string f;
    f.push_back(char(0x81));
    f.push_back(char(0x80 | payload.size()));
    f.append(4, '\0');
    f += payload;
    return f;
}

// Takes one complete server frame from `buf` at `pos`; false if incomplete.
inline bool takeFrame(const std::string &buf, size_t &pos, int &opcode, std::string_view &payload)
{
    const size_t avail = buf.size() - pos;
    if (avail < 2)
        return false;
    const auto *p = reinterpret_cast<const unsigned char *>(buf.data() + pos);
    size_t len = p[1] & 0x7f;
    size_t header = 2;
    if (len == 126) {
        if (avail < 4)
            return false;
        len = (size_t(p[2]) << 8) | p[3];
        header = 4;
    } else if (len == 127) {
        if (avail < 10)
            return false;
        len = 0;
        for (int i = 2; i < 10; ++i)
            len = (len << 8) | p[i];
        header = 10;
    }
    if (p[1] & 0x80)
        header += 4; // a server must not mask; tolerate it anyway
    if (avail < header + len)
        return false;
    opcode = p[0] & 0x0f;
    payload = std::string_view(buf.data() + pos + header, len);
    pos += header + len;
    return true;
}

} // namespace qpush::testsupport
