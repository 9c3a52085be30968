// Screenshot tour (qpush-admin --screenshots DIR): logs in, opens every
// main view of one namespace against a running server and saves each as a
// PNG. Used by scripts/console-screenshots.sh for docs/console/.
#pragma once

#include <QString>

namespace qpush::admin {

class ApiClient;
class ConsoleSettings;
struct Session;

struct ScreenshotOptions
{
    QString directory;
    QString namespaceKey; // the namespace to show
    QString clientId;     // looked up in the Clients view
};

// Runs the tour; returns the process exit code (0 when every PNG was written).
int runScreenshotTour(ApiClient *api, ConsoleSettings *settings, const Session &session,
                      const ScreenshotOptions &options);

} // namespace qpush::admin
