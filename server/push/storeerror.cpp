#include "storeerror.h"

namespace qpush::push {

DomainError fromStoreError(const store::Error &error)
{
    switch (error.code) {
    case store::ErrorCode::Unavailable:
        return {DomainError::Unavailable, error.message};
    case store::ErrorCode::NotFound:
        return {DomainError::NotFound, error.message};
    case store::ErrorCode::Conflict:
        return {DomainError::Conflict, error.message};
    case store::ErrorCode::Invalid:
        return {DomainError::Invalid, error.message};
    case store::ErrorCode::Corrupt:
    case store::ErrorCode::Internal:
        break;
    }
    return {DomainError::Internal, error.message};
}

} // namespace qpush::push
