// The console's REST client (SPEC §4): one QNetworkAccessManager, HTTP
// Basic auth from the Session, typed requests (apitypes.h), and every
// failure as an ApiError in plain words with the HTTP status in the details.
// Calls are asynchronous ApiCall objects that can be cancelled; nothing
// here blocks the event loop.
//
// /api/auth/* needs a namespace's own password. A namespace session has it;
// an admin session gets it from namespace reads of servers that still return
// it, or from the user (setNamespacePassword). Without it a call fails with
// ApiError::needsNamespacePassword so the GUI can ask.
#pragma once

#include "apitypes.h"
#include "session.h"

#include <QHash>
#include <QJsonValue>
#include <QNetworkReply>
#include <QObject>
#include <QPointer>
#include <QUrlQuery>

#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace qpush::admin {

class CertificateTrust;

struct ApiError
{
    int httpStatus = 0; // 0: no HTTP answer (network, TLS, cancelled, local)
    QString message;    // plain words, for the user
    QString details;    // HTTP status, method and path, server text
    bool cancelled = false;
    bool needsNamespacePassword = false;
    QString namespaceKey; // with needsNamespacePassword
};

struct ApiReply
{
    QJsonValue json;
    std::optional<ApiError> error;
    bool ok() const { return !error.has_value(); }
    QJsonObject object() const { return json.toObject(); }
    QJsonArray array() const { return json.toArray(); }
};

// One request in flight. Deletes itself after finished().
class ApiCall : public QObject
{
    Q_OBJECT
public:
    explicit ApiCall(QObject *parent = nullptr) : QObject(parent) {}
    // Cancels: finished() comes with error.cancelled.
    void abort();
    bool isFinished() const { return m_finished; }
    // Calls `fn` with the reply, unless `context` is gone by then.
    template <typename F> ApiCall *then(QObject *context, F fn)
    {
        connect(this, &ApiCall::finished, context, fn);
        return this;
    }

Q_SIGNALS:
    void finished(const qpush::admin::ApiReply &reply);
    void progress(qint64 done, qint64 total);

private:
    friend class ApiClient;
    void finish(const ApiReply &reply);
    QPointer<QNetworkReply> m_reply;
    bool m_finished = false;
    bool m_tooLarge = false;
};

class ApiClient : public QObject
{
    Q_OBJECT
public:
    ApiClient(CertificateTrust *trust, QObject *parent = nullptr);
    ~ApiClient() override;

    void setSession(const Session &session);
    const Session &session() const { return m_session; }
    QNetworkAccessManager *network() const { return m_nam; }

    void setNamespacePassword(const QString &key, const QString &password);
    bool hasNamespacePassword(const QString &key) const;
    // Keeps the passwords of namespaces an older server returned.
    void learnPasswords(const QList<NamespaceInfo> &namespaces);
    // The `Server` header of the last reply ("" when the server sends none).
    QString serverSoftware() const { return m_serverSoftware; }

    // Checks the session's credentials (admin or namespace login).
    ApiCall *login();

    // Admin.
    ApiCall *listNamespaces(const NamespaceQuery &query);
    ApiCall *deleteNamespace(const QString &key, bool flushAll);
    ApiCall *clearRealtimeData(const QString &key);
    ApiCall *clearLegacyClients(const QString &key);
    // Admin: /api/admin/namespace/save; namespace session: its own namespace.
    ApiCall *saveNamespace(const NamespaceChanges &changes);
    // Namespace session: GET /api/auth/namespace; admin: the list filtered to the key.
    ApiCall *getNamespace(const QString &key);

    // Online reports (admin route for admins, so no namespace password is needed).
    ApiCall *onlineSummary(const QString &nsp, bool detail);
    ApiCall *roomsOnline(const QString &nsp, const QStringList &rooms);

    // /api/auth/* (namespace credentials).
    ApiCall *messageStats(const QString &nsp);
    ApiCall *reports(const QString &nsp, int page, int size);
    ApiCall *report(const QString &nsp, qint64 id, bool ackDetail);
    ApiCall *push(const QString &nsp, const PushRequest &request);
    ApiCall *client(const QString &nsp, const QString &clientId);
    ApiCall *saveClient(const QString &nsp, const ClientChanges &changes);
    ApiCall *roomApns(const QString &nsp, const QString &room, const QStringList &add,
                      const QStringList &remove);
    ApiCall *roomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage);

    // Plain words for an HTTP status.
    static QString statusWords(int status);
    // Answers above this size are cut off (a hostile or broken server).
    static constexpr qint64 MaxReplyBytes = 64 * 1024 * 1024;

private:
    struct Credentials
    {
        QString user, password;
    };
    std::optional<Credentials> namespaceCredentials(const QString &nsp) const;
    Credentials adminCredentials() const { return {m_session.user, m_session.password}; }
    ApiCall *send(const QByteArray &method, const QString &path, const QUrlQuery &query,
                  const std::optional<QJsonObject> &body, const Credentials &credentials);
    ApiCall *authCall(const QByteArray &method, const QString &nsp, const QString &path,
                      const QUrlQuery &query, const std::optional<QJsonObject> &body);
    ApiCall *failNow(const ApiError &error);
    void handleFinished(ApiCall *call, QNetworkReply *reply, const QString &what);

    CertificateTrust *m_trust;
    QNetworkAccessManager *m_nam;
    Session m_session;
    QHash<QString, QString> m_namespacePasswords;
    QString m_serverSoftware;
};

} // namespace qpush::admin

Q_DECLARE_METATYPE(qpush::admin::ApiReply)
