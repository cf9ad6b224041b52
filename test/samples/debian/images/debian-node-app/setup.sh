#!/bin/sh
# The conventional node user (uid 1000) owns the app directory.
set -eu
groupadd --gid 1000 node
useradd --uid 1000 --gid node --create-home --shell /bin/bash node
chown -R node:node /srv/app
node --version
