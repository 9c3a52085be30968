// Helpers shared by the fuzz targets (tests/fuzz/fuzz_*.cpp). A target is
// one LLVMFuzzerTestOneInput; the same source is linked with libFuzzer in the
// clang build (QPUSH_FUZZ=ON, scripts/fuzz.sh) and with replay_main.cpp in the
// normal build, where CTest replays the seed corpus and the regression inputs.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

// A property every input must keep (a round trip, split independence).
// Aborts, which libFuzzer reports as a crash and saves the input.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__,             \
                         #condition);                                                              \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

namespace qpush::fuzz {

// The fuzzer's bytes without a copy (valid for the duration of the call).
inline QByteArrayView bytes(const uint8_t *data, size_t size)
{
    return QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Splits at every `separator`; always at least one (possibly empty) part.
inline QList<QByteArrayView> split(QByteArrayView in, char separator)
{
    QList<QByteArrayView> parts;
    for (;;) {
        const qsizetype at = in.indexOf(separator);
        if (at < 0) {
            parts.append(in);
            return parts;
        }
        parts.append(in.first(at));
        in = in.sliced(at + 1);
    }
}

// A read size derived from the input itself (1..13 bytes), so that the same
// input always splits the same way and the split varies between inputs.
inline qsizetype stepFor(QByteArrayView in)
{
    unsigned h = 2166136261u;
    for (char c : in)
        h = (h ^ uchar(c)) * 16777619u;
    return qsizetype(h % 13) + 1;
}

} // namespace qpush::fuzz
