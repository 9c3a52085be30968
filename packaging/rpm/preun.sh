# qpush %preun: stop and disable the service on the last removal.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now qpush-server.service || :
fi
