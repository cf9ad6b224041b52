#!/bin/sh
# Runs in the build chroot after the packages are installed: an empty data directory owned by
# mysql (the entrypoint initialises it on first start), the socket directory, no Debian-created
# system tables, and the server listening on all interfaces as in the official image.
set -eu
rm -rf /var/lib/mysql && mkdir -p /var/lib/mysql /run/mysqld
chown -R mysql:mysql /var/lib/mysql /run/mysqld
chmod 0755 /usr/local/bin/docker-entrypoint.sh
chmod 0755 /docker-entrypoint-initdb.d && chmod 0644 /docker-entrypoint-initdb.d/*
printf '[mariadbd]\nbind-address = 0.0.0.0\nskip-name-resolve\n' > /etc/mysql/mariadb.conf.d/90-docker.cnf
gosu nobody true
