// qpush-render-icons SVG OUTDIR: writes OUTDIR/<n>x<n>/apps/qpush-admin.png
// for the sizes desktops look up in the hicolor theme.
#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    const QStringList args = QGuiApplication::arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: qpush-render-icons SVG OUTDIR\n");
        return 2;
    }
    QSvgRenderer svg(args.at(1));
    if (!svg.isValid())
        return 1;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        const QString dir = QStringLiteral("%1/%2x%2/apps").arg(args.at(2)).arg(size);
        QDir().mkpath(dir);
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter p(&image);
        p.setRenderHint(QPainter::Antialiasing);
        svg.render(&p);
        p.end();
        if (!image.save(dir + QStringLiteral("/qpush-admin.png")))
            return 1;
    }
    return 0;
}
