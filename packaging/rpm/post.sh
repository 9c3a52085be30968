# qpush %post: service user, config ownership, systemd reload.
if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers qpush.conf || :
fi
if ! getent passwd qpush >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/qpush --no-create-home \
        --shell /sbin/nologin --comment "qpush push server" qpush || :
fi
if [ -f /etc/qpush/config.yaml ]; then
    chown root:qpush /etc/qpush/config.yaml || :
    chmod 0640 /etc/qpush/config.yaml || :
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || :
    if [ "$1" -gt 1 ]; then
        systemctl try-restart qpush-server.service || :
    fi
fi
