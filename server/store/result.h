#pragma once
// Result values of the store: either a value or an Error with a code.
// (std::expected is C++23; Debian 12's GCC builds qpush as C++20.)

#include <QString>

#include <functional>
#include <utility>
#include <variant>

namespace qpush::store {

enum class ErrorCode {
    Unavailable, ///< backend down or unreachable (REST answers 503)
    NotFound,    ///< no such namespace / client / message (or it expired)
    Conflict,    ///< the operation contradicts stored state
    Corrupt,     ///< stored data or a backend reply could not be understood
    Invalid,     ///< bad argument from the caller
    Internal,    ///< a bug or an unexpected backend failure
};

QString errorCodeName(ErrorCode code);

struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;

    QString toString() const { return errorCodeName(code) + QStringLiteral(": ") + message; }
};

/// The value of an operation that returns nothing but success.
struct Done
{
    friend bool operator==(Done, Done) { return true; }
};

template <class T> class Result
{
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_v); }
    T &value() & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    const T *operator->() const { return &std::get<0>(m_v); }
    const T &operator*() const { return std::get<0>(m_v); }

    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

/// Every store operation answers through one of these, always later from the
/// event loop of the thread that owns the store (never synchronously inside
/// the call, so callers need no re-entrancy guards).
template <class T> using Callback = std::function<void(Result<T>)>;

} // namespace qpush::store
