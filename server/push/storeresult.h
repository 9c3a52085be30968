// Store results as domain results: the store's error codes become domain
// error kinds (fromStoreError), values pass through.
#pragma once

#include "errors.h"
#include "storeerror.h"

#include "store/result.h"

namespace qpush::push {

template <class T> Expected<T> fromStore(store::Result<T> result)
{
    if (!result)
        return fromStoreError(result.error());
    return std::move(result).value();
}

// A store callback that answers `done` with the converted result.
template <class T> store::Callback<T> relay(Callback<T> done)
{
    return [done = std::move(done)](store::Result<T> r) { done(fromStore(std::move(r))); };
}

} // namespace qpush::push
