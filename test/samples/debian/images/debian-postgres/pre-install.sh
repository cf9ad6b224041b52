#!/bin/sh
# As the official postgres Dockerfile: the postgres user with a fixed uid, then postgresql-common
# with the main cluster creation turned off (the entrypoint runs initdb on first start instead).
set -eu
groupadd -r postgres --gid=999
useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres
mkdir -p /var/lib/postgresql
chown -R postgres:postgres /var/lib/postgresql
apt-get -y -q --no-install-recommends -o Dpkg::Use-Pty=0 install postgresql-common
sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf
