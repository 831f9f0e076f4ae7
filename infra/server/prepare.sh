#!/usr/bin/env bash
# Puts this machine's Node binary into the server image's build context (nothing is downloaded),
# and makes sure the web UI is built, so that `docker compose build` works offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$root/infra/server/.node"
node_bin=$(command -v node)
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "prepare.sh: need Node >= 20, found $("$node_bin" --version)" >&2; exit 1; fi
cp -f "$node_bin" "$root/infra/server/.node/node"
[ -d "$root/node_modules" ] || { echo "prepare.sh: run npm ci first (node_modules is copied into the image)" >&2; exit 1; }
if [ ! -f "$root/web/dist/index.html" ]; then (cd "$root" && npm run build:web); fi
echo "prepare.sh: context ready (node $("$node_bin" --version))"
