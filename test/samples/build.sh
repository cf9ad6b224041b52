#!/usr/bin/env bash
# Builds Quarantine's sample images locally (no registry needed): static C programs plus
# busybox-static on a minimal rootfs, assembled with `docker import`.
#
#   test/samples/build.sh                 build every image whose inputs changed
#   test/samples/build.sh hello revshell  build only these
#   test/samples/build.sh --force ...     rebuild even if unchanged
#   test/samples/build.sh --list          print "name kind" for every sample
#
# Idempotent and fast: each image carries the hash of its inputs (this script, the shared
# header, its own sources, the busybox binary, the compiler version) in the label
# org.quarantine.sample.hash; an image whose label matches is skipped.
# Env: SAMPLES_PREFIX (default quarantine-samples), BUSYBOX (default /bin/busybox), CC (gcc).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"
PREFIX="${SAMPLES_PREFIX:-quarantine-samples}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
CC="${CC:-gcc}"
HASH_LABEL="org.quarantine.sample.hash"
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# name | kind | program source (or entrypoint script) | extra docker import changes (';'-separated)
SPECS=(
  "hello|benign|hello.c|"
  "cpu|benign|cpu.c|"
  "tmpwriter|benign|tmpwriter.c|"
  "server|benign|server.c|EXPOSE 8080/tcp"
  "shell-script|benign|entrypoint.sh|CMD [\"echo\", \"entrypoint finished\"]"
  "user-app|benign|user-app.c|USER 1000;ENV HOME=/home/app;WORKDIR /home/app"
  "shadow-reader|malicious|shadow-reader.c|"
  "revshell|malicious|revshell.c|"
  "etc-writer|malicious|etc-writer.c|"
  "memfd-exec|malicious|memfd-exec.c|"
  "dropper|malicious|dropper.c|"
  "miner-connect|malicious|miner-connect.c|"
  "cron-persist|malicious|cron-persist.c|"
  "stealth-implant|malicious|stealth-implant.c|"
  "escape-probe|malicious|escape-probe.c|"
  "sleeper|abusive|sleeper.c|"
  "forkbomb|abusive|forkbomb.c|"
  "spammer|abusive|spammer.c|"
  "memhog|abusive|memhog.c|"
  "disk-fill|abusive|disk-fill.c|CMD [\"1024\"]"
  "syscall-storm|benign|syscall-storm.c|"
  "syscall-set|benign|syscall-set.c|"
  "lure-aws-reader|malicious|lure-aws-reader.c|"
  "tell-evasive|malicious|tell-evasive.c|"
  "stim-admin-server|malicious|stim-admin-server.c|EXPOSE 8080/tcp"
  "probe-padded-paths|malicious|probe-padded-paths.c|"
  "probe-int80-shadow|malicious|probe-int80-shadow.c|"
  "probe-long-cmdline|malicious|probe-long-cmdline.c|"
  "integrity-nap|malicious|integrity-dormant.c|CMD [\"4\"]"
  "integrity-dormant|malicious|integrity-dormant.c|CMD [\"600\"]"
  "integrity-flood|malicious|integrity-flood.c|"
  "coverage-persist|malicious|coverage-persist.sh|"
  "coverage-stealth|malicious|coverage-stealth.sh|"
  "net-dropper|malicious|net-dropper.sh|"
  "net-miner|malicious|net-miner.sh|"
)

# busybox applets linked in /bin (only those this busybox provides are linked)
APPLETS=(sh ash cat ls echo sleep nc wget base64 id chmod chown date env sed grep head tail
  mkdir rm cp mv touch uname whoami ps kill hostname printf test true false sort wc tr cut
  find xargs tee dirname basename readlink stat)

die() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --list) for s in "${SPECS[@]}"; do IFS='|' read -r n k _ _ <<<"$s"; echo "$n $k"; done; exit 0 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) wanted+=("$arg") ;;
  esac
done

command -v docker >/dev/null || die "docker not found"
[ -x "$BUSYBOX" ] || die "busybox-static not found at $BUSYBOX (apt-get install busybox-static)"
command -v "$CC" >/dev/null || die "$CC not found"

