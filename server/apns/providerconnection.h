// One long-lived HTTP/2 connection to APNs for one configuration (SPEC §8):
// its own QNetworkAccessManager, so two teams' tokens or two client
// certificates never share a connection; many concurrent streams, capped;
// a bounded queue (a full queue answers at once, nothing is dropped
// silently); retries of 429 / 5xx / a lost connection with backoff; a
// deadline of its own on every request, because Qt 6.4 was seen to keep a
// request pending for 40 s and more when the server refuses the TLS
// handshake. Every submitted notification gets exactly one final answer.
#pragma once

#include "configuration.h"
#include "outcome.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QObject>
#include <QSet>
#include <QSslCertificate>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

class QNetworkReply;

namespace qpush::apns {

class Jwt;

struct Notification
{
    QString deviceToken;
    QByteArray payload;    ///< the APNs JSON body
    QByteArray apnsId;     ///< `apns-id` (a UUID), empty: APNs picks one
    QByteArray collapseId; ///< `apns-collapse-id`, empty: none
    qint64 expiration = 0; ///< `apns-expiration`, UNIX seconds (0: deliver once or never)
};

struct ConnectionOptions
{
    Endpoint endpoint;
    QList<QSslCertificate> extraCaCertificates; ///< `apns_ca_file`
    int maxInFlight = 100;
    int maxQueued = 100000;
    int maxAttempts = 5;   ///< the first try and 4 retries
    int backoffMs = 500;   ///< doubled per retry
    int timeoutMs = 10000; ///< per attempt: transfer timeout and own deadline
    int tokenRefreshSeconds = 2400;
};

class ProviderConnection : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const Outcome &)>;
    enum class State { Idle, Connecting, Connected, Failed };

    ProviderConnection(Configuration configuration, ConnectionOptions options,
                       QObject *parent = nullptr);
    ~ProviderConnection() override;

    /// Queues one notification; `done` runs once, later (never inside submit).
    void submit(Notification notification, Done done);

    const Configuration &configuration() const { return m_configuration; }
    State state() const { return m_state; }
    qsizetype queued() const { return qsizetype(m_queue.size()); }
    int inFlight() const { return m_inFlight; }
    bool isIdle() const { return m_queue.empty() && m_inFlight == 0 && m_waiting == 0; }
    /// Provider tokens signed by this connection (token auth).
    qint64 tokenSigns() const;

Q_SIGNALS:
    void answered(const qpush::apns::Outcome &outcome);
    void tokenSigned();
    void idle();

private:
    struct Pending
    {
        Notification notification;
        Done done;
        int attempts = 0;
        bool resigned = false;
        QByteArray token;
    };
    using PendingPtr = std::shared_ptr<Pending>;

    void pump();
    void start(const PendingPtr &p);
    void onFinished(QNetworkReply *reply, const PendingPtr &p, bool timedOut);
    void retryLater(const PendingPtr &p, const Outcome &last);
    void finish(const PendingPtr &p, const Outcome &outcome);
    void failQueued(const Outcome &outcome);
    QByteArray currentToken();
    void checkIdle();
    void sweepDeadlines();

    Configuration m_configuration;
    ConnectionOptions m_options;
    std::unique_ptr<Jwt> m_jwt;
    QString m_configurationError;
    QNetworkAccessManager m_nam;
    QNetworkRequest m_base;
    std::deque<PendingPtr> m_queue;
    int m_inFlight = 0;
    int m_waiting = 0; ///< in backoff
    State m_state = State::Idle;
    bool m_warm = false; ///< an HTTP answer came over the current connection
    QElapsedTimer m_clock;
    QTimer m_sweep;
    QHash<QNetworkReply *, qint64> m_deadlines; ///< in flight: when to give up
    QSet<QNetworkReply *> m_timedOut;           ///< aborted by the deadline
};

} // namespace qpush::apns
