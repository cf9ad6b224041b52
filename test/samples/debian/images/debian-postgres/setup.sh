#!/bin/sh
set -eu
# make the sample config easier to munge (and "correct by default")
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample
grep -F "listen_addresses = '*'" /usr/share/postgresql/15/postgresql.conf.sample
mkdir -p /var/run/postgresql && chown -R postgres:postgres /var/run/postgresql && chmod 3777 /var/run/postgresql
mkdir -p /var/lib/postgresql/data && chown -R postgres:postgres /var/lib/postgresql/data && chmod 1777 /var/lib/postgresql/data
chmod 0755 /usr/local/bin/docker-entrypoint.sh
chmod 0755 /docker-entrypoint-initdb.d
chmod 0644 /docker-entrypoint-initdb.d/*
