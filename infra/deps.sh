#!/usr/bin/env bash
# Install the Debian packages netdojo needs on the host, idempotently, with visible progress.
#   infra/deps.sh platform   what `npm start` needs (the engine's own packages come from docker-engine.sh)
#   infra/deps.sh test       that, plus what the test suite needs (browser, linters, Compose, fonts)
# Each package is named by a command (or path) that proves it is installed, so a machine that has
# everything runs no apt at all.
set -euo pipefail
want=()
need() { # need <command-or-path> <package>
  case "$1" in
    /*) [ -e "$1" ] || want+=("$2") ;;
    *) command -v "$1" >/dev/null 2>&1 || want+=("$2") ;;
  esac
}
# The server's own tools for out-of-band checks: it enters a sandbox's network namespace and runs
# these, never the learner's copies.
need nsenter util-linux
need ip iproute2
need iptables iptables
need tcpdump tcpdump
need ping iputils-ping
need curl curl
need dig dnsutils
if [ "${1:-platform}" = test ]; then
  need chromium chromium
  need shellcheck shellcheck
  need docker-compose docker-compose
  # Korean glyphs for the browser test's screenshots
  need /usr/share/fonts/truetype/nanum fonts-nanum
fi
if [ ${#want[@]} -eq 0 ]; then echo "[deps] nothing to install"; exit 0; fi
[ "$(id -u)" -eq 0 ] || { echo "[deps] missing ${want[*]}: run as root (or install them) first" >&2; exit 1; }
echo "[deps] apt-get install ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y "${want[@]}" | grep -E '^(Setting up|Unpacking) ' || true
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || { echo "[deps] $p did not install" >&2; exit 1; }; done
