// Shared pieces of qpush-bench: clock, pipe messages between the parent
// (scenario driver) and the client worker processes, small parsing helpers.
#pragma once

#include "histogram.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qpushbench {

// CLOCK_MONOTONIC in µs: one clock for every process of the run, so the
// driver's send time and a worker's receive time compare directly.
uint64_t nowUs();

enum class Cmd : uint32_t {
    Connect = 1, // ConnectCmd: reach a number of ready clients
    Phase = 2,   // PhaseCmd: start counting deliveries of a new phase
    Status = 3,  // -> StatusReply
    Report = 4,  // -> PhaseReport of the current phase
    Quit = 5,
};

struct ConnectCmd
{
    uint32_t target = 0;   // ready clients wanted in this worker
    uint32_t joinRoom = 0; // 1: emit joinRoom(room) and wait for its ack
    char room[64] = {};
};

struct ConnectReply
{
    uint32_t ready = 0;
    uint32_t failed = 0; // gave up after retries
    uint32_t retries = 0;
    uint32_t lost = 0; // ready clients the server closed since start
    uint64_t elapsedUs = 0;
};

struct PhaseCmd
{
    uint32_t phase = 0;
    uint32_t plannedPushes = 0; // pushes the driver means to send (per-push table size)
    uint32_t perPush = 0;       // 1: keep the last delivery time of every push
};

struct StatusReply
{
    uint64_t delivered = 0; // deliveries of the current phase
    uint32_t ready = 0;
    uint32_t lost = 0;
};

// Phase figures of one worker. Latencies are send (driver) -> receive (worker).
struct PhaseReport
{
    uint64_t delivered = 0;
    uint64_t otherPhase = 0; // pushes of an earlier phase that arrived late
    uint64_t firstRecvUs = 0;
    uint64_t lastRecvUs = 0;
    Histogram all;
    Histogram third[3];              // by position of the push in the phase
    std::vector<uint32_t> pushMaxUs; // per push: latency of its last delivery
    std::vector<uint32_t> pushCount; // per push: deliveries
};

// Framed messages over a pipe: u32 type, u32 length, payload.
bool writeMsg(int fd, uint32_t type, const void *data, size_t len);
bool readMsg(int fd, uint32_t &type, std::string &payload, int timeoutMs);

std::string encodeReport(const PhaseReport &r);
PhaseReport decodeReport(std::string_view s);

// Parses the unsigned integer right after `key` in text, or returns false.
bool findNumber(std::string_view text, std::string_view key, uint64_t &out);

std::string base64(std::string_view in);

} // namespace qpushbench
