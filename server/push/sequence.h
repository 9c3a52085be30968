// A flat asynchronous sequence: steps written one under the other instead of
// callbacks nested inside callbacks. Each step gets a `next` to call when its
// work (a store call, a webhook) is done; a step that ends the sequence early
// (a refusal, an error) answers its caller itself and does not call `next`.
// Before every step the context object is checked: once it is gone (the
// socket closed, the worker destroyed) the sequence stops and `abandoned`
// runs instead, so no step touches a dead object.
//
//     Sequence(socket, [=] { refuse("client gone"); })
//         .then([=](const Sequence::Next &next) { store->a(..., [=](auto r) { next(); }); })
//         .then([=](const Sequence::Next &) { done(); })
//         .run();
#pragma once

#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace qpush::push {

class Sequence
{
public:
    using Next = std::function<void()>;
    using Step = std::function<void(const Next &next)>;

    // `context` may be null (no check); `abandoned` may be empty.
    explicit Sequence(QObject *context, std::function<void()> abandoned = {})
        : m_run(std::make_shared<Run>())
    {
        m_run->context = context;
        m_run->guarded = context != nullptr;
        m_run->abandoned = std::move(abandoned);
    }

    Sequence &then(Step step)
    {
        m_run->steps.append(std::move(step));
        return *this;
    }

    // Starts the first step. The steps share the sequence's life: it ends
    // when the last `next` is dropped.
    void run() { advance(m_run, 0); }

private:
    struct Run
    {
        QPointer<QObject> context;
        bool guarded = false;
        std::function<void()> abandoned;
        QList<Step> steps;
        qsizetype position = 0; // index of the next step to start
    };

    // Runs step `index` unless it ran already (a `next` called twice).
    static void advance(const std::shared_ptr<Run> &run, qsizetype index)
    {
        if (run->position != index || index >= run->steps.size())
            return;
        run->position = index + 1;
        if (run->guarded && !run->context) {
            if (run->abandoned)
                run->abandoned();
            return;
        }
        const Step &step = run->steps.at(index);
        step([run, index] { advance(run, index + 1); });
    }

    std::shared_ptr<Run> m_run;
};

} // namespace qpush::push
