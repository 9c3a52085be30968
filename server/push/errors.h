// Errors of the domain as values: a kind and a sentence for the caller.
// The domain never picks a status number; each edge maps the kind once: the
// REST layer to an HTTP status (api/errors.cpp), the client events to a
// {status, msg} reply (clientreply.cpp).
#pragma once

#include <QString>

#include <functional>
#include <utility>
#include <variant>

namespace qpush::push {

struct DomainError
{
    enum Kind {
        Invalid,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        TooLarge,
        RateLimited,
        Unavailable,
        Internal
    };
    Kind kind = Internal;
    QString message;

    static DomainError invalid(QString m) { return {Invalid, std::move(m)}; }
    static DomainError unauthorized(QString m) { return {Unauthorized, std::move(m)}; }
    static DomainError forbidden(QString m) { return {Forbidden, std::move(m)}; }
    static DomainError notFound(QString m) { return {NotFound, std::move(m)}; }
    static DomainError conflict(QString m) { return {Conflict, std::move(m)}; }
    static DomainError tooLarge(QString m) { return {TooLarge, std::move(m)}; }
    static DomainError rateLimited(QString m) { return {RateLimited, std::move(m)}; }

    friend bool operator==(const DomainError &, const DomainError &) = default;
};

// A value or the DomainError that prevented it (std::expected is C++23).
template <class T> class Expected
{
public:
    Expected(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Expected(DomainError error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_v); }
    T &value() & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    const T *operator->() const { return &std::get<0>(m_v); }
    const T &operator*() const { return std::get<0>(m_v); }

    const DomainError &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, DomainError> m_v;
};

// How the domain's asynchronous operations answer.
template <class T> using Callback = std::function<void(Expected<T>)>;

} // namespace qpush::push
