#!/bin/bash
# First-start flow of the official mariadb image, written for Quarantine's false-positive suite:
# as root, fix the data directory's owner and re-exec as mysql with gosu; on an empty data
# directory, install the system tables, start a temporary server on its socket only, set the root
# password, create the application database and user, run /docker-entrypoint-initdb.d, stop the
# temporary server; then exec the real server.
set -eo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi

if [ "$1" = 'mariadbd' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p /var/lib/mysql /run/mysqld
	find /var/lib/mysql /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
	log "switching to dedicated user 'mysql'"
	exec gosu mysql "${BASH_SOURCE[0]}" "$@"
fi

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock

sql() { mariadb --protocol=socket --socket="$socket" -uroot ${ROOT_PW:+-p"$ROOT_PW"} "$@"; }

if [ "$1" = 'mariadbd' ] && [ ! -d "$datadir/mysql" ]; then
	log 'initializing database files'
	mariadb-install-db --datadir="$datadir" --user=mysql --auth-root-authentication-method=normal \
		--skip-test-db --skip-log-bin --skip-name-resolve --loose-innodb_buffer_pool_size=16M > /dev/null
	log 'starting temporary server'
	mariadbd --datadir="$datadir" --skip-networking --socket="$socket" --skip-log-bin \
		--innodb_buffer_pool_size=16M --loose-innodb_use_native_aio=0 &
	pid=$!
	for _ in $(seq 60); do
		if sql -e 'SELECT 1' > /dev/null 2>&1; then break; fi
		sleep 0.5
	done
	log 'securing the system users and creating the database'
	sql <<-SQL
		SET @@SESSION.SQL_LOG_BIN=0;
		DELETE FROM mysql.user WHERE user NOT IN ('mysql.sys', 'mariadb.sys', 'root') OR host NOT IN ('localhost');
		ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}';
		CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;
		CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}';
		GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'%';
	SQL
	ROOT_PW="$MARIADB_ROOT_PASSWORD"
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sql) log "running $f"; sql "$MARIADB_DATABASE" < "$f" ;;
			*.sh) log "sourcing $f"; . "$f" ;;
			*) log "ignoring $f" ;;
		esac
	done
	log 'stopping temporary server'
	kill "$pid"
	wait "$pid"
	log 'init process done, ready for start up'
fi

exec "$@" --innodb_buffer_pool_size=16M --loose-innodb_use_native_aio=0
