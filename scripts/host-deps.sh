#!/usr/bin/env bash
# Installs and starts what Quarantine needs on a Debian 12 host, idempotently:
# redis-server (AOF on, noeviction), docker.io (dockerd running, runsc and runsc-trace registered),
# strace, bpftrace, linux-perf, clang + libbpf-dev (probes; the ebpf probe compiles its tracer on first use),
# busybox-static + gcc (sample images), debootstrap (Debian-based real-world sample images),
# docker-registry (a local registry on loopback for the supply-chain gate's tests), apache2-utils (htpasswd).
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
have perf || need_pkgs+=(linux-perf)
have taskset || need_pkgs+=(util-linux)
have debootstrap || need_pkgs+=(debootstrap)
have docker-registry || need_pkgs+=(docker-registry)
# htpasswd (bcrypt) for the private-registry tests, which start their own docker-registry instances with
# htpasswd and token auth on free loopback ports (test/support/private-registry.ts; docs/registries.md).
have htpasswd || need_pkgs+=(apache2-utils)
have openssl || need_pkgs+=(openssl)
# Per-sandbox disk quota (profile `limits.disk`, docs/sandbox.md): Docker enforces `--storage-opt size`
# with overlay2 only on XFS with project quotas (this kind's kernel has no XFS quota support) and with
# its btrfs driver through btrfs qgroups, so the engine's data root is a btrfs filesystem.
have mkfs.btrfs || need_pkgs+=(btrfs-progs)
# The web console's browser test (test/e2e/console.e2e-spec.ts) drives Debian's Chromium headless.
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
# The network simulator (docs/network.md): Debian's python3 (standard library only), iproute2 for
# its namespace and veth pair, iptables for its TPROXY catch-all.
[ -x /usr/bin/python3 ] || need_pkgs+=(python3)
have ip || need_pkgs+=(iproute2)
# The independent verifier of signed verdict attestations (test/support/verify_dsse.py, docs/attestations.md):
# Debian's securesystemslib checks the ECDSA P-256 signatures (with python3-cryptography).
/usr/bin/python3 -c 'import securesystemslib.signer' 2>/dev/null || need_pkgs+=(python3-securesystemslib python3-cryptography)
have iptables-restore || need_pkgs+=(iptables)
# The ebpf probe's libbpf engine (libs/sandbox/src/probes/ebpf-native.ts): clang builds the kernel
# program, cc + libbpf-dev the loader (kernel uapi headers come with libc6-dev's linux-libc-dev).
have clang || need_pkgs+=(clang)
[ -f /usr/include/bpf/libbpf.h ] || need_pkgs+=(libbpf-dev)

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
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (appendonly yes, maxmemory-policy noeviction, 32 databases: test files each use their own)"
  mkdir -p /var/lib/quarantine/redis
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir /var/lib/quarantine/redis --appendonly yes --appendfsync everysec \
    --maxmemory-policy noeviction --databases 32 --logfile /var/lib/quarantine/redis/redis.log
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
redis-cli -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null

