#!/usr/bin/env bash
# Builds real Debian 12 (bookworm) service images for Quarantine's false-positive tests, locally,
# without any image registry:
#
#   1. debootstrap --variant=minbase bookworm from the Debian mirror configured on this machine
#      (/etc/apt/sources.list*), cached as a rootfs tarball under $QUARANTINE_CACHE
#      (/var/cache/quarantine) → docker import as quarantine-samples/debian-base:bookworm
#   2. per image (images/<name>/): a copy of that rootfs, `chroot … apt-get install` of its
#      packages (the network is used here, on the host, at build time only), its files
#      (images/<name>/rootfs/) and setup script (images/<name>/setup.sh, run in the chroot)
#      → docker import with images/<name>/image.conf (ENTRYPOINT, CMD, ENV, USER, …).
#
#   test/samples/debian/build.sh                    build every image whose inputs changed
#   test/samples/debian/build.sh debian-nginx       only these (and the base)
#   test/samples/debian/build.sh --force ...        rebuild even if unchanged (the tarball stays cached)
#   test/samples/debian/build.sh --list             print "name kind" per image
#
# Every image carries org.quarantine.sample.hash (hash of this script, its image directory, the
# mirror and the base tarball's key); an image whose label matches is skipped, so a warm run only
# inspects images. Package versions come from the mirror at build time: --force picks up updates.
# Needs root (debootstrap, chroot), docker, and debootstrap (installed with apt-get if missing).
# Env: SAMPLES_PREFIX (quarantine-samples), QUARANTINE_CACHE (/var/cache/quarantine), JOBS (3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES_DIR="$HERE/images"
PREFIX="${SAMPLES_PREFIX:-quarantine-samples}"
CACHE="${QUARANTINE_CACHE:-/var/cache/quarantine}"
JOBS="${JOBS:-3}"
SUITE=bookworm
VARIANT=minbase
HASH_LABEL="org.quarantine.sample.hash"
BASE_TAG="$PREFIX/debian-base:$SUITE"
CHROOT_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true)
APT_OPTS=(-y -q --no-install-recommends -o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root)

die() { echo "debian/build.sh: $*" >&2; exit 1; }
log() { echo "debian/build.sh: $*" >&2; }

force=0
wanted=()
all_images() { local d; for d in "$IMAGES_DIR"/*/; do basename "$d"; done; }
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --list) for n in $(all_images); do echo "$n $(cat "$IMAGES_DIR/$n/kind" 2>/dev/null || echo benign)"; done; exit 0 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [ -d "$IMAGES_DIR/$arg" ] || die "unknown image '$arg' (see --list)"; wanted+=("$arg") ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || mapfile -t wanted < <(all_images)

start_ns=$(date +%s%N)
command -v docker >/dev/null || die "docker not found"

# --- the Debian mirror this machine's apt uses (deb822 .sources first, then one-line lists) ----
# Prints "URI SUITE" for every enabled `deb` entry.
apt_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[Tt]ypes:/) { sub(/^[Tt]ypes:[ \t]*/, "", line); types = " " line " " }
          else if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
          else if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = line }
          else if (line ~ /^Enabled:[ \t]*no/) { enabled = "no" }
        }
        if (enabled == "yes" && types ~ / deb /) {
          nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
          for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) if (u[a] != "" && s[b] != "") print u[a], s[b]
        } }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
    | awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } print $i, $(i + 1) }'
}
ENTRIES="$(apt_entries)"
MIRROR="$(awk -v s="$SUITE" '$2 == s && !m { m = $1 } END { print m }' <<<"$ENTRIES")"
SECURITY="$(awk -v s="$SUITE-security" '$2 == s && !m { m = $1 } END { print m }' <<<"$ENTRIES")"
[ -n "$MIRROR" ] || die "no '$SUITE' entry in /etc/apt/sources.list* to take the Debian mirror from"
MIRROR="${MIRROR%/}"; SECURITY="${SECURITY%/}"

