#!/bin/sh
set -eu
chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/healthcheck
# the company CA the entrypoint trusts at start (update-ca-certificates)
mkdir -p /usr/local/share/ca-certificates
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=admin-ops-internal-ca -days 3650 \
  -keyout /tmp/ca.key -out /usr/local/share/ca-certificates/admin-ops-ca.crt 2>/dev/null
rm -f /tmp/ca.key
# the locale the entrypoint generates at start
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
# this service trusts only its internal CA: the public bundle is deselected, so the start-up
# update-ca-certificates has one certificate to link (and stays quick under a tracer)
sed -i '/^!\{0,1\}mozilla\//d' /etc/ca-certificates.conf
update-ca-certificates --fresh >/dev/null 2>&1
rm -f /etc/ssl/certs/admin-ops-ca.pem
