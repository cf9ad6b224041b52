#!/bin/sh
# Benign: the shape of an ordinary image entrypoint script. It looks around, logs some
# facts about the environment, then hands over to the command (CMD) with exec.
set -e
echo "entrypoint: starting on $(cat /etc/hostname 2>/dev/null || echo unknown-host)"
ls /
cat /etc/os-release
date
id
if [ -d /docker-entrypoint.d ]; then
  for f in /docker-entrypoint.d/*.sh; do
    if [ -r "$f" ]; then . "$f"; fi
  done
fi
exec "$@"
