#!/bin/sh
# Ordinary start-up admin work, then exec the service as its own user.
set -eu

# the service user and group (their ids are settings, so they are created at start)
if ! getent group "$APP_USER" >/dev/null; then groupadd --system --gid "$APP_UID" "$APP_USER"; fi
if ! getent passwd "$APP_USER" >/dev/null; then
	useradd --system --uid "$APP_UID" --gid "$APP_USER" --home-dir "$APP_HOME" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
fi
mkdir -p "$APP_HOME/data" "$APP_HOME/www" /var/log/admin-ops

# the service's own configuration under /etc, edited in place
sed -i "s/^port = .*/port = $APP_PORT/" /etc/admin-ops/admin-ops.conf
sed -i "s/^log_level = .*/log_level = $LOG_LEVEL/" /etc/admin-ops/admin-ops.conf
envsubst '${APP_HOME} ${APP_PORT}' </etc/admin-ops/index.html.template >"$APP_HOME/www/index.html"

# trust the internal CA shipped in /usr/local/share/ca-certificates; generate the locale
update-ca-certificates
locale-gen

# the data directories belong to the service user
chown -R "$APP_USER:$APP_USER" "$APP_HOME" /var/log/admin-ops

# package-manager cache cleanup
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old

serve() { exec setpriv --reuid="$APP_USER" --regid="$APP_USER" --init-groups busybox httpd -f -p "$APP_PORT" -h "$APP_HOME/www"; }

if [ "${1:-}" = serve ]; then
	# an orchestrator-style healthcheck beside the service, every 2 s
	( while :; do sleep 1; /usr/local/bin/healthcheck && echo healthy || echo "healthcheck failed"; sleep 1; done ) &
	serve
fi
if [ "${1:-}" = selftest ]; then
	# start the service as its user, probe it the way an orchestrator's healthcheck does, stop it
	( serve ) &
	pid=$!
	for i in 1 2 3; do
		sleep 1
		if /usr/local/bin/healthcheck; then echo "healthy (try $i)"; break; fi
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true
	echo "selftest done"
	exit 0
fi
exec "$@"
