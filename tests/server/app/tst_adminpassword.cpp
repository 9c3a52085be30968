// AdminPassword: configured override, generation on first start, persistence
// with owner-only permissions, reuse, and errors as values.
#include "app/adminpassword.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using qpush::AdminPassword;
using qpush::Config;
using qpush::ConfigError;

namespace {

constexpr QFileDevice::Permissions kOwnerRw = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
constexpr QFileDevice::Permissions kGroupOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                 QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                 QFileDevice::WriteOther | QFileDevice::ExeOther;

Config withDataDir(const QString &dir)
{
    Config c;
    c.data_dir = dir;
    return c;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

const QRegularExpression kPasswordShape(u"^[A-Za-z0-9]{24}$"_s);

} // namespace

class TestAdminPassword : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void configuredPasswordWins();
    void generatesOnFirstStart();
    void reusesStoredPassword();
    void storedPasswordIsTrimmed();
    void emptyFileIsReplaced();
    void loosePermissionsAreTightened();
    void eachDataDirGetsItsOwn();
    void unwritableDataDirIsAnError_data();
    void unwritableDataDirIsAnError();
    void unreadableFileIsAnError();
    void generate_data();
    void generate();
};

void TestAdminPassword::configuredPasswordWins()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    Config c = withDataDir(tmp.filePath(u"data"_s));
    c.admin_passwd = u"configured:pw"_s;
    QString notice = u"stale"_s;
    const auto r = AdminPassword::resolve(c, &notice);
    QVERIFY(std::holds_alternative<QString>(r));
    QCOMPARE(std::get<QString>(r), u"configured:pw"_s);
    QVERIFY(notice.isEmpty());
    QVERIFY(!QFile::exists(AdminPassword::filePath(c)));
    QVERIFY(!QDir(c.data_dir).exists()); // nothing created on disk

    // A configured password also wins over a stored one.
    QVERIFY(QDir().mkpath(c.data_dir));
    QFile f(AdminPassword::filePath(c));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("stored\n");
    f.close();
    QCOMPARE(std::get<QString>(AdminPassword::resolve(c, nullptr)), u"configured:pw"_s);
    QCOMPARE(readAll(AdminPassword::filePath(c)), "stored\n"_ba);
}

void TestAdminPassword::generatesOnFirstStart()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.filePath(u"nested/data"_s)); // created on demand
    const QString path = AdminPassword::filePath(c);
    QCOMPARE(path, tmp.filePath(u"nested/data/admin_passwd"_s));

    QString notice;
    const auto r = AdminPassword::resolve(c, &notice);
    if (const auto *e = std::get_if<ConfigError>(&r))
        QFAIL(qPrintable(e->message));
    const QString pw = std::get<QString>(r);
    QVERIFY2(kPasswordShape.match(pw).hasMatch(), qPrintable(pw));

    QCOMPARE(readAll(path), pw.toUtf8() + '\n');
    const QFileDevice::Permissions perms = QFile::permissions(path);
    QVERIFY(perms & QFileDevice::ReadOwner);
    QVERIFY(perms & QFileDevice::WriteOwner);
    QVERIFY2(!(perms & kGroupOther), "the password file is readable by others");
    QVERIFY(!(perms & QFileDevice::ExeOwner));
    QVERIFY2(!(QFile::permissions(c.data_dir) & kGroupOther),
             "a data dir created by qpush is open to others");

    // The notice tells the operator the password, the user and where it is.
    QVERIFY(notice.contains(pw));
    QVERIFY(notice.contains(u"admin"_s));
    QVERIFY(notice.contains(QDir::cleanPath(path)));
    // No temporary file from the atomic write is left behind.
    QCOMPARE(QDir(c.data_dir).entryList(QDir::Files | QDir::Hidden),
             QStringList{u"admin_passwd"_s});
}

void TestAdminPassword::reusesStoredPassword()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.path());
    QString notice;
    const QString first = std::get<QString>(AdminPassword::resolve(c, &notice));
    QVERIFY(!notice.isEmpty());
    for (int i = 0; i < 3; ++i) {
        notice = u"stale"_s;
        const auto again = AdminPassword::resolve(c, &notice);
        QVERIFY(std::holds_alternative<QString>(again));
        QCOMPARE(std::get<QString>(again), first);
        QVERIFY2(notice.isEmpty(), "the password was announced twice");
    }
}

