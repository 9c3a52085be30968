// The process figures an operator alerts on, read at scrape time: CPU
// seconds, resident memory, open and allowed descriptors, start time.
// From /proc on Linux; elsewhere only what POSIX getrusage/getrlimit give.
#pragma once

#include "exposition.h"

#include <QList>

namespace qpush::metrics {

struct ProcessStats
{
    double cpuSeconds = -1;    // user + system; -1 when unknown
    double residentBytes = -1; // RSS
    double openFds = -1;
    double maxFds = -1;           // soft RLIMIT_NOFILE
    double startTimeSeconds = -1; // since the Unix epoch
};

ProcessStats readProcessStats();

// Parses the text of /proc/self/stat (pure; the command name may hold
// spaces and parentheses). Fills cpuSeconds, residentBytes and the start
// time in clock ticks since boot; false when the text is not such a line.
bool parseProcStat(const QByteArray &text, double ticksPerSecond, double pageSize,
                   ProcessStats *stats, double *startTicks);

// Appends the qpush_process_* families (the ones known on this system).
void appendProcessFamilies(QList<Family> &out, const ProcessStats &stats);

} // namespace qpush::metrics
