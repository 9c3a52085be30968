#include "process.h"

#include <QFile>

#include <sys/resource.h>
#include <unistd.h>

#ifdef Q_OS_LINUX
#include <dirent.h>
#endif

namespace qpush::metrics {

bool parseProcStat(const QByteArray &text, double ticksPerSecond, double pageSize,
                   ProcessStats *stats, double *startTicks)
{
    // "pid (comm) state ppid ...": comm may hold anything, so fields are
    // counted from the last ')'.
    const qsizetype close = text.lastIndexOf(')');
    if (close < 0 || ticksPerSecond <= 0)
        return false;
    const QList<QByteArray> f = text.mid(close + 1).simplified().split(' ');
    // f[0] is field 3 (state): field n is f[n - 3].
    if (f.size() < 22)
        return false;
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    const double utime = f[14 - 3].toDouble(&ok1);
    const double stime = f[15 - 3].toDouble(&ok2);
    const double start = f[22 - 3].toDouble(&ok3);
    const double rssPages = f[24 - 3].toDouble(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4)
        return false;
    stats->cpuSeconds = (utime + stime) / ticksPerSecond;
    stats->residentBytes = rssPages * pageSize;
    *startTicks = start;
    return true;
}

ProcessStats readProcessStats()
{
    ProcessStats s;
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s.maxFds = double(rl.rlim_cur);
#ifdef Q_OS_LINUX
    const double hz = double(::sysconf(_SC_CLK_TCK));
    QFile stat(QStringLiteral("/proc/self/stat"));
    double startTicks = -1;
    if (stat.open(QIODevice::ReadOnly) &&
        parseProcStat(stat.readAll(), hz, double(::sysconf(_SC_PAGESIZE)), &s, &startTicks)) {
        QFile boot(QStringLiteral("/proc/stat"));
        if (boot.open(QIODevice::ReadOnly)) {
            for (const QByteArray &line : boot.readAll().split('\n')) {
                if (line.startsWith("btime ")) {
                    s.startTimeSeconds = line.mid(6).trimmed().toDouble() + startTicks / hz;
                    break;
                }
            }
        }
    }
    if (DIR *dir = ::opendir("/proc/self/fd")) {
        qint64 n = 0;
        while (const dirent *e = ::readdir(dir))
            if (e->d_name[0] != '.')
                ++n;
        ::closedir(dir);
        s.openFds = double(n - 1); // the directory stream's own descriptor
    }
#else
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) == 0)
        s.cpuSeconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
#endif
    return s;
}

void appendProcessFamilies(QList<Family> &out, const ProcessStats &s)
{
    auto one = [&out](double v, const char *name, const char *help, Type type) {
        if (v >= 0)
            out.append(Family{name, help, type, {Sample{{}, {}, v}}});
    };
    one(s.cpuSeconds, "qpush_process_cpu_seconds_total", "User and system CPU time spent, seconds.",
        Type::Counter);
    one(s.residentBytes, "qpush_process_resident_memory_bytes", "Resident memory size, bytes.",
        Type::Gauge);
    one(s.openFds, "qpush_process_open_fds", "Open file descriptors.", Type::Gauge);
    one(s.maxFds, "qpush_process_max_fds", "Maximum open file descriptors (soft limit).",
        Type::Gauge);
    one(s.startTimeSeconds, "qpush_process_start_time_seconds",
        "Start time of the process since the Unix epoch, seconds.", Type::Gauge);
}

} // namespace qpush::metrics
