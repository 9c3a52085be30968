#include "shared/namerules.h"

namespace qpush {

std::optional<QString> NameRules::check(Kind kind, const QString &value) const
{
    QString what;
    int max = 0;
    switch (kind) {
    case Kind::Namespace:
        what = QStringLiteral("namespace");
        max = namespaceMaxLength;
        break;
    case Kind::Room:
        what = QStringLiteral("room");
        max = roomMaxLength;
        break;
    case Kind::UserId:
        what = QStringLiteral("userid");
        max = useridMaxLength;
        break;
    case Kind::Uuid:
        what = QStringLiteral("uuid");
        max = uuidMaxLength;
        break;
    }
    if (value.isEmpty())
        return what + QStringLiteral(" is required");
    if (value.size() > max)
        return QStringLiteral("%1 is too long (max %2)").arg(what).arg(max);
    if (kind == Kind::Namespace && !value.startsWith(QLatin1Char('/')))
        return QStringLiteral("namespace must start with '/'");
    if (!keyReg.match(value).hasMatch())
        return QStringLiteral("%1 has invalid characters: %2").arg(what, value);
    return std::nullopt;
}

} // namespace qpush
