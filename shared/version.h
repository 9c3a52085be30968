#pragma once
#include <QString>
namespace qpush {
// The product version, as set in the top-level CMakeLists.txt.
QString versionString();
} // namespace qpush
