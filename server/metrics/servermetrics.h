// The instruments of qpush-server, one object owned by the composition root
// (app/) and handed to each layer through its options (a null pointer: not
// counted, e.g. in unit tests). Call sites record with one line:
//   if (auto *m = m_options.metrics) m->deliveries.inc(n);
// Names, types and labels are listed in docs/operations.md ("Metrics").
#pragma once

#include "instruments.h"

namespace qpush::metrics {

class Registry;

struct ServerMetrics
{
    // Registers every instrument below in `registry`.
    explicit ServerMetrics(Registry &registry);
    ServerMetrics(const ServerMetrics &) = delete;
    ServerMetrics &operator=(const ServerMetrics &) = delete;

    // Engine.IO sessions opened, by protocol (EIO 3/4) and first transport.
    Counter handshakes[2][2]; // [v4][websocket]
    void countHandshake(bool v4, bool websocket)
    {
        handshakes[v4 ? 1 : 0][websocket ? 1 : 0].inc();
    }
    // Handshakes answered with an error: rate_limited, unknown_transport,
    // unsupported_protocol_version, bad_request, bad_handshake_method.
    CounterVec handshakesRefused{"reason", 16};

    // Socket.IO clients admitted to / gone from a namespace (push gateway).
    Counter clientConnects;
    Counter clientDisconnects;

    // Pushes (REST and the clients' push event) stored and delivered; refused
    // ones by reason (invalid, not_found, forbidden, unavailable, ...).
    Counter pushesAccepted;
    CounterVec pushesRefused{"reason", 16};
    Counter deliveries;       // sockets a push was written to (this node's)
    Counter acks;             // ackPush receipts received from clients
    Counter offlineStored;    // Android offline list entries written
    Counter offlineDelivered; // offline messages sent to reconnecting clients

    // Store: one unit of work of the backend (a SQLite request, a Redis
    // command), from submission to its result; failures counted apart.
    Histogram storeDuration{
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}};
    Counter storeErrors;
    void storeOperation(qint64 nanoseconds, bool failed)
    {
        storeDuration.observe(double(nanoseconds) / 1e9);
        if (failed)
            storeErrors.inc();
    }

    // Event-loop lag (LoopLagProbe).
    Gauge loopLag;
    Histogram loopLagDistribution{{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};

    // A security limit refused or cut something, by the configuration key
    // that sets it (max_connections, handshake_rate_per_ip, ...).
    CounterVec limitsTripped{"limit", 32};

    // REST responses by status code (the access log's requests).
    CounterVec apiResponses{"code", 32};
};

} // namespace qpush::metrics
