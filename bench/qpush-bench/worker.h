// A client worker process: holds thousands of Socket.IO-over-websocket
// connections on one epoll loop with one compact struct per connection,
// and answers the parent's commands on a pipe.
#pragma once

#include <cstdint>
#include <string>

namespace qpushbench {

struct WorkerConfig
{
    uint32_t index = 0;   // this worker's number
    uint32_t workers = 1; // client g belongs to worker g % workers
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::string nsp = "/bench";
    int eio = 4;                // 4: Engine.IO v4 + Socket.IO v5; 3: EIO 3 + Socket.IO v2 protocol
    bool ack = true;            // emit ackPush for every push
    uint32_t maxInFlight = 128; // concurrent handshakes
    uint32_t handshakeTimeoutMs = 10000;
    uint32_t maxRetries = 3;
};

// Runs until the parent sends Quit or closes the pipe; returns the exit code.
int runWorker(const WorkerConfig &config, int cmdFd, int replyFd);

} // namespace qpushbench
