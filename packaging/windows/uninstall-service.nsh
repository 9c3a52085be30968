; Run by the NSIS uninstaller: remove the service if it was registered. The
; data directory ($INSTDIR\data) is left in place, as on Linux.
nsExec::ExecToLog 'sc.exe stop qpush'
nsExec::ExecToLog 'sc.exe delete qpush'
