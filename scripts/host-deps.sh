#!/usr/bin/env bash
# Installs and starts what Quarantine needs on a Debian 12 host, idempotently:
# redis-server (AOF on, noeviction), docker.io (dockerd running, runsc registered),
# strace, bpftrace, busybox-static (sample images), gcc (static sample programs).
# Safe to run again: every step checks before it acts.
set -euo pipefail

log() { printf '[host-deps] %s\n' "$*" >&2; }
need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }

have redis-server || need_pkgs+=(redis-server)
have dockerd || need_pkgs+=(docker.io)
have runsc || need_pkgs+=(runsc)
have strace || need_pkgs+=(strace)
have bpftrace || need_pkgs+=(bpftrace)
have gcc || need_pkgs+=(gcc libc6-dev)
[ -x /bin/busybox ] || dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
have curl || need_pkgs+=(curl)
have docker-init || need_pkgs+=(tini)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "missing packages (${need_pkgs[*]}) and not root"; exit 1; fi
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# ---- Redis: AOF on, noeviction, loopback only -------------------------------------------
REDIS_PORT="${QUARANTINE_REDIS_PORT:-6379}"
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (appendonly yes, maxmemory-policy noeviction)"
  mkdir -p /var/lib/quarantine/redis
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir /var/lib/quarantine/redis --appendonly yes --appendfsync everysec \
    --maxmemory-policy noeviction --logfile /var/lib/quarantine/redis/redis.log
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
redis-cli -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null

# ---- Docker: runsc registered, dockerd running --------------------------------------------
mkdir -p /etc/docker
if [ ! -f /etc/docker/daemon.json ] || ! grep -q '"runsc"' /etc/docker/daemon.json; then
  log "registering runsc as a Docker runtime"
  cat > /etc/docker/daemon.json <<'JSON'
{
  "runtimes": {
    "runsc": { "path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"] }
  }
}
JSON
  if docker info >/dev/null 2>&1; then
    pkill -HUP dockerd || true   # dockerd reloads runtimes on SIGHUP
    sleep 1
  fi
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log/quarantine
  nohup dockerd >/var/log/quarantine/dockerd.log 2>&1 &
  for _ in $(seq 1 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/quarantine/dockerd.log"; tail -20 /var/log/quarantine/dockerd.log >&2; exit 1; }
fi
log "ready: redis $(redis-cli -p "$REDIS_PORT" info server | grep -m1 redis_version | tr -d '\r'), docker $(docker version --format '{{.Server.Version}}'), runtimes: $(docker info --format '{{range $k,$v := .Runtimes}}{{$k}} {{end}}')"
