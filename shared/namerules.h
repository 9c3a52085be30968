// Validation of the names qpush accepts (SPEC §1 key_reg and length
// limits, §10): namespace keys, room names, userids and uuids. Shared by the
// server and the admin console.
#pragma once

#include <QRegularExpression>
#include <QString>

#include <optional>

namespace qpush {

struct NameRules
{
    enum class Kind { Namespace, Room, UserId, Uuid };

    QRegularExpression keyReg{QStringLiteral("^[\\w.\\-$#/]+$")};
    int namespaceMaxLength = 50;
    int roomMaxLength = 100;
    int useridMaxLength = 100;
    int uuidMaxLength = 100;

    // nullopt when valid, else a readable reason ("room is too long (max 100)").
    std::optional<QString> check(Kind kind, const QString &value) const;
    bool isValid(Kind kind, const QString &value) const { return !check(kind, value); }
};

} // namespace qpush
