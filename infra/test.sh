#!/usr/bin/env bash
# The full test suite (README Quick start): prepares what the tests need, runs them,
# proves nothing was left behind, and prints `tests: N passed, M failed[, K skipped]` last.
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n=== %s\n' "$*"; }

fail_early() { echo "tests: 0 passed, 1 failed"; exit 1; }
log "Debian packages"; bash infra/deps.sh test || fail_early
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || { log "npm ci"; npm ci --no-audit --no-fund || fail_early; }
log "Docker engine"; bash infra/docker-engine.sh || fail_early
log "sandbox images"; node bin/netdojo.mjs images build || fail_early
log "web UI"; npm run --silent build:web >/dev/null || fail_early
# Every Docker object this run makes carries netdojo.origin=<this run>, so the final leak check counts
# only the run's own objects (a platform started with `npm start` may be running beside it).
export NETDOJO_ORIGIN="test-$(date +%s)-$$"

passed=0; failed=0; skipped=0
log "typecheck"
if npx tsc -p tsconfig.json --noEmit; then passed=$((passed+1)); else failed=$((failed+1)); fi

log "vitest"
# Servers started by suites keep no warm pool unless a test asks for one (--pool): less load.
export NETDOJO_POOL=0
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
vitest_rc=$?
if [ -f test-results/vitest.json ]; then
  read -r p f s < <(node -e '
    const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
    console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + (r.numTodoTests || 0));')
  passed=$((passed+p)); failed=$((failed+f)); skipped=$((skipped+s))
  [ "$vitest_rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed+1))
else
  failed=$((failed+1))
fi

log "leak check: nothing this run made (netdojo.origin=$NETDOJO_ORIGIN) may remain"
f="label=netdojo.origin=$NETDOJO_ORIGIN"
# a host-rules helper removes itself within a second or two of its process's exit: give it 15 s
for _ in $(seq 1 15); do
  left=$( { docker ps -aq --filter "$f"; docker network ls -q --filter "$f"; docker volume ls -q --filter "$f"; } 2>/dev/null)
  [ -z "$left" ] && break
  sleep 1
done
if [ -z "$left" ]; then passed=$((passed+1)); echo "no containers, networks or volumes left"; else
  failed=$((failed+1)); echo "left behind:"; echo "$left"; fi

line="tests: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
