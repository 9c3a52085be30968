#include "credentialstore.h"

#include <qt6keychain/keychain.h>

namespace qpush::admin {

void CredentialStore::store(const QString &account, const QString &password, Done done)
{
    auto *job = new QKeychain::WritePasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(account);
    job->setTextData(password);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        done(j->error() == QKeychain::NoError
                 ? QString()
                 : QStringLiteral("The password could not be stored in the keychain: ") +
                       j->errorString());
    });
    job->start();
}

void CredentialStore::load(const QString &account, Loaded done)
{
    auto *job = new QKeychain::ReadPasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(account);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
        if (j->error() == QKeychain::NoError)
            return done(read->textData(), {});
        done({}, j->error() == QKeychain::EntryNotFound
                     ? QStringLiteral("No password is stored for this server.")
                     : QStringLiteral("The keychain is not available: ") + j->errorString());
    });
    job->start();
}

void CredentialStore::remove(const QString &account, Done done)
{
    auto *job = new QKeychain::DeletePasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(account);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        done(j->error() == QKeychain::NoError || j->error() == QKeychain::EntryNotFound
                 ? QString()
                 : j->errorString());
    });
    job->start();
}

} // namespace qpush::admin
