#include "app/servicemanager.h"

#ifdef QPUSH_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace qpush::servicemanager {

namespace {

#ifdef QPUSH_HAVE_SYSTEMD
void send(const QByteArray &state, const QString &status)
{
    // Newlines would start another assignment in the notify message.
    QString line = status;
    line.replace(QLatin1Char('\n'), QLatin1Char(' '));
    const QByteArray message = state + "\nSTATUS=" + line.toUtf8();
    // 0 = keep NOTIFY_SOCKET: ExecStartPre helpers and children do not
    // inherit it anyway, and tests read several messages.
    sd_notify(0, message.constData());
}
#endif

} // namespace

bool supported()
{
#ifdef QPUSH_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

void notifyReady([[maybe_unused]] const QString &status)
{
#ifdef QPUSH_HAVE_SYSTEMD
    send("READY=1", status);
#endif
}

void notifyStopping([[maybe_unused]] const QString &status)
{
#ifdef QPUSH_HAVE_SYSTEMD
    send("STOPPING=1", status);
#endif
}

} // namespace qpush::servicemanager