# --- hashes -------------------------------------------------------------------------------------
SELF_SUM="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
# The cached tarball depends only on what debootstrap was asked for.
TARBALL_KEY="$(printf '%s\n' "$SUITE" "$VARIANT" "$MIRROR" "$SECURITY" "rootfs-v1" | sha256sum | cut -c1-16)"
TARBALL="$CACHE/debian-$SUITE-$VARIANT-$TARBALL_KEY.tar"
BASE_HASH="$(printf '%s\n' "$SELF_SUM" "$TARBALL_KEY" | sha256sum | cut -d' ' -f1)"
image_hash() { # name
  local d="$IMAGES_DIR/$1"
  {
    printf '%s\n' "$BASE_HASH" "$1"
    (cd "$d" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
     find . -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a')
  } | sha256sum | cut -d' ' -f1
}
label_of() { docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true; }

todo=()
for n in "${wanted[@]}"; do
  h="$(image_hash "$n")"
  if [[ $force -eq 1 || "$(label_of "$PREFIX/$n:latest")" != "$h" ]]; then todo+=("$n|$h"); fi
done
need_base=0
[[ $force -eq 1 || "$(label_of "$BASE_TAG")" != "$BASE_HASH" ]] && need_base=1

if [[ ${#todo[@]} -eq 0 && $need_base -eq 0 ]]; then
  log "0 built, ${#wanted[@]} up to date (+ base), $(( ($(date +%s%N) - start_ns) / 1000000 )) ms"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quarantine-debian.XXXXXX")"
# Unmount whatever this script mounted below $WORK before deleting it; never rm through a mount.
unmount_all() {
  local m
  for m in $(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}
cleanup() {
  unmount_all
  if awk -v w="$WORK/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    log "mounts remain below $WORK; not deleting it"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# --- base rootfs (debootstrap, cached) ------------------------------------------------------------
make_tarball() {
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -q debootstrap >&2; }
  local r="$WORK/debootstrap" t0=$(date +%s)
  log "debootstrap --variant=$VARIANT $SUITE from $MIRROR"
  debootstrap --variant="$VARIANT" "$SUITE" "$r" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  # The image's apt sources: the same mirror as the build (deb822, as the official image has it).
  rm -f "$r/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$SUITE" "$SUITE"
    [ -z "$SECURITY" ] || printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$SECURITY" "$SUITE"
  } >"$r/etc/apt/sources.list.d/debian.sources"
  # Like the official image: no apt lists or caches, no host identity left behind.
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb "$r"/var/log/bootstrap.log
  : >"$r/etc/hostname"; : >"$r/etc/resolv.conf"
  printf 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' >"$r/etc/apt/apt.conf.d/docker-clean"
  mkdir -p "$CACHE"
  tar -C "$r" --numeric-owner -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$r"
  log "cached $TARBALL ($(du -h "$TARBALL" | cut -f1), $(( $(date +%s) - t0 )) s)"
}
[ -f "$TARBALL" ] || make_tarball

rootfs_from_tarball() { mkdir -p "$1" && tar -C "$1" --numeric-owner -xpf "$TARBALL"; }

import_rootfs() { # dir tag hash name kind conf-file|-  → docker import (no device nodes: Docker makes /dev)
  local r="$1" tag="$2" hash="$3" name="$4" kind="$5" conf="$6" old line
  local changes=(-c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    -c "LABEL $HASH_LABEL=$hash org.quarantine.sample.kind=$kind org.quarantine.sample.name=$name org.quarantine.sample.base=debian-$SUITE")
  if [[ "$conf" != - ]]; then
    while IFS= read -r line; do
      [[ -z "$line" || "$line" == \#* ]] || changes+=(-c "$line")
    done <"$conf"
  else
    changes+=(-c 'CMD ["bash"]')
  fi
  old="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  tar -C "$r" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . \
    | docker import "${changes[@]}" - "$tag" >/dev/null
  local new; new="$(docker image inspect -f '{{.Id}}' "$tag")"
  [[ -n "$old" && "$old" != "$new" ]] && { docker rmi "$old" >/dev/null 2>&1 || true; }
  log "built $tag"
}

if [[ $need_base -eq 1 ]]; then
  rootfs_from_tarball "$WORK/base"
  import_rootfs "$WORK/base" "$BASE_TAG" "$BASE_HASH" debian-base base -
  rm -rf "$WORK/base"
fi

# --- derived images ---------------------------------------------------------------------------------
if [ ${#todo[@]} -gt 0 ]; then
  DEBS="$CACHE/debs-$SUITE"
  mkdir -p "$DEBS"
  # Stage: one apt-get update and one download of every package the images need (the only network
  # use); each image then installs from hard-linked copies of those .debs, in parallel, offline.
  S="$WORK/stage"
  rootfs_from_tarball "$S"
  cp /etc/resolv.conf "$S/etc/resolv.conf"
  pkgs=()
  for t in "${todo[@]}"; do
    n="${t%%|*}"
    [ -f "$IMAGES_DIR/$n/packages" ] && mapfile -t -O "${#pkgs[@]}" pkgs < <(grep -v '^\s*#' "$IMAGES_DIR/$n/packages" | tr -s ' \t' '\n' | sed '/^$/d')
  done
  log "apt-get update + download (${#pkgs[@]} packages) from $MIRROR"
  "${CHROOT_ENV[@]}" chroot "$S" apt-get "${APT_OPTS[@]}" update >"$WORK/update.log" 2>&1 \
    || { tail -20 "$WORK/update.log" >&2; die "apt-get update failed"; }
  if [ ${#pkgs[@]} -gt 0 ]; then
    find "$DEBS" -name '*.deb' -exec ln -f -t "$S/var/cache/apt/archives/" {} + 2>/dev/null \
      || find "$DEBS" -name '*.deb' -exec cp -t "$S/var/cache/apt/archives/" {} +
    "${CHROOT_ENV[@]}" chroot "$S" apt-get "${APT_OPTS[@]}" install --download-only "${pkgs[@]}" >"$WORK/download.log" 2>&1 \
      || { tail -20 "$WORK/download.log" >&2; die "apt-get download failed"; }
    find "$S/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec ln -f -t "$DEBS/" {} + 2>/dev/null \
      || find "$S/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -t "$DEBS/" {} +
    rm -f "$S"/var/cache/apt/archives/*.deb
  fi

  build_one() { # name hash
    local n="$1" hash="$2" d="$IMAGES_DIR/$1" r="$WORK/img-$1" kind=benign p=()
    [ -f "$d/kind" ] && kind="$(cat "$d/kind")"
    cp -a "$S" "$r"
    mount -t proc proc "$r/proc"
    # Services must not start inside the build chroot (as the official images' policy-rc.d).
    printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"; chmod 0755 "$r/usr/sbin/policy-rc.d"
    find "$DEBS" -name '*.deb' -exec ln -f -t "$r/var/cache/apt/archives/" {} + 2>/dev/null \
      || find "$DEBS" -name '*.deb' -exec cp -t "$r/var/cache/apt/archives/" {} +
    # pre-install.sh runs in the chroot before the package list (it may apt-get install itself,
    # e.g. postgresql-common before postgresql, as the official Dockerfile does).
    [ -x "$d/pre-install.sh" ] && { cp "$d/pre-install.sh" "$r/tmp/pre-install.sh"; "${CHROOT_ENV[@]}" chroot "$r" /tmp/pre-install.sh; rm -f "$r/tmp/pre-install.sh"; }
    [ -f "$d/packages" ] && mapfile -t p < <(grep -v '^\s*#' "$d/packages" | tr -s ' \t' '\n' | sed '/^$/d')
    [ ${#p[@]} -eq 0 ] || "${CHROOT_ENV[@]}" chroot "$r" apt-get "${APT_OPTS[@]}" install "${p[@]}"
    [ -d "$d/rootfs" ] && cp -a --no-preserve=ownership "$d/rootfs/." "$r/"
    [ -x "$d/setup.sh" ] && { cp "$d/setup.sh" "$r/tmp/setup.sh"; "${CHROOT_ENV[@]}" chroot "$r" /tmp/setup.sh; rm -f "$r/tmp/setup.sh"; }
    "${CHROOT_ENV[@]}" chroot "$r" apt-get clean
    rm -rf "$r"/var/lib/apt/lists/* "$r/usr/sbin/policy-rc.d" "$r"/var/log/apt/* "$r"/var/log/dpkg.log "$r"/var/cache/debconf/*-old
    : >"$r/etc/resolv.conf"
    umount "$r/proc"
    import_rootfs "$r" "$PREFIX/$n:latest" "$hash" "$n" "$kind" "$d/image.conf"
    rm -rf "$r"
  }

  pids=(); failed=()
  for t in "${todo[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 0.2; done
    n="${t%%|*}"
    build_one "$n" "${t#*|}" >"$WORK/$n.log" 2>&1 &
    pids+=("$!:$n")
  done
  for p in "${pids[@]}"; do
    n="${p#*:}"
    if wait "${p%%:*}"; then grep 'debian/build.sh' "$WORK/$n.log" >&2 || true
    else failed+=("$n"); tail -40 "$WORK/$n.log" >&2; fi
  done
  [ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]}"
fi

log "${#todo[@]} built$([[ $need_base -eq 1 ]] && echo ' + base'), $(( ${#wanted[@]} - ${#todo[@]} )) up to date, $(( ($(date +%s%N) - start_ns) / 1000000 )) ms"
