#pragma once
// Helpers for driving the asynchronous Store from a test: run the event loop
// until the callback fires (bounded), return its Result.

#include "store/store.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QPointer>
#include <QTest>
#include <QTimer>

#include <memory>
#include <optional>

namespace qpush::test {

template <class T, class Call> store::Result<T> await(Call call, int timeoutMs = 20000)
{
    // A real nested event loop (QCoreApplication::processEvents with a
    // timeout would spin the CPU, which a 2-core machine cannot spare).
    struct Shared
    {
        std::optional<store::Result<T>> result;
        QPointer<QEventLoop> loop;
    };
    auto shared = std::make_shared<Shared>();
    QEventLoop loop;
    shared->loop = &loop;
    call([shared](store::Result<T> r) {
        shared->result.emplace(std::move(r));
        if (shared->loop)
            shared->loop->quit();
    });
    if (!shared->result) {
        QTimer timer;
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        timer.start(timeoutMs);
        loop.exec();
    }
    shared->loop = nullptr;
    if (!shared->result)
        return store::Error{store::ErrorCode::Internal,
                            QStringLiteral("test: no answer within %1 ms").arg(timeoutMs)};
    return std::move(*shared->result);
}

} // namespace qpush::test

/// Fails the test unless the result is ok. The argument is evaluated once.
#define STORE_OK(expr)                                                                             \
    do {                                                                                           \
        const auto &store_ok_r_ = (expr);                                                          \
        QVERIFY2(store_ok_r_.ok(),                                                                 \
                 store_ok_r_.ok() ? "" : qPrintable(store_ok_r_.error().toString()));              \
    } while (false)
/// Fails the test unless the result is the error `c`.
#define STORE_ERR(expr, c)                                                                         \
    do {                                                                                           \
        const auto &store_err_r_ = (expr);                                                         \
        QVERIFY2(!store_err_r_.ok(), "expected an error, got a value");                            \
        QCOMPARE(qpush::store::errorCodeName(store_err_r_.error().code),                           \
                 qpush::store::errorCodeName(c));                                                  \
    } while (false)