spec_of() { local s; for s in "${SPECS[@]}"; do [[ "${s%%|*}" == "$1" ]] && { echo "$s"; return 0; }; done; return 1; }
if [ ${#wanted[@]} -eq 0 ]; then
  for s in "${SPECS[@]}"; do wanted+=("${s%%|*}"); done
else
  for n in "${wanted[@]}"; do spec_of "$n" >/dev/null || die "unknown sample '$n' (see --list)"; done
fi

start_ns=$(date +%s%N)
BB_SUM="$(sha256sum "$BUSYBOX" | cut -d' ' -f1)"
CC_VER="$("$CC" --version | head -1)"
SELF_SUM="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
COMMON_SUM="$(sha256sum "$SRC/common.h" | cut -d' ' -f1)"

inputs_hash() { # name kind source extra
  local files=("$SRC/$3")
  [[ "$1" == dropper ]] && files+=("$SRC/payload.c")
  {
    printf '%s\n' "$SELF_SUM" "$COMMON_SUM" "$BB_SUM" "$CC_VER" "$1|$2|$3|$4"
    sha256sum "${files[@]}" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/quarantine-samples.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

make_base() { # the rootfs every sample shares
  local r="$WORK/base"
  mkdir -p "$r"/{bin,sbin,etc,root,tmp,home/app,usr/bin,usr/sbin,usr/local/bin,var/log,var/tmp,proc,sys,dev,run}
  cp "$BUSYBOX" "$r/bin/busybox"
  chmod 0755 "$r/bin/busybox"
  local have a
  have=" $("$BUSYBOX" --list | tr '\n' ' ') "
  for a in "${APPLETS[@]}"; do
    [[ "$have" == *" $a "* ]] && ln -s busybox "$r/bin/$a"
  done
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/sbin/nologin
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
app:x:1000:
nogroup:x:65534:
EOF
  cat >"$r/etc/shadow" <<'EOF'
root:*:19800:0:99999:7:::
daemon:*:19800:0:99999:7:::
app:!:19800:0:99999:7:::
nobody:*:19800:0:99999:7:::
EOF
  cat >"$r/etc/os-release" <<'EOF'
NAME="Quarantine Sample Linux"
ID=quarantine-sample
VERSION_ID=1
PRETTY_NAME="Quarantine Sample Linux 1 (busybox-static)"
EOF
  chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/os-release"
  chmod 0640 "$r/etc/shadow"
  chmod 0700 "$r/root"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 0755 "$r/home/app"
}

build_one() { # name kind source extra hash
  local name="$1" kind="$2" src="$3" extra="$4" hash="$5"
  local d="$WORK/$name" tag="$PREFIX/$name:latest" entry
  cp -a "$WORK/base" "$d"
  if [[ "$src" == *.sh ]]; then
    install -m 0755 "$SRC/$src" "$d/docker-entrypoint.sh"
    entry='["/docker-entrypoint.sh"]'
  else
    local cflags=(-static -O2 -Wall -Wextra -o "$d/usr/local/bin/$name")
    if [[ "$name" == dropper ]]; then
      "$CC" -static -nostdlib -Os -fno-stack-protector -fno-asynchronous-unwind-tables \
        -o "$WORK/payload.bin" "$SRC/payload.c"
      cflags+=("-DPAYLOAD_PATH=\"$WORK/payload.bin\"")
    fi
    "$CC" "${cflags[@]}" "$SRC/$src"
    strip "$d/usr/local/bin/$name" 2>/dev/null || true
    entry="[\"/usr/local/bin/$name\"]"
  fi
  local changes=(-c "ENV $PATH_ENV" -c "ENTRYPOINT $entry"
    -c "LABEL $HASH_LABEL=$hash org.quarantine.sample.kind=$kind org.quarantine.sample.name=$name")
  local c
  if [[ -n "$extra" ]]; then
    IFS=';' read -r -a parts <<<"$extra"
    for c in "${parts[@]}"; do changes+=(-c "$c"); done
  fi
  # Everything root-owned except the app user's home; no root needed to build the tarball.
  tar -C "$d" --numeric-owner --owner=0 --group=0 --exclude=./home/app -cf "$d.tar" .
  tar -C "$d" --numeric-owner --owner=1000 --group=1000 -rf "$d.tar" ./home/app
  local old
  old="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  docker import "${changes[@]}" "$d.tar" "$tag" >/dev/null
  # drop the image this tag used to point at (best effort: it may still be in use)
  [[ -n "$old" ]] && docker rmi "$old" >/dev/null 2>&1 || true
  log "built $tag ($kind)"
}

todo=()
for n in "${wanted[@]}"; do
  IFS='|' read -r name kind src extra <<<"$(spec_of "$n")"
  hash="$(inputs_hash "$name" "$kind" "$src" "$extra")"
  current="$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$PREFIX/$name:latest" 2>/dev/null || true)"
  if [[ $force -eq 0 && "$current" == "$hash" ]]; then
    continue
  fi
  todo+=("$name|$kind|$src|$extra|$hash")
done

if [ ${#todo[@]} -gt 0 ]; then
  make_base
  pids=()
  for t in "${todo[@]}"; do
    IFS='|' read -r name kind src extra hash <<<"$t"
    build_one "$name" "$kind" "$src" "$extra" "$hash" >"$WORK/$name.log" 2>&1 &
    pids+=("$!:$name")
  done
  failed=()
  for p in "${pids[@]}"; do
    if wait "${p%%:*}"; then cat "$WORK/${p#*:}.log" >&2; else failed+=("${p#*:}"); cat "$WORK/${p#*:}.log" >&2; fi
  done
  [ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]}"
fi

elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
log "${#todo[@]} built, $(( ${#wanted[@]} - ${#todo[@]} )) up to date, ${elapsed_ms} ms"
