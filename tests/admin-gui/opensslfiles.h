#pragma once
// APNs-like credential files made at test time with the openssl CLI: a
// certificate whose subject carries the topic as UID (as Apple's do), its
// key, a password-protected .p12 of both, and an EC P-256 .p8 token key.
// Header-only.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace qpush::test {

inline bool runOpenssl(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QString::fromUtf8(QPUSH_OPENSSL_BIN), args);
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        qWarning("openssl %s failed: %s", qPrintable(args.join(u' ')),
                 p.readAllStandardError().constData());
        return false;
    }
    return true;
}

struct PushCertificateFiles
{
    QString certPem, keyPem, p12;
    bool ok = false;
};

// `expired`: valid Jan 2020 only (signed with `openssl ca`, which takes dates).
inline PushCertificateFiles makePushCertificate(const QString &dir, const QString &topic,
                                                const QString &p12Password, bool expired = false)
{
    PushCertificateFiles f;
    const QString base = QDir(dir).filePath(topic);
    f.certPem = base + QStringLiteral(".crt.pem");
    f.keyPem = base + QStringLiteral(".key.pem");
    f.p12 = base + QStringLiteral(".p12");
    const QString subject = QStringLiteral("/UID=%1/CN=Apple Push Services: %1").arg(topic);
    if (!expired) {
        if (!runOpenssl(dir, {QStringLiteral("req"), QStringLiteral("-x509"),
                              QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                              QStringLiteral("-nodes"), QStringLiteral("-keyout"), f.keyPem,
                              QStringLiteral("-out"), f.certPem, QStringLiteral("-subj"), subject,
                              QStringLiteral("-days"), QStringLiteral("365")}))
            return f;
    } else {
        const QString caDir = base + QStringLiteral("-ca");
        QDir().mkpath(caDir);
        QFile(caDir + QStringLiteral("/index.txt")).open(QIODevice::WriteOnly);
        QFile serial(caDir + QStringLiteral("/serial"));
        serial.open(QIODevice::WriteOnly);
        serial.write("01\n");
        serial.close();
        QFile cnf(caDir + QStringLiteral("/ca.cnf"));
        cnf.open(QIODevice::WriteOnly);
        cnf.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                  "serial = serial\ndefault_md = sha256\npolicy = p\npreserve = yes\n"
                  "[p]\nUID = optional\ncommonName = supplied\n");
        cnf.close();
        const QString csr = caDir + QStringLiteral("/req.csr");
        if (!runOpenssl(caDir, {QStringLiteral("req"), QStringLiteral("-new"),
                                QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                                QStringLiteral("-nodes"), QStringLiteral("-keyout"), f.keyPem,
                                QStringLiteral("-out"), csr, QStringLiteral("-subj"), subject}))
            return f;
        if (!runOpenssl(caDir,
                        {QStringLiteral("ca"), QStringLiteral("-batch"), QStringLiteral("-config"),
                         QStringLiteral("ca.cnf"), QStringLiteral("-selfsign"),
                         QStringLiteral("-keyfile"), f.keyPem, QStringLiteral("-in"), csr,
                         QStringLiteral("-out"), f.certPem, QStringLiteral("-startdate"),
                         QStringLiteral("20200101000000Z"), QStringLiteral("-enddate"),
                         QStringLiteral("20200201000000Z"), QStringLiteral("-notext")}))
            return f;
    }
    if (!runOpenssl(dir,
                    {QStringLiteral("pkcs12"), QStringLiteral("-export"), QStringLiteral("-in"),
                     f.certPem, QStringLiteral("-inkey"), f.keyPem, QStringLiteral("-out"), f.p12,
                     QStringLiteral("-passout"), QStringLiteral("pass:") + p12Password}))
        return f;
    f.ok = true;
    return f;
}

// An APNs token key (EC P-256, PKCS#8 PEM) named AuthKey_<keyId>.p8.
inline QString makeTokenKey(const QString &dir, const QString &keyId)
{
    const QString path = QDir(dir).filePath(QStringLiteral("AuthKey_%1.p8").arg(keyId));
    if (!runOpenssl(dir, {QStringLiteral("genpkey"), QStringLiteral("-algorithm"),
                          QStringLiteral("EC"), QStringLiteral("-pkeyopt"),
                          QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-out"), path}))
        return {};
    return path;
}

inline QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace qpush::test
