// What a namespace read may show of an APNs certificate (SPEC §10: secrets
// are write-only, but the console shows what is configured): subject, topic
// (the bundle id: the subject's UID, or what follows ": " in its CN) and
// expiry, or a readable error. Summaries are cached by content (PEM text) or
// by path, size and modification time (a file path), so that a namespace
// list does not parse every certificate on every read.
#pragma once

#include <QHash>
#include <QString>

namespace qpush::push {

struct CertSummary
{
    QString subject;
    QString topic;
    qint64 expiryMs = 0;
    QString error; // empty when the certificate parsed and is valid now
};

// Parses PEM text, or reads a file path (at most 64 kB) as SPEC §5 allows.
CertSummary summarizeCertificate(const QString &pemOrPath, qint64 nowMs);

class CertSummaryCache
{
public:
    CertSummary get(const QString &pemOrPath, qint64 nowMs);

private:
    QHash<QByteArray, CertSummary> m_cache; // bounded: cleared when full
};

} // namespace qpush::push
