#include "prompts.h"

#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>

namespace qpush::admin {

Prompts Prompts::interactive()
{
    Prompts p;
    p.confirm = [](QWidget *parent, const QString &title, const QString &text,
                   const QString &confirmLabel) {
        QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
        QPushButton *ok = box.addButton(confirmLabel, QMessageBox::DestructiveRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        return box.clickedButton() == ok;
    };
    p.askText = [](QWidget *parent, const QString &title, const QString &label,
                   bool secret) -> std::optional<QString> {
        bool ok = false;
        const QString text = QInputDialog::getText(
            parent, title, label, secret ? QLineEdit::Password : QLineEdit::Normal, {}, &ok);
        if (!ok)
            return std::nullopt;
        return text;
    };
    p.openFile = [](QWidget *parent, const QString &title, const QString &filter) {
        return QFileDialog::getOpenFileName(parent, title, {}, filter);
    };
    return p;
}

} // namespace qpush::admin
