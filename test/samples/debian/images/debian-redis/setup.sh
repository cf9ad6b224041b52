#!/bin/sh
# Runs in the build chroot after the packages are installed. Debian's redis-server postinst
# created the redis user; the official image runs from /data, owned by it.
set -eu
mkdir -p /data
chown redis:redis /data
chmod 0755 /usr/local/bin/docker-entrypoint.sh
gosu nobody true
