#include "certificatetrust.h"

#include <QSslCertificate>

namespace qpush::admin {

void CertificateTrust::addRemembered(const QString &server, const QStringList &digests)
{
    for (const QString &d : digests)
        m_trusted.insert(server + QLatin1Char(' ') + d);
}

QString CertificateTrust::digestOf(const QSslCertificate &certificate)
{
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':'));
}

QString CertificateTrust::describe(const QList<QSslError> &errors)
{
    QStringList lines;
    for (const QSslError &e : errors) {
        QString line = e.errorString();
        if (!e.certificate().isNull())
            line += QStringLiteral(" (certificate: %1)")
                        .arg(e.certificate().subjectInfo(QSslCertificate::CommonName).join(u", "));
        lines.append(line);
    }
    return lines.join(QLatin1Char('\n'));
}

bool CertificateTrust::accept(const QString &server, const QList<QSslError> &errors)
{
    if (errors.isEmpty())
        return true;
    QSslCertificate cert;
    for (const QSslError &e : errors)
        if (!e.certificate().isNull()) {
            cert = e.certificate();
            break;
        }
    // Without a certificate there is nothing the user could pin.
    if (cert.isNull())
        return false;
    const QString digest = digestOf(cert);
    const QString key = server + QLatin1Char(' ') + digest;
    if (m_trusted.contains(key))
        return true;
    const Decision d = m_asker ? m_asker(server, errors) : Decision::Reject;
    if (d == Decision::Reject)
        return false;
    m_trusted.insert(key);
    if (d == Decision::AcceptAndRemember && m_remember)
        m_remember(server, digest);
    return true;
}

} // namespace qpush::admin