# ---- Docker: runsc and runsc-trace registered, dockerd running ----------------------------
# `runsc`: gVisor, no network. `runsc-trace`: the same plus gVisor's own syscall log, for the `gvisor`
# probe: each sandbox's sentry (the `boot` command only) writes strace-style lines to its own file
# runsc.log.<timestamp>.boot.txt in RUNSC_TRACE_DIR (this runsc, 2022-12, has no %ID% substitution in
# --debug-log; the probe finds its sandbox's file by the container id on the file's Args line, copies the
# syscall lines into the run's trace and deletes the file). Existing entries are kept; only a missing or
# different runsc-trace entry is (re)written, and dockerd is told with SIGHUP.
RUNSC_TRACE_DIR="${QUARANTINE_RUNSC_TRACE_DIR:-/var/log/quarantine/runsc}"
mkdir -p /etc/docker "$RUNSC_TRACE_DIR"
chmod 0700 "$RUNSC_TRACE_DIR"
have node || { log "node is needed to edit /etc/docker/daemon.json"; exit 1; }
daemon_changed=$(node - /etc/docker/daemon.json "$RUNSC_TRACE_DIR" <<'JS'
const fs = require('fs');
const [file, dir] = process.argv.slice(2);
let cfg = {};
try { cfg = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { if (e.code !== 'ENOENT') throw e; }
const before = JSON.stringify(cfg);
cfg.runtimes ??= {};
cfg.runtimes.runsc ??= { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] };
cfg.runtimes['runsc-trace'] = {
  path: '/usr/bin/runsc',
  runtimeArgs: ['--network=none', '--strace', '--debug', '--debug-command=boot', `--debug-log=${dir.replace(/\/+$/, '')}/`],
};
if (JSON.stringify(cfg) !== before) { fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n'); console.log('changed'); }
JS
)
if [ "$daemon_changed" = changed ]; then
  log "registered Docker runtimes runsc and runsc-trace (gVisor syscall log in $RUNSC_TRACE_DIR)"
  if docker info >/dev/null 2>&1; then
    kill -HUP "$(pidof dockerd)" 2>/dev/null || true   # dockerd reloads runtimes on SIGHUP
    for _ in $(seq 1 50); do docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q runsc-trace && break; sleep 0.1; done
  fi
fi
# ---- Docker's data root on btrfs (kernel-enforced per-sandbox disk limits) --------------------
# Docker honours `--storage-opt size=` with overlay2 on XFS+pquota (this kernel: "quota support not
# available") or with its btrfs driver, which gives each container's subvolume a qgroup limit: writes
# past it fail with EDQUOT. This host's disk is ext4, so the data root is a btrfs filesystem in a sparse file, loop-mounted
# (QUARANTINE_DOCKER_DISK caps what all images and containers together may use; the file grows only as
# they write). After a reboot the file is kept and mounted again. A dockerd already running elsewhere
# (e.g. started by the package's postinst on /var/lib/docker) is stopped and started on this root.
DOCKER_ROOT="${QUARANTINE_DOCKER_ROOT:-/var/lib/quarantine/docker}"
DOCKER_IMG="${QUARANTINE_DOCKER_IMG:-/var/lib/quarantine/docker-btrfs.img}"
DOCKER_DISK="${QUARANTINE_DOCKER_DISK:-64G}"
mkdir -p "$DOCKER_ROOT" "$(dirname "$DOCKER_IMG")"
if ! mountpoint -q "$DOCKER_ROOT"; then
  if [ ! -f "$DOCKER_IMG" ]; then
    log "creating the btrfs filesystem for Docker's data root ($DOCKER_IMG, sparse, $DOCKER_DISK)"
    truncate -s "$DOCKER_DISK" "$DOCKER_IMG"
    mkfs.btrfs -q "$DOCKER_IMG" >/dev/null
  fi
  log "mounting $DOCKER_IMG on $DOCKER_ROOT (btrfs)"
  mount -o loop,noatime "$DOCKER_IMG" "$DOCKER_ROOT"
fi
if ! grep -qsE "^[^ ]+ $DOCKER_ROOT btrfs " /proc/mounts; then
  log "$DOCKER_ROOT is not btrfs; per-sandbox disk limits cannot be enforced"; exit 1
fi
btrfs quota enable "$DOCKER_ROOT"   # idempotent; the driver's size= limits are qgroup limits
# Removed containers can leave their level-0 qgroup behind ("<stale>"; 10 of ~60 removals here): many slow
# qgroup accounting down, so clear them at each run (only qgroups whose subvolume is gone).
btrfs qgroup clear-stale "$DOCKER_ROOT" >/dev/null 2>&1 || true
daemon_root_changed=$(node - /etc/docker/daemon.json "$DOCKER_ROOT" <<'JS'
const fs = require('fs');
const [file, root] = process.argv.slice(2);
let cfg = {};
try { cfg = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { if (e.code !== 'ENOENT') throw e; }
if (cfg['data-root'] === root && cfg['storage-driver'] === 'btrfs') process.exit(0);
cfg['data-root'] = root;
cfg['storage-driver'] = 'btrfs';
fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
console.log('changed');
JS
)
if docker info >/dev/null 2>&1 && { [ "$daemon_root_changed" = changed ] || [ "$(docker info --format '{{.DockerRootDir}}')" != "$DOCKER_ROOT" ]; }; then
  log "restarting dockerd on data root $DOCKER_ROOT (images are rebuilt by the sample build scripts)"
  service docker stop >/dev/null 2>&1 || true
  pid=$(pidof dockerd || true)
  if [ -n "$pid" ]; then
    kill $pid 2>/dev/null || true
    for _ in $(seq 1 150); do pidof dockerd >/dev/null || break; sleep 0.2; done
  fi
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log/quarantine
  setsid nohup dockerd >/var/log/quarantine/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/quarantine/dockerd.log"; tail -20 /var/log/quarantine/dockerd.log >&2; exit 1; }
fi
# ---- Local registry (Debian's docker-registry, distribution 2.8): loopback only, no auth --------
# Our own config (the package's default listens on every interface and wants htpasswd); storage under
# /var/lib/quarantine/registry. Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
REGISTRY_PORT="${QUARANTINE_REGISTRY_PORT:-5000}"
if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/" 2>/dev/null)" = 401 ]; then
  # The package's own service (all interfaces, htpasswd auth) was started by its postinst: replace it.
  log "stopping the docker-registry package's default service (auth, all interfaces) on :$REGISTRY_PORT"
  service docker-registry stop >/dev/null 2>&1 || /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
  sleep 0.5
fi
if ! curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1; then
  log "starting docker-registry on 127.0.0.1:$REGISTRY_PORT (storage /var/lib/quarantine/registry)"
  mkdir -p /var/lib/quarantine/registry /var/log/quarantine
  cat >/var/lib/quarantine/registry.yml <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/quarantine/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
YAML
  setsid nohup docker-registry serve /var/lib/quarantine/registry.yml >/var/log/quarantine/registry.log 2>&1 < /dev/null &
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1 || { log "docker-registry did not start; see /var/log/quarantine/registry.log"; tail -20 /var/log/quarantine/registry.log >&2; exit 1; }
fi
log "ready: redis $(redis-cli -p "$REDIS_PORT" info server | grep -m1 redis_version | tr -d '\r'), docker $(docker version --format '{{.Server.Version}}'), runtimes: $(docker info --format '{{range $k,$v := .Runtimes}}{{$k}} {{end}}')"
