// The one mapping from an error to the REST reply (SPEC §4: {code, msg} with
// the HTTP status as code): a table from domain error kinds to statuses.
// Handlers answer domain errors as they come; nothing else in api/ or push/
// picks a status number.
#pragma once

#include "push/errors.h"

#include <QString>

namespace qpush::api {

struct HttpError
{
    int status = 500;
    QString message;
};

// The HTTP status and message of a domain error.
HttpError httpError(const push::DomainError &error);

// Errors of HTTP itself, not of the domain.
HttpError methodNotAllowed();

} // namespace qpush::api
