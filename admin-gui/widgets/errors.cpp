#include "errors.h"

#include "apiclient.h"

#include <QMessageBox>

namespace qpush::admin {

void showError(QWidget *parent, const QString &what, const ApiError &error)
{
    if (error.cancelled)
        return;
    // Window-modal and not blocking: polling and other views keep running.
    auto *box = new QMessageBox(QMessageBox::Warning, what, what, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("errorBox"));
    box->setInformativeText(error.message);
    if (!error.details.isEmpty())
        box->setDetailedText(error.details);
    box->open();
}

QString errorLine(const QString &what, const ApiError &error)
{
    QString line = what + QStringLiteral(": ") + error.message;
    if (error.httpStatus)
        line += QStringLiteral(" (HTTP %1)").arg(error.httpStatus);
    return line;
}

} // namespace qpush::admin
