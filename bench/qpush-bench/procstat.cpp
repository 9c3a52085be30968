#include "procstat.h"

#include "common.h"

#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace qpushbench {

ProcSample sampleProcess(int pid)
{
    ProcSample s;
    if (pid <= 0)
        return s;
    const std::string base = "/proc/" + std::to_string(pid);
    std::ifstream stat(base + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return s;
    // Fields after the command name in parentheses: state is field 3,
    // utime 14, stime 15.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::stoull(field);
        if (i == 15)
            stime = std::stoull(field);
    }
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    std::ifstream status(base + "/status");
    while (std::getline(status, line)) {
        uint64_t v = 0;
        if (line.starts_with("VmRSS:") && findNumber(line, ":", v))
            s.rssKb = v;
        if (line.starts_with("Threads:") && findNumber(line, ":", v))
            s.threads = v;
    }
    s.ok = true;
    return s;
}

} // namespace qpushbench
