#pragma once

#include "app/config.h"

#include <QString>

#include <variant>

namespace qpush {

// The admin password when none is configured. There is no default password
// (SPEC §1): the first start generates a random one, stores it in
// <data_dir>/admin_passwd (mode 0600) and reports it once through
// `generatedNotice`; later starts read the same file. A configured
// `admin_passwd` always wins and leaves the file alone.
class AdminPassword
{
public:
    // The password, or a ConfigError (exitCode 1) when the data dir or the
    // file cannot be created, read or written. `generatedNotice` (may be null)
    // is set to a text for the operator only when a password was generated,
    // and cleared otherwise.
    static std::variant<QString, ConfigError> resolve(const Config &config,
                                                      QString *generatedNotice);

    // <data_dir>/admin_passwd
    static QString filePath(const Config &config);

    // A new random password: `length` characters of [A-Za-z0-9] drawn from
    // QRandomGenerator::system().
    static QString generate(int length = 24);
};

} // namespace qpush
