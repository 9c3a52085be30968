#include "apnscert.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QSslCertificate>

namespace qpush::push {

namespace {
constexpr qint64 kMaxCertFileBytes = 64 * 1024;
constexpr qsizetype kMaxCached = 1024;

bool isPem(const QString &text)
{
    return text.contains(QLatin1String("-----BEGIN"));
}

CertSummary summarizePem(const QByteArray &pem, qint64 nowMs)
{
    CertSummary s;
    const QList<QSslCertificate> certs = QSslCertificate::fromData(pem, QSsl::Pem);
    if (certs.isEmpty() || certs.first().isNull()) {
        s.error = QStringLiteral("not a PEM certificate");
        return s;
    }
    const QSslCertificate &cert = certs.first();
    QStringList parts;
    for (const QByteArray &attr : cert.subjectInfoAttributes())
        parts.append(QString::fromLatin1(attr) + QLatin1Char('=') +
                     cert.subjectInfo(attr).join(QLatin1Char('+')));
    s.subject = parts.join(QStringLiteral(", "));
    const QStringList uid = cert.subjectInfo(QByteArrayLiteral("UID"));
    if (!uid.isEmpty()) {
        s.topic = uid.first();
    } else {
        // "Apple Push Services: com.example.app"
        const QString cn = cert.subjectInfo(QSslCertificate::CommonName).value(0);
        const qsizetype colon = cn.indexOf(QLatin1String(": "));
        if (colon >= 0)
            s.topic = cn.mid(colon + 2).trimmed();
    }
    s.expiryMs = cert.expiryDate().toMSecsSinceEpoch();
    if (s.expiryMs <= nowMs)
        s.error = QStringLiteral("the certificate expired on ") +
                  cert.expiryDate().toUTC().toString(Qt::ISODate);
    else if (cert.effectiveDate().toMSecsSinceEpoch() > nowMs)
        s.error = QStringLiteral("the certificate is not valid before ") +
                  cert.effectiveDate().toUTC().toString(Qt::ISODate);
    return s;
}
} // namespace

CertSummary summarizeCertificate(const QString &pemOrPath, qint64 nowMs)
{
    if (isPem(pemOrPath))
        return summarizePem(pemOrPath.toUtf8(), nowMs);
    CertSummary s;
    QFile file(pemOrPath);
    if (!QFileInfo(pemOrPath).isFile() || !file.open(QIODevice::ReadOnly)) {
        s.error = QStringLiteral("neither PEM text nor a readable file on the server");
        return s;
    }
    if (file.size() > kMaxCertFileBytes) {
        s.error = QStringLiteral("the certificate file is larger than 64 kB");
        return s;
    }
    return summarizePem(file.readAll(), nowMs);
}

CertSummary CertSummaryCache::get(const QString &pemOrPath, qint64 nowMs)
{
    QByteArray key;
    if (isPem(pemOrPath)) {
        key = "pem:" + QCryptographicHash::hash(pemOrPath.toUtf8(), QCryptographicHash::Sha256);
    } else {
        const QFileInfo fi(pemOrPath);
        key = "file:" + pemOrPath.toUtf8() + ':' + QByteArray::number(fi.size()) + ':' +
              QByteArray::number(fi.lastModified().toMSecsSinceEpoch());
    }
    auto it = m_cache.constFind(key);
    if (it != m_cache.constEnd()) {
        CertSummary s = *it;
        // Expiry is re-judged against the clock; the parse is what is cached.
        if (s.error.isEmpty() && s.expiryMs != 0 && s.expiryMs <= nowMs)
            return summarizeCertificate(pemOrPath, nowMs);
        return s;
    }
    if (m_cache.size() >= kMaxCached)
        m_cache.clear();
    CertSummary s = summarizeCertificate(pemOrPath, nowMs);
    m_cache.insert(key, s);
    return s;
}

} // namespace qpush::push
