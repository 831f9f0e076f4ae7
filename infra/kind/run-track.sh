#!/usr/bin/env bash
# Replays the kubernetes track on real kind clusters on your own machine, with the pinned versions:
#   infra/kind/run-track.sh [labs/kubernetes/<lab>…]     (default: the whole track, one lab at a time)
# Needs Docker, and kind + kubectl at the versions in infra/kind/versions.env on PATH; it stops
# with what is missing. It raises the inotify limits and loads the ipip and ip_vs modules (sudo), vendors
# the pinned manifests if they are not there yet (the only download; images are pulled by the
# nodes unless preloaded, see docs/kind.md), replays, and fails if any lab was skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=/dev/null
. infra/kind/versions.env

need() { command -v "$1" >/dev/null || { echo "run-track: $1 is not on PATH ($2)" >&2; exit 1; }; }
need docker "https://docs.docker.com/engine/install/"
need kind "kind ${KIND_VERSION}: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "kubectl ${KUBECTL_VERSION}: https://kubernetes.io/docs/tasks/tools/"
have=$(kind version | grep -o 'v[0-9][^ ]*' | head -1)
[ "$have" = "$KIND_VERSION" ] || echo "run-track: warning: kind $have, the track is pinned to $KIND_VERSION" >&2

sudo="" && [ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo sysctl -q -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512
$sudo modprobe -a ipip ip_vs ip_vs_rr
node infra/kind/vendor-manifests.mjs
docker image inspect "$KIND_NODE_IMAGE" >/dev/null 2>&1 || docker pull "$KIND_NODE_IMAGE"

[ $# -gt 0 ] || set -- labs/kubernetes
mkdir -p out
./bin/netdojo.mjs validate "$@"
./bin/netdojo.mjs replay "$@" --jobs 1 --junit out/kind-replay.xml --json out/kind-replay.json
node infra/ci/no-skip.mjs out/kind-replay.json
