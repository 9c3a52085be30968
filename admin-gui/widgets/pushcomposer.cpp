#include "pushcomposer.h"

#include "apiclient.h"
#include "pushpayload.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QTextBlock>
#include <QVBoxLayout>

namespace qpush::admin {

PushComposer::PushComposer(ApiClient *api, QWidget *parent) : QWidget(parent), m_api(api)
{
    m_room = new QLineEdit(this);
    m_room->setObjectName(QStringLiteral("pushRoom"));
    m_room->setPlaceholderText(tr("room, e.g. news or user_u1"));
    m_payload = new QPlainTextEdit(this);
    m_payload->setObjectName(QStringLiteral("pushPayload"));
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setTabChangesFocus(true);
    m_payload->setPlainText(QStringLiteral("{\n  \"title\": \"Hello from qpush\",\n  \"apsData\": "
                                           "{\"aps\": {\"alert\": \"Hello\"}}\n}"));
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("payloadProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    m_apnsName = new QComboBox(this);
    m_apnsName->setObjectName(QStringLiteral("pushApnsName"));
    m_expire = new QSpinBox(this);
    m_expire->setObjectName(QStringLiteral("pushExpire"));
    m_expire->setRange(0, 24 * 365);
    m_expire->setSuffix(tr(" h"));
    m_expire->setSpecialValueText(tr("server default"));
    m_leaveMessage = new QCheckBox(tr("&Keep for offline devices (Android list, APNs)"), this);
    m_leaveMessage->setObjectName(QStringLiteral("pushLeaveMessage"));
    m_lost = new QCheckBox(tr("Simulate &loss (store, do not deliver live)"), this);
    m_lost->setObjectName(QStringLiteral("pushSimulateLoss"));
    m_send = new QPushButton(QIcon::fromTheme(QStringLiteral("mail-send")), tr("&Send push"), this);
    m_send->setObjectName(QStringLiteral("sendPush"));
    m_send->setToolTip(tr("Ctrl+Return"));
    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("pushResult"));
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("&Room:"), m_room);
    form->addRow(tr("&Payload (pushData):"), m_payload);
    form->addRow(QString(), m_problem);
    form->addRow(tr("&APNs configuration:"), m_apnsName);
    form->addRow(tr("&Expire after:"), m_expire);
    form->addRow(QString(), m_leaveMessage);
    form->addRow(QString(), m_lost);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_result, 1);
    bottom->addWidget(m_send);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addLayout(bottom);

    connect(m_payload, &QPlainTextEdit::textChanged, this, &PushComposer::validate);
    connect(m_room, &QLineEdit::textChanged, this, &PushComposer::validate);
    connect(m_send, &QPushButton::clicked, this, &PushComposer::send);
    auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    connect(shortcut, &QShortcut::activated, this, &PushComposer::send);
    validate();
}

void PushComposer::setNamespace(const NamespaceInfo &ns)
{
    m_nsp = ns.key;
    const QString previous = m_apnsName->currentData().toString();
    m_apnsName->clear();
    m_apnsName->addItem(tr("default (entry \"default\" of namespace /)"), QString());
    for (const ApnsEntry &e : ns.apnsList)
        m_apnsName->addItem(QStringLiteral("%1 — %2, %3").arg(e.name, e.env, e.topic), e.name);
    m_apnsName->setCurrentIndex(qMax(0, m_apnsName->findData(previous)));
    m_result->clear();
}

QString PushComposer::payloadProblem() const
{
    return m_problem->text();
}

void PushComposer::validate()
{
    const PayloadCheck check = checkPushPayload(m_payload->toPlainText());
    QList<QTextEdit::ExtraSelection> marks;
    if (!check.ok()) {
        m_problem->setText(check.message());
        if (check.offset >= 0) {
            QTextEdit::ExtraSelection mark;
            mark.cursor = QTextCursor(m_payload->document());
            mark.cursor.setPosition(
                qMin(check.offset, m_payload->document()->characterCount() - 1));
            mark.cursor.movePosition(QTextCursor::NextCharacter, QTextCursor::KeepAnchor);
            mark.format.setBackground(QColor(0xff, 0xcd, 0xd2));
            mark.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
            mark.format.setUnderlineColor(Qt::red);
            marks.append(mark);
        }
    } else {
        m_problem->clear();
    }
    m_payload->setExtraSelections(marks);
    m_send->setEnabled(check.ok() && !m_room->text().trimmed().isEmpty() && !m_nsp.isEmpty() &&
                       !m_call);
}

void PushComposer::send()
{
    const PayloadCheck check = checkPushPayload(m_payload->toPlainText());
    if (!check.ok() || m_room->text().trimmed().isEmpty() || m_nsp.isEmpty() || m_call)
        return;
    PushRequest request;
    request.room = m_room->text().trimmed();
    request.pushData = check.object;
    request.apnsName = m_apnsName->currentData().toString();
    request.expireHours = m_expire->value();
    request.leaveMessage = m_leaveMessage->isChecked();
    request.simulateLoss = m_lost->isChecked();
    m_result->setText(tr("Sending…"));
    m_call = m_api->push(m_nsp, request);
    validate();
    m_call->then(this, [this](const ApiReply &r) {
        m_call = nullptr;
        validate();
        if (!r.ok()) {
            m_result->setText(r.error->message);
            return Q_EMIT failed(tr("The push was not accepted"), *r.error);
        }
        const PushAccepted a = PushAccepted::fromJson(r.object());
        m_result->setText(tr("Push %1 accepted, %2 client(s) online in the room.")
                              .arg(a.id)
                              .arg(a.expectAckCount));
        Q_EMIT pushed(a.id, a.expectAckCount);
    });
}

} // namespace qpush::admin
