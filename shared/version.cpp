#include "shared/version.h"
namespace qpush {
QString versionString()
{
    return QStringLiteral(QPUSH_VERSION);
}
} // namespace qpush
