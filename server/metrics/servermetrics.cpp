#include "servermetrics.h"

#include "registry.h"

namespace qpush::metrics {

ServerMetrics::ServerMetrics(Registry &r)
{
    const char *protocols[2] = {"3", "4"};
    const char *transports[2] = {"polling", "websocket"};
    for (int v = 0; v < 2; ++v)
        for (int t = 0; t < 2; ++t)
            r.add(&handshakes[v][t], "qpush_engineio_handshakes_total",
                  "Engine.IO sessions opened, by protocol (EIO) and first transport.",
                  {{"protocol", protocols[v]}, {"transport", transports[t]}});
    handshakesRefused.touch({"rate_limited", "unknown_transport", "unsupported_protocol_version",
                             "bad_request", "bad_handshake_method"});
    r.add(&handshakesRefused, "qpush_engineio_handshakes_refused_total",
          "Engine.IO handshakes answered with an error, by reason.");
    r.add(&clientConnects, "qpush_socketio_connects_total",
          "Socket.IO clients admitted to a namespace.");
    r.add(&clientDisconnects, "qpush_socketio_disconnects_total",
          "Socket.IO clients gone from a namespace.");

    r.add(&pushesAccepted, "qpush_pushes_accepted_total", "Pushes accepted (stored) by this node.");
    pushesRefused.touch({"invalid", "not_found", "forbidden", "unavailable", "rate_limited"});
    r.add(&pushesRefused, "qpush_pushes_refused_total", "Pushes refused, by reason.");
    r.add(&deliveries, "qpush_push_deliveries_total",
          "Push events written to this node's clients (one per recipient).");
    r.add(&acks, "qpush_push_acks_total", "Push receipts (ackPush) received from clients.");
    r.add(&offlineStored, "qpush_offline_messages_stored_total",
          "Entries written to Android clients' offline lists.");
    r.add(&offlineDelivered, "qpush_offline_messages_delivered_total",
          "Offline messages sent to reconnecting Android clients.");

    r.add(&storeDuration, "qpush_store_operation_duration_seconds",
          "Store operations (a SQLite request, a Redis command) from submission to result, "
          "seconds.");
    r.add(&storeErrors, "qpush_store_errors_total", "Store operations that failed.");

    r.add(&loopLag, "qpush_event_loop_lag_seconds",
          "Lateness of the latest event-loop probe timer, seconds.");
    r.add(&loopLagDistribution, "qpush_event_loop_lag_distribution_seconds",
          "Lateness of the event-loop probe timer (every 250 ms), seconds.");

    limitsTripped.touch({"max_connections", "max_connections_per_ip", "descriptors",
                         "handshake_rate_per_ip", "max_client_buffer", "max_pending_sessions",
                         "max_early_packets", "client_event_rate", "max_rooms_per_message",
                         "max_rooms_per_client", "info_field_max_length", "auth_failure_limit"});
    r.add(&limitsTripped, "qpush_limits_tripped_total",
          "Times a security limit refused or cut something, by its configuration key.");
    r.add(&apiResponses, "qpush_api_responses_total", "REST API responses, by status code.");
}

} // namespace qpush::metrics
