#include "busmessage.h"

#include <QtEndian>

namespace qpush::cluster {

namespace {

constexpr char kMagic0 = 'Q';
constexpr char kMagic1 = 'B';
constexpr quint8 kVersion = 1;

class Writer
{
public:
    void u8(quint8 v) { m_out.append(char(v)); }
    void i64(qint64 v)
    {
        char b[8];
        qToBigEndian(v, b);
        m_out.append(b, 8);
    }
    void bytes(const QByteArray &v)
    {
        char b[4];
        qToBigEndian(quint32(v.size()), b);
        m_out.append(b, 4);
        m_out.append(v);
    }
    void str(const QString &v) { bytes(v.toUtf8()); }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

class Reader
{
public:
    explicit Reader(const QByteArray &in) : m_in(in) {}
    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos == m_in.size(); }
    qsizetype remaining() const { return m_in.size() - m_pos; }
    quint8 u8()
    {
        if (!need(1))
            return 0;
        return quint8(m_in.at(m_pos++));
    }
    bool boolean()
    {
        const quint8 v = u8();
        if (v > 1)
            m_ok = false;
        return v == 1;
    }
    qint64 i64()
    {
        if (!need(8))
            return 0;
        const qint64 v = qFromBigEndian<qint64>(m_in.constData() + m_pos);
        m_pos += 8;
        return v;
    }
    QByteArray bytes()
    {
        if (!need(4))
            return {};
        const quint32 n = qFromBigEndian<quint32>(m_in.constData() + m_pos);
        m_pos += 4;
        if (!need(qsizetype(n)))
            return {};
        QByteArray v = m_in.mid(m_pos, qsizetype(n));
        m_pos += qsizetype(n);
        return v;
    }
    QString str()
    {
        const QByteArray b = bytes();
        return QString::fromUtf8(b);
    }

private:
    bool need(qsizetype n)
    {
        if (!m_ok || n < 0 || remaining() < n) {
            m_ok = false;
            return false;
        }
        return true;
    }
    const QByteArray &m_in;
    qsizetype m_pos = 0;
    bool m_ok = true;
};

} // namespace

QByteArray encodeBusMessage(const BusMessage &m)
{
    Writer w;
    w.u8(quint8(kMagic0));
    w.u8(quint8(kMagic1));
    w.u8(kVersion);
    w.u8(quint8(m.kind));
    w.bytes(m.origin);
    switch (m.kind) {
    case BusMessage::Kind::Push: {
        const store::PushMessage &p = m.push;
        w.i64(p.id);
        w.str(p.nsp);
        w.str(p.room);
        w.bytes(p.pushData);
        w.i64(p.sendDate);
        w.i64(p.serverNum);
        w.u8(p.leaveMessage ? 1 : 0);
        w.str(p.apnsName);
        w.str(p.extra);
        w.str(p.exceptClient);
        w.i64(p.expireAt);
        break;
    }
    case BusMessage::Kind::Transfer: {
        w.str(m.nsp);
        const qsizetype n = qMin(m.clientIds.size(), kMaxBusClientIds);
        w.i64(n);
        for (qsizetype i = 0; i < n; ++i)
            w.str(m.clientIds.at(i));
        w.str(m.targetRoom);
        w.u8(m.join ? 1 : 0);
        w.bytes(m.payload);
        break;
    }
    case BusMessage::Kind::NamespaceChanged:
        w.str(m.nsp);
        break;
    case BusMessage::Kind::RoomEvent:
        w.str(m.nsp);
        w.str(m.room);
        w.str(m.event);
        w.str(m.exceptClient);
        w.bytes(m.payload);
        break;
    }
    return w.take();
}

std::optional<BusMessage> decodeBusMessage(const QByteArray &bytes)
{
    Reader r(bytes);
    if (r.u8() != quint8(kMagic0) || r.u8() != quint8(kMagic1) || r.u8() != kVersion || !r.ok())
        return std::nullopt;
    BusMessage m;
    const quint8 kind = r.u8();
    m.origin = r.bytes();
    switch (kind) {
    case quint8(BusMessage::Kind::Push): {
        m.kind = BusMessage::Kind::Push;
        store::PushMessage &p = m.push;
        p.id = r.i64();
        p.nsp = r.str();
        p.room = r.str();
        p.pushData = r.bytes();
        p.sendDate = r.i64();
        p.serverNum = r.i64();
        p.leaveMessage = r.boolean();
        p.apnsName = r.str();
        p.extra = r.str();
        p.exceptClient = r.str();
        p.expireAt = r.i64();
        break;
    }
    case quint8(BusMessage::Kind::Transfer): {
        m.kind = BusMessage::Kind::Transfer;
        m.nsp = r.str();
        const qint64 n = r.i64();
        // Each id takes at least its 4-byte length: no count beyond the input.
        if (!r.ok() || n < 0 || n > kMaxBusClientIds || n > r.remaining() / 4)
            return std::nullopt;
        m.clientIds.reserve(n);
        for (qint64 i = 0; i < n && r.ok(); ++i)
            m.clientIds.append(r.str());
        m.targetRoom = r.str();
        m.join = r.boolean();
        m.payload = r.bytes();
        break;
    }
    case quint8(BusMessage::Kind::NamespaceChanged):
        m.kind = BusMessage::Kind::NamespaceChanged;
        m.nsp = r.str();
        break;
    case quint8(BusMessage::Kind::RoomEvent):
        m.kind = BusMessage::Kind::RoomEvent;
        m.nsp = r.str();
        m.room = r.str();
        m.event = r.str();
        m.exceptClient = r.str();
        m.payload = r.bytes();
        break;
    default:
        return std::nullopt;
    }
    if (!r.ok() || !r.atEnd())
        return std::nullopt;
    return m;
}

} // namespace qpush::cluster
