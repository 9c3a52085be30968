// Routes REST requests by method and path to handlers. Paths are exact, or
// end in "/:" to take the rest of the path as a parameter. OPTIONS on any
// /api/ path is answered here (CORS preflight, no credentials needed).
#pragma once

#include "cors.h"
#include "reply.h"

#include <QHash>

#include <functional>

namespace qpush::api {

struct Context
{
    const http::Request &request;
    QString param; // the ":" part of the path, percent-decoded
};

using Handler = std::function<void(const Context &context, Reply reply)>;

class Router
{
public:
    void get(const QByteArray &path, Handler handler) { add("GET", path, std::move(handler)); }
    void post(const QByteArray &path, Handler handler) { add("POST", path, std::move(handler)); }
    void add(const QByteArray &method, const QByteArray &path, Handler handler);

    // Handles a request; answers 404/405 when no route matches.
    void handle(net::Responder responder, http::Request &request) const;
    // True when some route (any method) matches the path.
    bool matches(const QByteArray &path) const;
    // The CORS rules of every reply (default: no listed origins).
    void setCorsPolicy(CorsPolicy policy) { m_cors = std::move(policy); }

private:
    struct Route
    {
        QByteArray method;
        QByteArray path; // without the trailing ':' for parameter routes
        bool withParam;
        Handler handler;
    };
    const Route *find(const QByteArray &path, const QByteArray &method, bool *pathKnown,
                      QString *param) const;
    QList<Route> m_routes;
    CorsPolicy m_cors;
};

} // namespace qpush::api
