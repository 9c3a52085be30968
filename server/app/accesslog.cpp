#include "accesslog.h"

#include "api/basicauth.h"

#include <QElapsedTimer>

Q_LOGGING_CATEGORY(lcAccess, "qpush.access")

namespace qpush {

namespace {
bool secretName(QByteArray name)
{
    name = name.toLower();
    for (const char *word :
         {"pass", "secret", "token", "auth", "sig", "key", "cookie", "credential"})
        if (name.contains(word))
            return true;
    return false;
}
} // namespace

QByteArray redactedTarget(const QByteArray &target)
{
    const qsizetype q = target.indexOf('?');
    if (q < 0)
        return target;
    QByteArray out = target.first(q + 1);
    const QList<QByteArray> parts = target.sliced(q + 1).split('&');
    for (qsizetype i = 0; i < parts.size(); ++i) {
        if (i)
            out += '&';
        const qsizetype eq = parts[i].indexOf('=');
        const QByteArray name = eq < 0 ? parts[i] : parts[i].first(eq);
        if (eq >= 0 && secretName(name))
            out += name + "=***";
        else
            out += parts[i];
    }
    return out;
}

void logResponse(net::Responder &responder, const http::Request &request,
                 const QHostAddress &client, metrics::ServerMetrics *metrics)
{
    const bool log = lcAccess().isInfoEnabled();
    if (!log && !metrics)
        return;
    QElapsedTimer clock;
    clock.start();
    // Only what the line needs is kept: the request may be gone by the time
    // an asynchronous handler answers.
    QByteArray line;
    if (log) {
        // Control characters of a hostile target stay out of the log.
        QByteArray target = redactedTarget(request.target.left(512));
        for (char &c : target)
            if (uchar(c) < 0x20 || uchar(c) == 0x7f)
                c = '?';
        line = request.method.left(16) + ' ' + target;
    }
    // /api/auth/ calls authenticate as their namespace, /api/admin/ ones as the admin.
    QByteArray user;
    if (log)
        if (const auto credentials = api::parseBasicAuth(request.header("authorization")))
            user = (request.path.startsWith("/api/auth/") ? " ns=" : " user=") +
                   credentials->user.toUtf8().left(128);
    for (char &c : user)
        if (uchar(c) < 0x20 || uchar(c) == 0x7f)
            c = '?';
    responder.onRespond([clock, line = std::move(line), user = std::move(user), client,
                         metrics](int status, qsizetype bytes) {
        if (metrics)
            metrics->apiResponses.inc(QByteArray::number(status));
        if (!lcAccess().isInfoEnabled())
            return;
        qCInfo(lcAccess).noquote().nospace()
            << line << " status=" << status << " bytes=" << bytes
            << " ms=" << QString::number(double(clock.nsecsElapsed()) / 1e6, 'f', 1)
            << " ip=" << client.toString() << user;
    });
}

} // namespace qpush
