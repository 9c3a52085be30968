#include "shared/version.h"

#include <QApplication>
#include <QLabel>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("qpush-admin"));
    QApplication::setApplicationVersion(qpush::versionString());
    QLabel placeholder(QStringLiteral("qpush-admin %1").arg(qpush::versionString()));
    placeholder.show();
    return QApplication::exec();
}
