#include "errors.h"

namespace qpush::api {

namespace {

struct Row
{
    push::DomainError::Kind kind;
    int status;
    const char *prefix; // put before the message
};

using K = push::DomainError::Kind;
constexpr Row kTable[] = {
    {K::Invalid, 400, ""},     {K::Unauthorized, 401, ""},
    {K::Forbidden, 403, ""},   {K::NotFound, 404, ""},
    {K::Conflict, 409, ""},    {K::TooLarge, 413, ""},
    {K::RateLimited, 429, ""}, {K::Unavailable, 503, "store unavailable: "},
    {K::Internal, 500, ""},
};

} // namespace

HttpError httpError(const push::DomainError &error)
{
    for (const Row &row : kTable)
        if (row.kind == error.kind)
            return {row.status, QLatin1String(row.prefix) + error.message};
    return {500, error.message};
}

HttpError methodNotAllowed()
{
    return {405, QStringLiteral("method not allowed")};
}

} // namespace qpush::api
