// The questions the console asks the user (confirmations, passwords, file
// names), behind one replaceable set of functions: the GUI uses dialogs,
// the widget tests answer them without a modal loop.
#pragma once

#include <QString>

#include <functional>
#include <optional>

class QWidget;

namespace qpush::admin {

struct Prompts
{
    // True when the user confirms `text` (which names what is lost).
    std::function<bool(QWidget *parent, const QString &title, const QString &text,
                       const QString &confirmLabel)>
        confirm;
    // nullopt when cancelled.
    std::function<std::optional<QString>(QWidget *parent, const QString &title,
                                         const QString &label, bool secret)>
        askText;
    // Empty when cancelled.
    std::function<QString(QWidget *parent, const QString &title, const QString &filter)> openFile;

    static Prompts interactive();
};

} // namespace qpush::admin
