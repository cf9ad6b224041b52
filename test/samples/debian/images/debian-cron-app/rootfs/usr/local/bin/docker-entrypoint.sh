#!/bin/sh
set -eu

if [ "${1:-}" = cron ]; then
	# the run-time user: its uid is a setting, so it is created here rather than at build time
	if ! getent passwd "$APP_USER" >/dev/null; then
		echo "creating user $APP_USER ($APP_UID)"
		groupadd --gid "$APP_UID" "$APP_USER"
		useradd --uid "$APP_UID" --gid "$APP_USER" --home-dir "$APP_HOME" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
	fi

	mkdir -p "$APP_HOME" /var/log/app
	chown -R "$APP_USER:$APP_USER" "$APP_HOME" /var/log/app

	# render the configuration from the environment, then fill in what only the container knows
	envsubst '${APP_HOME} ${LOG_LEVEL}' </etc/app/app.conf.template >/etc/app/app.conf
	sed -i "s/^instance = .*/instance = $(hostname)/" /etc/app/app.conf

	# install the job's schedule
	envsubst '${REPORT_SCHEDULE} ${APP_USER} ${APP_HOME}' </etc/app/crontab.template >/etc/cron.d/app
	chmod 0644 /etc/cron.d/app

	echo "starting cron (schedule: $REPORT_SCHEDULE)"
fi

exec "$@"
