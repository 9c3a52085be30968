#include "errors.h"

namespace qpush::push {

int DomainError::status() const
{
    switch (kind) {
    case Invalid:
        return 400;
    case Unauthorized:
        return 401;
    case Forbidden:
        return 403;
    case NotFound:
        return 404;
    case Conflict:
        return 409;
    case TooLarge:
        return 413;
    case RateLimited:
        return 429;
    case Unavailable:
        return 503;
    case Internal:
        break;
    }
    return 500;
}

} // namespace qpush::push
