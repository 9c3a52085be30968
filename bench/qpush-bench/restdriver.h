// Drives pushes through the REST API at a fixed rate over keep-alive
// HTTP/1.1 connections (one request in flight per connection), on one
// epoll loop in the parent process.
#pragma once

#include "histogram.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qpushbench {

struct DriverResult
{
    uint64_t planned = 0;
    uint64_t sent = 0;
    uint64_t ok = 0;
    uint64_t errors = 0;
    uint64_t expected = 0; // sum of expectAckCount
    uint64_t startUs = 0;  // the phase's time zero (first push due)
    uint64_t firstSendUs = 0;
    uint64_t lastSendUs = 0;
    uint64_t lastReplyUs = 0;
    Histogram reply; // request written -> response read
    Histogram lag;   // scheduled -> written (driver behind schedule)
    std::string firstError;
};

class RestDriver
{
public:
    RestDriver(std::string host, uint16_t port, std::string basicAuth, uint32_t connections);
    ~RestDriver();
    bool open(std::string &error);
    // Sends rate*seconds pushes, the i-th at start + i/rate; `room(i)` names
    // its room. Returns when every reply came or at the time limit.
    DriverResult run(uint32_t phase, double rate, double seconds,
                     const std::function<std::string(uint64_t)> &room);

private:
    struct Conn
    {
        int fd = -1;
        bool busy = false;
        uint64_t sentUs = 0;
        std::string in;
        std::string out;
    };
    bool connectOne(Conn &c);
    void onReadable(Conn &c, DriverResult &r);

    std::string m_host;
    uint16_t m_port;
    std::string m_auth;
    int m_ep = -1;
    std::vector<Conn> m_conns;
};

} // namespace qpushbench
