#include "clientview.h"

#include "apiclient.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace qpush::admin {

ClientView::ClientView(ApiClient *api, QWidget *parent) : QWidget(parent), m_api(api)
{
    m_id = new QLineEdit(this);
    m_id->setObjectName(QStringLiteral("clientId"));
    m_id->setPlaceholderText(QStringLiteral("/demo#u1#ios-device7"));
    m_id->setClearButtonEnabled(true);
    auto *find =
        new QPushButton(QIcon::fromTheme(QStringLiteral("edit-find")), tr("&Look up"), this);
    find->setObjectName(QStringLiteral("lookUpClient"));
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Client &id:"), this));
    bar->addWidget(m_id, 1);
    bar->addWidget(find);
    qobject_cast<QLabel *>(bar->itemAt(0)->widget())->setBuddy(m_id);

    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("clientInfo"));
    m_info->setTextFormat(Qt::RichText);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_deviceToken = new QLineEdit(this);
    m_deviceToken->setObjectName(QStringLiteral("clientDeviceToken"));
    m_deviceToken->setPlaceholderText(tr("empty: no APNs for this device"));
    m_leaveMessage = new QCheckBox(tr("Keep messages for this device while it is offline"), this);
    m_leaveMessage->setObjectName(QStringLiteral("clientLeaveMessage"));
    m_save = new QPushButton(tr("Save &client"), this);
    m_save->setObjectName(QStringLiteral("saveClient"));
    auto *clientBox = new QGroupBox(tr("Client"), this);
    auto *clientForm = new QFormLayout(clientBox);
    clientForm->addRow(m_info);
    clientForm->addRow(tr("&Device token:"), m_deviceToken);
    clientForm->addRow(QString(), m_leaveMessage);
    auto *saveRow = new QHBoxLayout;
    saveRow->addWidget(m_save);
    saveRow->addStretch();
    clientForm->addRow(QString(), saveRow);

    m_room = new QLineEdit(this);
    m_room->setObjectName(QStringLiteral("roomSwitchRoom"));
    m_room->setPlaceholderText(tr("every client that is a member of this room"));
    m_dndRooms = new QLineEdit(this);
    m_dndRooms->setObjectName(QStringLiteral("roomSwitchDnd"));
    m_dndRooms->setPlaceholderText(tr("rooms, comma-separated"));
    auto *addDnd = new QPushButton(tr("Stop APNs for these rooms"), this);
    addDnd->setObjectName(QStringLiteral("roomDndAdd"));
    auto *removeDnd = new QPushButton(tr("Resume APNs for these rooms"), this);
    removeDnd->setObjectName(QStringLiteral("roomDndRemove"));
    auto *keepOn = new QPushButton(tr("Keep offline messages"), this);
    keepOn->setObjectName(QStringLiteral("roomLeaveOn"));
    auto *keepOff = new QPushButton(tr("Do not keep offline messages"), this);
    keepOff->setObjectName(QStringLiteral("roomLeaveOff"));
    auto *dndButtons = new QHBoxLayout;
    dndButtons->addWidget(addDnd);
    dndButtons->addWidget(removeDnd);
    dndButtons->addStretch();
    auto *leaveButtons = new QHBoxLayout;
    leaveButtons->addWidget(keepOn);
    leaveButtons->addWidget(keepOff);
    leaveButtons->addStretch();
    auto *roomBox = new QGroupBox(tr("Switches for every client of a room"), this);
    auto *roomForm = new QFormLayout(roomBox);
    roomForm->addRow(tr("R&oom:"), m_room);
    roomForm->addRow(tr("APNs do-not-disturb:"), m_dndRooms);
    roomForm->addRow(QString(), dndButtons);
    roomForm->addRow(tr("Leave message:"), leaveButtons);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(clientBox);
    layout->addWidget(roomBox);
    layout->addStretch();

    connect(find, &QPushButton::clicked, this, [this] { lookUp(m_id->text().trimmed()); });
    connect(m_id, &QLineEdit::returnPressed, this, [this] { lookUp(m_id->text().trimmed()); });
    connect(m_save, &QPushButton::clicked, this, &ClientView::saveClient);
    connect(addDnd, &QPushButton::clicked, this, [this] { roomApns(true); });
    connect(removeDnd, &QPushButton::clicked, this, [this] { roomApns(false); });
    connect(keepOn, &QPushButton::clicked, this, [this] { roomLeaveMessage(true); });
    connect(keepOff, &QPushButton::clicked, this, [this] { roomLeaveMessage(false); });
    showClient({});
}

void ClientView::setNamespace(const QString &nsp)
{
    m_nsp = nsp;
    showClient({});
    m_id->setPlaceholderText(nsp + QStringLiteral("#u1#ios-device7"));
}

