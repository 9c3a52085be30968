; Run by the NSIS installer (CPACK_NSIS_EXTRA_INSTALL_COMMANDS). When the
; optional "Windows service" component is ticked, register qpush-server as
; the service "qpush" (automatic start, LocalService account) and start it.
; The service mode (--windows-service) reports to the service control manager
; and stops gracefully on a stop request.
IfFileExists "$INSTDIR\doc\service.txt" 0 qpush_no_service
  nsExec::ExecToLog 'sc.exe stop qpush'
  nsExec::ExecToLog 'sc.exe delete qpush'
  nsExec::ExecToLog 'sc.exe create qpush binPath= "\"$INSTDIR\bin\qpush-server.exe\" --windows-service --config \"$INSTDIR\etc\qpush\config.yaml\" --data-dir \"$INSTDIR\data\"" start= auto obj= "NT AUTHORITY\LocalService" DisplayName= "qpush push server"'
  nsExec::ExecToLog 'sc.exe description qpush "qpush Socket.IO push server"'
  CreateDirectory "$INSTDIR\data"
  nsExec::ExecToLog 'icacls "$INSTDIR\data" /grant "NT AUTHORITY\LocalService:(OI)(CI)M"'
  nsExec::ExecToLog 'sc.exe start qpush'
qpush_no_service:
