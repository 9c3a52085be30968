// A tiny HTTP/1.1 server on 127.0.0.1 (free port) for tests of outgoing
// requests (webhooks): it records every request it receives and answers each
// with the status and body the test set, or not at all (a hung third party),
// or by closing the connection. Header-only; one request per connection.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QMap>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

namespace qpush::test {

struct StubRequest
{
    QByteArray method;
    QByteArray target;                    ///< path and query, as sent
    QMap<QByteArray, QByteArray> headers; ///< lower-case names
    QByteArray body;
};

class HttpStub : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Answer, Hang, Close };

    explicit HttpStub(QObject *parent = nullptr) : QObject(parent)
    {
        connect(&m_server, &QTcpServer::newConnection, this, &HttpStub::accept);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path = QStringLiteral("/")) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(port()).arg(path);
    }

    void setAnswer(int status, const QByteArray &body = {},
                   const QByteArray &contentType = "application/json")
    {
        m_mode = Mode::Answer;
        m_status = status;
        m_body = body;
        m_contentType = contentType;
    }
    void setMode(Mode mode) { m_mode = mode; }

    const QList<StubRequest> &requests() const { return m_requests; }
    /// Connections the client closed (a hung request given up on).
    int closedByPeer() const { return m_closedByPeer; }

Q_SIGNALS:
    void requestReceived();

private:
    void accept()
    {
        while (QTcpSocket *s = m_server.nextPendingConnection()) {
            s->setParent(this);
            connect(s, &QTcpSocket::readyRead, this, [this, s] { read(s); });
            connect(s, &QTcpSocket::disconnected, this, [this, s] {
                if (!s->property("qpushStubClosed").toBool())
                    ++m_closedByPeer;
                s->deleteLater();
            });
        }
    }

    void read(QTcpSocket *s)
    {
        QByteArray buf = s->property("qpushStubBuf").toByteArray() + s->readAll();
        s->setProperty("qpushStubBuf", buf);
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        StubRequest r;
        const QList<QByteArray> lines = buf.left(end).split('\n');
        const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
        r.method = first.value(0);
        r.target = first.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon > 0)
                r.headers.insert(lines.at(i).left(colon).trimmed().toLower(),
                                 lines.at(i).mid(colon + 1).trimmed());
        }
        const qsizetype length = r.headers.value("content-length").toLongLong();
        if (buf.size() < end + 4 + length)
            return; // the body is still coming
        r.body = buf.mid(end + 4, length);
        s->setProperty("qpushStubBuf", QByteArray());
        m_requests.append(r);
        Q_EMIT requestReceived();
        switch (m_mode) {
        case Mode::Hang:
            return;
        case Mode::Close:
            s->setProperty("qpushStubClosed", true);
            s->abort();
            return;
        case Mode::Answer:
            break;
        }
        QByteArray reply = "HTTP/1.1 " + QByteArray::number(m_status) + " Stub\r\n";
        if (!m_body.isEmpty())
            reply += "Content-Type: " + m_contentType + "\r\n";
        reply += "Content-Length: " + QByteArray::number(m_body.size()) +
                 "\r\nConnection: close\r\n\r\n" + m_body;
        s->setProperty("qpushStubClosed", true);
        s->write(reply);
        s->disconnectFromHost();
    }

    QTcpServer m_server;
    Mode m_mode = Mode::Answer;
    int m_status = 200;
    QByteArray m_body;
    QByteArray m_contentType = "application/json";
    QList<StubRequest> m_requests;
    int m_closedByPeer = 0;
};

} // namespace qpush::test
