// Server process figures from /proc: resident memory and CPU time.
#pragma once

#include <cstdint>

namespace qpushbench {

struct ProcSample
{
    bool ok = false;
    uint64_t rssKb = 0;    // VmRSS
    double cpuSeconds = 0; // utime + stime, all threads
    uint64_t threads = 0;
};

ProcSample sampleProcess(int pid);

} // namespace qpushbench
