// A store failure as a domain error (the store's codes are its own).
#pragma once

#include "settings.h"

#include "store/result.h"

namespace qpush::push {

DomainError fromStoreError(const store::Error &error);

} // namespace qpush::push