void ClientView::lookUp(const QString &clientId)
{
    if (clientId.isEmpty())
        return;
    m_id->setText(clientId);
    m_call = m_api->client(m_nsp, clientId);
    m_call->then(this, [this, clientId](const ApiReply &r) {
        if (!r.ok()) {
            showClient({});
            return Q_EMIT failed(tr("Cannot look up %1").arg(clientId), *r.error);
        }
        showClient(ClientInfo::fromJson(r.object()));
    });
}

void ClientView::showClient(const ClientInfo &c)
{
    m_client = c;
    const bool any = !c.id.isEmpty();
    m_deviceToken->setEnabled(any);
    m_leaveMessage->setEnabled(any);
    m_save->setEnabled(any);
    if (!any) {
        m_info->setText(tr("Enter a client id (namespace#userid#platform-uuid) and look it up."));
        m_deviceToken->clear();
        m_leaveMessage->setChecked(false);
        return;
    }
    m_info->setText(tr("<b>%1</b><br>User <b>%2</b>, %3 device <b>%4</b><br>"
                       "First connect %5, last connect %6, last disconnect %7<br>"
                       "Mobile %8, system %9<br>APNs do-not-disturb rooms: %10")
                        .arg(c.id.toHtmlEscaped(), c.userid.toHtmlEscaped(), c.platform,
                             c.uuid.toHtmlEscaped(), formatTime(c.firstConnectTime),
                             formatTime(c.lastConnectTime), formatTime(c.lastDisconnectTime),
                             c.mobile.isEmpty() ? QStringLiteral("—") : c.mobile.toHtmlEscaped(),
                             c.system.isEmpty() ? QStringLiteral("—") : c.system.toHtmlEscaped())
                        .arg(c.noSendApns.isEmpty()
                                 ? tr("none")
                                 : c.noSendApns.join(QStringLiteral(", ")).toHtmlEscaped()));
    m_deviceToken->setText(c.deviceToken);
    m_leaveMessage->setChecked(c.leaveMessage);
}

void ClientView::saveClient()
{
    if (m_client.id.isEmpty())
        return;
    ClientChanges changes;
    changes.id = m_client.id;
    if (m_deviceToken->text() != m_client.deviceToken)
        changes.deviceToken = m_deviceToken->text().trimmed();
    if (m_leaveMessage->isChecked() != m_client.leaveMessage)
        changes.leaveMessage = m_leaveMessage->isChecked();
    if (!changes.deviceToken && !changes.leaveMessage)
        return Q_EMIT done(tr("Nothing changed."));
    m_call = m_api->saveClient(m_nsp, changes);
    m_call->then(this, [this](const ApiReply &r) {
        if (!r.ok())
            return Q_EMIT failed(tr("Cannot save the client"), *r.error);
        showClient(ClientInfo::fromJson(r.object()));
        Q_EMIT done(tr("Client %1 saved.").arg(m_client.id));
    });
}

void ClientView::roomApns(bool add)
{
    const QString room = m_room->text().trimmed();
    QStringList rooms;
    for (const QString &r : m_dndRooms->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        rooms.append(r.trimmed());
    if (room.isEmpty() || rooms.isEmpty())
        return Q_EMIT done(tr("Enter a room and the do-not-disturb rooms."));
    m_call =
        add ? m_api->roomApns(m_nsp, room, rooms, {}) : m_api->roomApns(m_nsp, room, {}, rooms);
    m_call->then(this, [this, room](const ApiReply &r) {
        if (!r.ok())
            return Q_EMIT failed(tr("Cannot change APNs do-not-disturb"), *r.error);
        Q_EMIT done(tr("Do-not-disturb changed for %1 client(s) of %2.")
                        .arg(qint64(r.object().value(QStringLiteral("count")).toDouble()))
                        .arg(room));
        if (!m_client.id.isEmpty())
            lookUp(m_client.id);
    });
}

void ClientView::roomLeaveMessage(bool on)
{
    const QString room = m_room->text().trimmed();
    if (room.isEmpty())
        return Q_EMIT done(tr("Enter a room."));
    m_call = m_api->roomLeaveMessage(m_nsp, room, on);
    m_call->then(this, [this, room](const ApiReply &r) {
        if (!r.ok())
            return Q_EMIT failed(tr("Cannot change leave-message"), *r.error);
        Q_EMIT done(tr("Leave-message changed for %1 client(s) of %2.")
                        .arg(qint64(r.object().value(QStringLiteral("count")).toDouble()))
                        .arg(room));
        if (!m_client.id.isEmpty())
            lookUp(m_client.id);
    });
}

} // namespace qpush::admin
