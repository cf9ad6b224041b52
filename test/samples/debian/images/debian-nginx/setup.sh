#!/bin/sh
# Runs in the build chroot after the packages are installed (the official image's Dockerfile steps).
set -eu
# official layout: the server block lives in conf.d/default.conf, not Debian's sites-enabled/default
rm -f /etc/nginx/sites-enabled/default
# forward request and error logs to the docker log collector
ln -sf /dev/stdout /var/log/nginx/access.log
ln -sf /dev/stderr /var/log/nginx/error.log
# the checksum of the packaged default.conf, which 10-listen-on-ipv6-by-default.sh compares against
md5sum /etc/nginx/conf.d/default.conf | cut -d' ' -f1 >/usr/share/nginx/default.conf.md5
chmod 0755 /docker-entrypoint.sh /docker-entrypoint.d/*.sh
