#!/usr/bin/env bash
# Start the platform (README Quick start): installs what it needs, builds the sandbox
# images with visible progress, builds the web UI, and serves on http://127.0.0.1:8080.
# Extra arguments go to `netdojo serve` (e.g. `npm start -- --port 9000`).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "node modules"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; else echo "up to date"; fi
step "Debian packages"
bash infra/deps.sh platform
step "Docker engine (user-namespaced)"
bash infra/docker-engine.sh
step "sandbox images"
node bin/netdojo.mjs images build
step "web UI"
npm run --silent build:web
step "netdojo serve $*"
exec node bin/netdojo.mjs serve "$@"
