#pragma once
// Test client speaking raw Engine.IO / Socket.IO frames over a QWebSocket
// (transport=websocket from the start, no polling). Header-only.
//
// Every Engine.IO message the server sends is queued as it came: text
// frames verbatim ("40", "42[\"ev\"]", "1", ...), binary frames with the v3
// type byte stripped. Engine.IO v4 pings ("2") are answered with "3" and
// not queued. Tests compare frames with the notation of the protocol
// documents ('44/x,{"message":"Invalid namespace"}').
//
// Waiting uses QTest::qWaitFor (the event loop runs; no sleeps).

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QTest>
#include <QUrl>
#include <QWebSocket>

#include <memory>
#include <optional>

namespace qpush::test {

struct EioMessage
{
    QByteArray data;
    bool binary = false;
};

class SioClient
{
public:
    // eio: 3 (socket.io 2.x, Socket.IO protocol v4) or 4 (protocol v5).
    explicit SioClient(int eio) : m_eio(eio), m_ws(std::make_unique<QWebSocket>())
    {
        QWebSocket *ws = m_ws.get();
        QObject::connect(ws, &QWebSocket::textMessageReceived, ws, [this](const QString &text) {
            const QByteArray bytes = text.toUtf8();
            if (m_eio == 4 && bytes == "2") {
                m_ws->sendTextMessage(QStringLiteral("3"));
                return;
            }
            if (bytes.startsWith('1'))
                m_gotClosePacket = true;
            m_queue.append({bytes, false});
        });
        QObject::connect(ws, &QWebSocket::binaryMessageReceived, ws, [this](const QByteArray &b) {
            m_queue.append({m_eio == 3 ? b.mid(1) : b, true});
        });
        QObject::connect(ws, &QWebSocket::disconnected, ws, [this] { m_disconnected = true; });
    }
    SioClient(const SioClient &) = delete;
    SioClient &operator=(const SioClient &) = delete;

    int eio() const { return m_eio; }
    bool isV5() const { return m_eio == 4; }
    const QByteArray &sid() const { return m_sid; }
    bool isDisconnected() const { return m_disconnected; }
    bool gotClosePacket() const { return m_gotClosePacket; }
    qsizetype queued() const { return m_queue.size(); }

    // Opens the websocket and waits for the Engine.IO OPEN packet.
    // `extraQuery` is appended to the URL query ("a=1&b=2").
    bool open(quint16 port, const QByteArray &extraQuery = {}, int timeoutMs = 5000)
    {
        QByteArray q = "EIO=" + QByteArray::number(m_eio) + "&transport=websocket";
        if (!extraQuery.isEmpty())
            q += '&' + extraQuery;
        QUrl url;
        url.setScheme(QStringLiteral("ws"));
        url.setHost(QStringLiteral("127.0.0.1"));
        url.setPort(port);
        url.setPath(QStringLiteral("/socket.io/"));
        url.setQuery(QString::fromLatin1(q));
        m_ws->open(url);
        const std::optional<EioMessage> first = next(timeoutMs);
        if (!first || first->binary || !first->data.startsWith('0'))
            return false;
        const QJsonObject o = QJsonDocument::fromJson(first->data.mid(1)).object();
        m_sid = o.value(QStringLiteral("sid")).toString().toLatin1();
        return !m_sid.isEmpty();
    }

    // Sends a raw Engine.IO text frame ("40", "1", ...).
    void sendRaw(const QByteArray &frame) { m_ws->sendTextMessage(QString::fromUtf8(frame)); }
    // Sends a Socket.IO packet in an Engine.IO message ("4" + packet).
    void send(const QByteArray &packet) { sendRaw('4' + packet); }
    // Sends a binary Engine.IO message (an attachment).
    void sendBinary(const QByteArray &bytes)
    {
        m_ws->sendBinaryMessage(m_eio == 3 ? QByteArray(1, '\x04') + bytes : bytes);
    }
    void closeSocket() { m_ws->close(); }

    // The next queued message, waiting up to timeoutMs for one.
    std::optional<EioMessage> next(int timeoutMs = 5000)
    {
        if (m_queue.isEmpty() && !QTest::qWaitFor([this] { return !m_queue.isEmpty(); }, timeoutMs))
            return std::nullopt;
        return m_queue.takeFirst();
    }
    // The next message's bytes; "<none>" or "<binary>..." when it is not a text frame.
    QByteArray nextText(int timeoutMs = 5000)
    {
        const std::optional<EioMessage> m = next(timeoutMs);
        if (!m)
            return QByteArrayLiteral("<none>");
        return m->binary ? QByteArray("<binary>" + m->data) : m->data;
    }
    // The next message's bytes if it is binary, "<text>..." otherwise.
    QByteArray nextBinary(int timeoutMs = 5000)
    {
        const std::optional<EioMessage> m = next(timeoutMs);
        if (!m)
            return QByteArrayLiteral("<none>");
        return m->binary ? m->data : QByteArray("<text>" + m->data);
    }

    bool waitDisconnected(int timeoutMs = 5000)
    {
        return m_disconnected || QTest::qWaitFor([this] { return m_disconnected; }, timeoutMs);
    }

    // ---- Socket.IO helpers --------------------------------------------------

    // Joins "/" the way the protocol generation does it: v5 sends CONNECT
    // (with `auth` when given) and waits for the reply; v4 waits for the
    // "40" the server sends on its own. Returns the socket id (v4: the
    // Engine.IO sid), empty on failure.
    QByteArray connectRoot(const QByteArray &auth = {})
    {
        if (!isV5())
            return nextText() == "40" ? m_sid : QByteArray();
        send("0" + auth);
        return connectReply("/");
    }
    // Joins a custom namespace: v5 "40/nsp,{auth}", v4 "40/nsp?query,".
    // Returns the socket id (v4: "/nsp#sid"), empty on failure.
    QByteArray connectNamespace(const QByteArray &nsp, const QByteArray &authOrQuery = {})
    {
        if (isV5()) {
            send("0" + nsp + ',' + authOrQuery);
            return connectReply(nsp);
        }
        send("0" + nsp + (authOrQuery.isEmpty() ? QByteArray() : QByteArray('?' + authOrQuery)) +
             ',');
        return nextText() == QByteArray("40" + nsp + ',') ? QByteArray(nsp + '#' + m_sid)
                                                          : QByteArray();
    }

private:
    QByteArray connectReply(const QByteArray &nsp)
    {
        QByteArray reply = nextText();
        const QByteArray prefix = nsp == "/" ? QByteArray("40") : QByteArray("40" + nsp + ',');
        if (!reply.startsWith(prefix))
            return {};
        const QJsonObject o = QJsonDocument::fromJson(reply.mid(prefix.size())).object();
        return o.value(QStringLiteral("sid")).toString().toLatin1();
    }

    int m_eio;
    std::unique_ptr<QWebSocket> m_ws;
    QList<EioMessage> m_queue;
    QByteArray m_sid;
    bool m_disconnected = false;
    bool m_gotClosePacket = false;
};

} // namespace qpush::test
