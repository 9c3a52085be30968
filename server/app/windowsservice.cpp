#include "app/windowsservice.h"

#include <windows.h>

#include <thread>

namespace qpush::windowsservice {

namespace {

// The SCM calls plain C callbacks without a context pointer for ServiceMain,
// so the one service of this process keeps its state here.
struct State
{
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status = {};
    std::function<void()> stopRequested;
    HANDLE registered = nullptr; // set once ServiceMain ran (or the dispatcher failed)
    HANDLE finished = nullptr;   // set by reportStopped(): ServiceMain may return
    std::thread dispatcher;
};
State g_state;

void setState(DWORD state, DWORD exitCode = 0)
{
    if (!g_state.handle)
        return;
    g_state.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_state.status.dwCurrentState = state;
    g_state.status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    g_state.status.dwWin32ExitCode = exitCode ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
    g_state.status.dwServiceSpecificExitCode = exitCode;
    g_state.status.dwWaitHint =
        state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING ? 30000 : 0;
    ::SetServiceStatus(g_state.handle, &g_state.status);
}

DWORD WINAPI controlHandler(DWORD control, DWORD, LPVOID, LPVOID)
{
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        setState(SERVICE_STOP_PENDING);
        if (g_state.stopRequested)
            g_state.stopRequested();
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI serviceMain(DWORD, LPWSTR *)
{
    g_state.handle = ::RegisterServiceCtrlHandlerExW(L"qpush", controlHandler, nullptr);
    setState(SERVICE_START_PENDING);
    ::SetEvent(g_state.registered);
    if (g_state.handle)
        ::WaitForSingleObject(g_state.finished, INFINITE);
}

} // namespace

bool connect(std::function<void()> stopRequested)
{
    g_state.stopRequested = std::move(stopRequested);
    g_state.registered = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    g_state.finished = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    g_state.dispatcher = std::thread([] {
        static SERVICE_TABLE_ENTRYW table[] = {{const_cast<LPWSTR>(L"qpush"), serviceMain},
                                               {nullptr, nullptr}};
        // Blocks until the service stopped; fails at once outside the SCM.
        if (!::StartServiceCtrlDispatcherW(table))
            ::SetEvent(g_state.registered);
    });
    ::WaitForSingleObject(g_state.registered, INFINITE);
    if (!g_state.handle) {
        g_state.dispatcher.join();
        return false;
    }
    return true;
}

void reportRunning()
{
    setState(SERVICE_RUNNING);
}

void reportStopped(int exitCode)
{
    if (!g_state.handle)
        return;
    setState(SERVICE_STOPPED, DWORD(exitCode));
    ::SetEvent(g_state.finished);
    if (g_state.dispatcher.joinable())
        g_state.dispatcher.join();
}

} // namespace qpush::windowsservice
