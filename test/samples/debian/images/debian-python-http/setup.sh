#!/bin/sh
set -eu
groupadd --gid 1000 app
useradd --uid 1000 --gid app --create-home --shell /bin/bash app
chown -R app:app /srv/www
