// Server errors shown in plain words, with the HTTP status and request in
// the dialog's details. One place, so every view words failures the same.
#pragma once

#include <QString>

class QWidget;

namespace qpush::admin {

struct ApiError;

void showError(QWidget *parent, const QString &what, const ApiError &error);
// "Could not save: The server ... (HTTP 409)" for status lines.
QString errorLine(const QString &what, const ApiError &error);

} // namespace qpush::admin
