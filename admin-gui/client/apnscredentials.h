// Reading APNs credentials from the files Apple hands out, in the console
// (SPEC §8: token key .p8, PEM certificate/key, PKCS#12 converted here):
// what the operator needs to see before saving (subject, topic, expiry) and
// every failure in words ("wrong password", "expired on ...").
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace qpush::admin {

struct CertificateInfo
{
    QString error; // empty when the certificate was read
    QString subject;
    QString topic; // the UID attribute of Apple push certificates (the bundle id)
    QDateTime expiry;
    bool expired = false;
    bool ok() const { return error.isEmpty(); }
};

// The first certificate of PEM text.
CertificateInfo describeCertificate(const QByteArray &pem);

struct Pkcs12Bundle
{
    QString error;
    bool wrongPassword = false;
    QByteArray certificatePem;
    QByteArray privateKeyPem;
    CertificateInfo info;
    bool ok() const { return error.isEmpty(); }
};

// Converts a .p12 / .pfx bundle to a PEM certificate and an unencrypted
// PEM private key (what the server's namespace apns entries hold).
Pkcs12Bundle convertPkcs12(const QByteArray &der, const QString &password);

struct TokenKey
{
    QString error;
    QByteArray pem;
    QString keyIdFromFileName; // AuthKey_<KEYID>.p8
    bool ok() const { return error.isEmpty(); }
};

// Checks a .p8 token key (PEM, EC P-256 as APNs requires).
TokenKey readTokenKey(const QByteArray &content, const QString &fileName = {});

// Empty when the PEM private key belongs to the PEM certificate, else why not.
QString checkKeyPair(const QByteArray &certificatePem, const QByteArray &keyPem);

} // namespace qpush::admin
