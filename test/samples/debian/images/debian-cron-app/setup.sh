#!/bin/sh
set -eu
chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/app-report