void TestAdminPassword::storedPasswordIsTrimmed()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.path());
    QFile f(AdminPassword::filePath(c));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("  chosen-by-hand\r\n");
    f.close();
    QString notice;
    QCOMPARE(std::get<QString>(AdminPassword::resolve(c, &notice)), u"chosen-by-hand"_s);
    QVERIFY(notice.isEmpty());
}

void TestAdminPassword::emptyFileIsReplaced()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.path());
    QFile f(AdminPassword::filePath(c));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("\n");
    f.close();
    QString notice;
    const QString pw = std::get<QString>(AdminPassword::resolve(c, &notice));
    QVERIFY(kPasswordShape.match(pw).hasMatch());
    QVERIFY(notice.contains(pw));
    QCOMPARE(readAll(AdminPassword::filePath(c)), pw.toUtf8() + '\n');
}

void TestAdminPassword::loosePermissionsAreTightened()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.path());
    const QString pw = std::get<QString>(AdminPassword::resolve(c, nullptr));
    const QString path = AdminPassword::filePath(c);
    QVERIFY(
        QFile::setPermissions(path, kOwnerRw | QFileDevice::ReadGroup | QFileDevice::ReadOther));
    QVERIFY(QFile::permissions(path) & QFileDevice::ReadOther);
    QCOMPARE(std::get<QString>(AdminPassword::resolve(c, nullptr)), pw);
    QVERIFY(!(QFile::permissions(path) & kGroupOther));
}

void TestAdminPassword::eachDataDirGetsItsOwn()
{
    QTemporaryDir a;
    QTemporaryDir b;
    QVERIFY(a.isValid() && b.isValid());
    const QString pa = std::get<QString>(AdminPassword::resolve(withDataDir(a.path()), nullptr));
    const QString pb = std::get<QString>(AdminPassword::resolve(withDataDir(b.path()), nullptr));
    QVERIFY(pa != pb);
}

void TestAdminPassword::unwritableDataDirIsAnError_data()
{
    // Paths that cannot become a directory even for root: below a regular
    // file, or a regular file itself.
    QTest::addColumn<QString>("relativeDataDir");
    QTest::newRow("below a file") << u"file/data"_s;
    QTest::newRow("is a file") << u"file"_s;
}

void TestAdminPassword::unwritableDataDirIsAnError()
{
    QFETCH(QString, relativeDataDir);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QFile blocker(tmp.filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const Config c = withDataDir(tmp.filePath(relativeDataDir));
    QString notice = u"stale"_s;
    const auto r = AdminPassword::resolve(c, &notice);
    QVERIFY(std::holds_alternative<ConfigError>(r));
    const ConfigError e = std::get<ConfigError>(r);
    QCOMPARE(e.exitCode, 1);
    QVERIFY2(e.message.contains(c.data_dir), qPrintable(e.message));
    QVERIFY(notice.isEmpty());
}

void TestAdminPassword::unreadableFileIsAnError()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const Config c = withDataDir(tmp.path());
    // A directory where the file should be cannot be read as a password.
    QVERIFY(QDir().mkpath(AdminPassword::filePath(c)));
    const auto r = AdminPassword::resolve(c, nullptr);
    QVERIFY(std::holds_alternative<ConfigError>(r));
    QVERIFY(std::get<ConfigError>(r).message.contains(AdminPassword::filePath(c)));
}

void TestAdminPassword::generate_data()
{
    QTest::addColumn<int>("length");
    QTest::newRow("1") << 1;
    QTest::newRow("24") << 24;
    QTest::newRow("64") << 64;
}

void TestAdminPassword::generate()
{
    QFETCH(int, length);
    const QRegularExpression shape(u"^[A-Za-z0-9]+$"_s);
    QSet<QString> seen;
    QSet<QChar> chars;
    for (int i = 0; i < 200; ++i) {
        const QString pw = AdminPassword::generate(length);
        QCOMPARE(pw.size(), length);
        QVERIFY2(shape.match(pw).hasMatch(), qPrintable(pw));
        seen.insert(pw);
        for (QChar ch : pw)
            chars.insert(ch);
    }
    if (length >= 24)
        QCOMPARE(seen.size(), 200); // 62^24 possibilities: a repeat means a broken generator
    // The whole alphabet is used, not a fixed subset.
    QVERIFY2(chars.size() > (length == 1 ? 40 : 60), qPrintable(QString::number(chars.size())));
}

QTEST_GUILESS_MAIN(TestAdminPassword)
#include "tst_adminpassword.moc"
