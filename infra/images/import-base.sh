#!/usr/bin/env bash
# Import debian:bookworm-slim into the local engine from a debootstrap root filesystem,
# for machines where no registry can be pulled from. The mirror is read from the host's
# apt sources, never hard-coded.
set -euo pipefail
TAG="${1:-debian:bookworm-slim}"
SUITE="${SUITE:-bookworm}"
log() { printf '[base-image] %s\n' "$*" >&2; }

if docker image inspect "$TAG" >/dev/null 2>&1; then log "$TAG already present"; exit 0; fi
if timeout 20 docker pull "$TAG" >/dev/null 2>&1; then log "pulled $TAG"; exit 0; fi

mirror_from_apt_sources() {
  local uri=""
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    uri=$(awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/*.sources | grep -v -- '-security' | head -1)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list | grep -v -- '-security' | head -1)
  fi
  [ -n "$uri" ] || { log "no Debian mirror found in /etc/apt/sources.list{,.d}"; return 1; }
  printf '%s\n' "$uri"
}

command -v debootstrap >/dev/null || { log "debootstrap missing: apt-get install -y debootstrap"; exit 1; }
MIRROR="${DEBIAN_MIRROR:-$(mirror_from_apt_sources)}"
ROOT="$(mktemp -d /var/tmp/netdojo-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
# mktemp -d is mode 700 and tar records "." as the image's /: a 700 root makes every file
# unreachable for non-root daemons (dnsmasq runs as nobody, nginx workers as www-data)
chmod 755 "$ROOT"
log "debootstrap --variant=minbase $SUITE from the host's mirror (takes a few minutes)"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" 2>&1 | while IFS= read -r line; do
  case "$line" in I:\ Retrieving*|I:\ Validating*) ;; *) printf '[base-image]   %s\n' "$line" >&2;; esac
done
test -x "$ROOT/bin/sh" || { log "debootstrap failed"; exit 1; }
# keep the image small like the official slim image
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
log "importing as $TAG"
tar -C "$ROOT" -c . | docker import -c 'CMD ["bash"]' - "$TAG" >/dev/null
log "done: $(docker image inspect -f '{{.Size}}' "$TAG") bytes"
