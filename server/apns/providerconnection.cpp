#include "providerconnection.h"

#include "jwt.h"
#include "logging.h"

#include <QDateTime>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>

namespace qpush::apns {

namespace {

constexpr qint64 kMaxAnswerBytes = 64 * 1024;
constexpr int kMaxBackoffMs = 8000;
constexpr qsizetype kMaxDeviceTokenLength = 200;

bool isHexToken(const QString &token)
{
    if (token.isEmpty() || token.size() > kMaxDeviceTokenLength)
        return false;
    for (QChar c : token) {
        const char16_t u = c.unicode();
        if (!((u >= '0' && u <= '9') || (u >= 'a' && u <= 'f') || (u >= 'A' && u <= 'F')))
            return false;
    }
    return true;
}

} // namespace

ProviderConnection::ProviderConnection(Configuration configuration, ConnectionOptions options,
                                       QObject *parent)
    : QObject(parent), m_configuration(std::move(configuration)), m_options(std::move(options))
{
    if (m_configuration.usesToken()) {
        m_jwt = Jwt::create(m_configuration.tokenKeyPem, m_configuration.keyId,
                            m_configuration.teamId, &m_configurationError);
        if (m_jwt)
            m_jwt->setRefreshSeconds(m_options.tokenRefreshSeconds);
    }
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setProtocol(QSsl::TlsV1_2OrLater);
    if (!m_options.extraCaCertificates.isEmpty())
        ssl.addCaCertificates(m_options.extraCaCertificates);
    if (!m_configuration.usesToken()) {
        ssl.setLocalCertificate(m_configuration.certificate);
        ssl.setPrivateKey(m_configuration.privateKey);
    }
    ssl.setAllowedNextProtocols({QSslConfiguration::ALPNProtocolHTTP2});
    m_base.setSslConfiguration(ssl);
    m_clock.start();
    m_sweep.setInterval(250);
    connect(&m_sweep, &QTimer::timeout, this, &ProviderConnection::sweepDeadlines);
    m_base.setAttribute(QNetworkRequest::Http2AllowedAttribute, true);
    m_base.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                        QNetworkRequest::ManualRedirectPolicy);
    m_base.setTransferTimeout(m_options.timeoutMs);
    m_base.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!m_configuration.topic.isEmpty())
        m_base.setRawHeader("apns-topic", m_configuration.topic.toUtf8());
    m_base.setRawHeader("apns-push-type", "alert");
    m_base.setRawHeader("apns-priority", "10");
}

ProviderConnection::~ProviderConnection()
{
    // Replies answer nobody once their connection is gone: the offline job
    // that asked is redone after its lease.
    const auto replies = m_nam.findChildren<QNetworkReply *>();
    for (QNetworkReply *reply : replies) {
        reply->disconnect(this);
        reply->abort();
    }
}

qint64 ProviderConnection::tokenSigns() const
{
    return m_jwt ? m_jwt->signCount() : 0;
}

void ProviderConnection::submit(Notification notification, Done done)
{
    auto p = std::make_shared<Pending>();
    p->notification = std::move(notification);
    p->done = std::move(done);
    Outcome refused;
    if (!m_configurationError.isEmpty()) {
        refused.reason = m_configurationError;
    } else if (!isHexToken(p->notification.deviceToken)) {
        refused.clearToken = true;
        refused.reason = QStringLiteral("BadDeviceToken");
    } else if (qsizetype(m_queue.size()) >= m_options.maxQueued) {
        refused.reason = QStringLiteral("queue full (%1 notifications waiting for APNs)")
                             .arg(m_options.maxQueued);
    } else {
        m_queue.push_back(std::move(p));
        QMetaObject::invokeMethod(this, &ProviderConnection::pump, Qt::QueuedConnection);
        return;
    }
    ++m_waiting; // answered later, never inside submit
    QMetaObject::invokeMethod(
        this,
        [this, p, refused] {
            --m_waiting;
            finish(p, refused);
            checkIdle();
        },
        Qt::QueuedConnection);
}

void ProviderConnection::pump()
{
    // Until an answer came over the connection, one request opens it: Qt
    // would otherwise open several TCP connections before ALPN says h2.
    const int cap = m_warm ? m_options.maxInFlight : 1;
    while (m_inFlight < cap && !m_queue.empty()) {
        PendingPtr p = std::move(m_queue.front());
        m_queue.pop_front();
        start(p);
    }
}

QByteArray ProviderConnection::currentToken()
{
    const qint64 before = m_jwt->signCount();
    QByteArray token = m_jwt->token(QDateTime::currentSecsSinceEpoch());
    if (m_jwt->signCount() != before)
        Q_EMIT tokenSigned();
    return token;
}

