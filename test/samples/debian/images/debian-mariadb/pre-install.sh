#!/bin/sh
# As the official mariadb Dockerfile: the mysql user and group with fixed ids before the package.
set -eu
groupadd -r mysql --gid=999
useradd -r -g mysql --uid=999 --home-dir=/var/lib/mysql --shell=/bin/false mysql
