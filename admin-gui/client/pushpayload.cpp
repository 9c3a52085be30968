#include "pushpayload.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace qpush::admin {

QString PayloadCheck::message() const
{
    if (ok())
        return {};
    if (line > 0)
        return QStringLiteral("line %1, column %2: %3").arg(line).arg(column).arg(error);
    return error;
}

PayloadCheck checkPushPayload(const QString &text)
{
    PayloadCheck check;
    if (text.trimmed().isEmpty()) {
        check.error = QStringLiteral("the payload is empty (pushData must be a JSON object)");
        return check;
    }
    const QByteArray utf8 = text.toUtf8();
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &err);
    if (err.error != QJsonParseError::NoError) {
        // err.offset counts UTF-8 bytes and points just past the offending
        // character; map it back to that character.
        const int byteOffset = int(qBound(0, err.offset - 1, int(utf8.size())));
        check.offset = int(QString::fromUtf8(utf8.first(byteOffset)).size());
        check.line = 1;
        int lineStart = 0;
        for (int i = 0; i < check.offset && i < text.size(); ++i)
            if (text.at(i) == u'\n') {
                ++check.line;
                lineStart = i + 1;
            }
        check.column = check.offset - lineStart + 1;
        check.error = err.errorString();
        return check;
    }
    if (!doc.isObject()) {
        check.error = QStringLiteral("pushData must be a JSON object ({...})");
        return check;
    }
    check.object = doc.object();
    return check;
}

} // namespace qpush::admin