void ProviderConnection::start(const PendingPtr &p)
{
    ++p->attempts;
    ++m_inFlight;
    QNetworkRequest request(m_base);
    QUrl url;
    url.setScheme(QStringLiteral("https"));
    url.setHost(m_options.endpoint.host);
    url.setPort(m_options.endpoint.port);
    url.setPath(QStringLiteral("/3/device/") + p->notification.deviceToken);
    request.setUrl(url);
    if (m_jwt) {
        p->token = currentToken();
        request.setRawHeader("authorization", "bearer " + p->token);
    }
    if (!p->notification.apnsId.isEmpty())
        request.setRawHeader("apns-id", p->notification.apnsId);
    if (!p->notification.collapseId.isEmpty())
        request.setRawHeader("apns-collapse-id", p->notification.collapseId);
    request.setRawHeader("apns-expiration", QByteArray::number(p->notification.expiration));
    if (!m_warm)
        m_state = State::Connecting;

    QNetworkReply *reply = m_nam.post(request, p->notification.payload);
    m_deadlines.insert(reply, m_clock.elapsed() + m_options.timeoutMs + 1000);
    if (!m_sweep.isActive())
        m_sweep.start();
    connect(reply, &QNetworkReply::finished, this, [this, reply, p] {
        const bool timedOut = m_timedOut.remove(reply);
        m_deadlines.remove(reply);
        onFinished(reply, p, timedOut);
    });
}

void ProviderConnection::sweepDeadlines()
{
    // One timer for all requests instead of one per request.
    const qint64 now = m_clock.elapsed();
    QList<QNetworkReply *> late;
    for (auto it = m_deadlines.cbegin(); it != m_deadlines.cend(); ++it)
        if (it.value() <= now)
            late.append(it.key());
    for (QNetworkReply *reply : std::as_const(late)) {
        if (!m_deadlines.remove(reply))
            continue; // finished meanwhile
        m_timedOut.insert(reply);
        reply->abort();
    }
    if (m_deadlines.isEmpty())
        m_sweep.stop();
}

void ProviderConnection::onFinished(QNetworkReply *reply, const PendingPtr &p, bool timedOut)
{
    --m_inFlight;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status > 0) {
        m_warm = true;
        m_state = State::Connected;
        const Classified c = classifyResponse(status, reply->read(kMaxAnswerBytes));
        switch (c.verdict) {
        case Verdict::Final:
            finish(p, c.outcome);
            break;
        case Verdict::Retry:
            if (p->attempts < m_options.maxAttempts)
                retryLater(p, c.outcome);
            else
                finish(p, c.outcome);
            break;
        case Verdict::ResignAndRetry:
            if (m_jwt && !p->resigned) {
                // One retry, with a token other than the rejected one.
                p->resigned = true;
                const qint64 before = m_jwt->signCount();
                const bool renewed =
                    m_jwt->renewAfterRejection(p->token, QDateTime::currentSecsSinceEpoch());
                if (m_jwt->signCount() != before)
                    Q_EMIT tokenSigned();
                if (renewed) {
                    m_queue.push_front(p);
                    break;
                }
            }
            finish(p, c.outcome);
            break;
        }
    } else {
        const QNetworkReply::NetworkError error = reply->error();
        Outcome o;
        bool retry = false;
        if (timedOut || error == QNetworkReply::OperationCanceledError ||
            error == QNetworkReply::TimeoutError) {
            o.reason = QStringLiteral("no answer from APNs within %1 s (connection or TLS "
                                      "handshake stalled)")
                           .arg((m_options.timeoutMs + 999) / 1000);
        } else if (error == QNetworkReply::SslHandshakeFailedError) {
            o.reason = QStringLiteral("TLS handshake with APNs failed: ") + reply->errorString();
        } else {
            o.reason = QStringLiteral("connection to APNs failed: ") + reply->errorString();
            retry = true;
        }
        const bool wasWarm = m_warm;
        m_warm = false;
        if (retry && p->attempts < m_options.maxAttempts) {
            retryLater(p, o);
        } else {
            m_state = State::Failed;
            qCWarning(lcApns).noquote() << "APNs entry" << m_configuration.name << "to"
                                        << m_options.endpoint.host << ':' << o.reason;
            finish(p, o);
            // Nothing answers over this connection: the notifications behind
            // this one get the same answer now instead of one deadline each.
            if (!wasWarm)
                failQueued(o);
            if (m_inFlight == 0)
                m_nam.clearConnectionCache();
        }
    }
    pump();
    checkIdle();
}

void ProviderConnection::retryLater(const PendingPtr &p, const Outcome &last)
{
    Q_UNUSED(last);
    ++m_waiting;
    const int delay = qMin(kMaxBackoffMs, m_options.backoffMs << qMin(p->attempts - 1, 8));
    QTimer::singleShot(delay, this, [this, p] {
        --m_waiting;
        m_queue.push_front(p);
        pump();
    });
}

void ProviderConnection::finish(const PendingPtr &p, const Outcome &outcome)
{
    Q_EMIT answered(outcome);
    Done done = std::move(p->done);
    if (done)
        done(outcome);
}

void ProviderConnection::failQueued(const Outcome &outcome)
{
    std::deque<PendingPtr> queue;
    queue.swap(m_queue);
    for (const PendingPtr &p : queue)
        finish(p, outcome);
}

void ProviderConnection::checkIdle()
{
    if (isIdle())
        Q_EMIT idle();
}

} // namespace qpush::apns
