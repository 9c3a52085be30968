// Validation of the push composer's JSON payload (SPEC §4: pushData is an
// object), with the position of a syntax error so the editor can point at it.
#pragma once

#include <QJsonObject>
#include <QString>

namespace qpush::admin {

struct PayloadCheck
{
    QJsonObject object;
    QString error;   // empty when the text is a JSON object
    int offset = -1; // character offset of the error in the text
    int line = 0;    // 1-based, 0 when no position applies
    int column = 0;  // 1-based
    bool ok() const { return error.isEmpty(); }
    // "line 3, column 7: missing value separator".
    QString message() const;
};

PayloadCheck checkPushPayload(const QString &text);

} // namespace qpush::admin
