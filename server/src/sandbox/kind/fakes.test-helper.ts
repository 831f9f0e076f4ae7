// Recording fakes of `kind`, `kubectl` and `docker` for the provider's contract tests: shell
// scripts on a temp PATH that append their argv (one line, arguments separated by " | ")
// to a log and emulate the outputs the provider reads. Knobs are environment variables.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOG_LINE = 'printf "%s" "$(basename "$0")" >> "$FAKE_LOG"; for a in "$@"; do printf " | %s" "$a" >> "$FAKE_LOG"; done; echo >> "$FAKE_LOG"';

const KIND = `#!/bin/bash
${LOG_LINE}
arg() { local want=$1; shift; while [ $# -gt 0 ]; do if [ "$1" = "$want" ]; then echo "$2"; return; fi; shift; done; }
case "$1 $2" in
  "version "*) echo "kind v0.27.0 go1.23.4 linux/amd64" ;;
  "create cluster")
    name=$(arg --name "$@"); kc=$(arg --kubeconfig "$@")
    if [ -n "$FAKE_KIND_CREATE_SLEEP" ]; then exec sleep "$FAKE_KIND_CREATE_SLEEP"; fi
    if [ -n "$FAKE_KIND_CREATE_FAIL" ]; then echo "ERROR: failed to create cluster: $FAKE_KIND_CREATE_FAIL" >&2; exit 1; fi
    echo "$name" >> "$FAKE_STATE/clusters"; echo "apiVersion: v1" > "$kc"
    echo "Creating cluster \\"$name\\" ..." >&2 ;;
  "delete cluster")
    name=$(arg --name "$@")
    if [ -f "$FAKE_STATE/clusters" ]; then grep -vx "$name" "$FAKE_STATE/clusters" > "$FAKE_STATE/clusters.new"; mv "$FAKE_STATE/clusters.new" "$FAKE_STATE/clusters"; fi
    echo "Deleting cluster \\"$name\\" ..." >&2 ;;
  "get clusters")
    if [ -s "$FAKE_STATE/clusters" ] || [ -n "$FAKE_KIND_EXTRA_CLUSTERS" ]; then
      for c in $FAKE_KIND_EXTRA_CLUSTERS; do echo "$c"; done; cat "$FAKE_STATE/clusters" 2>/dev/null
    else echo "No kind clusters found." >&2; fi ;;
  *) echo "fake kind: unexpected $*" >&2; exit 64 ;;
esac
`;

const KUBECTL = `#!/bin/bash
${LOG_LINE}
case " $* " in
  *" version --client "*) echo "Client Version: v1.31.0" ;;
  *" get --raw /readyz "*)
    if [ -n "$FAKE_API_DOWN" ]; then echo "The connection to the server 127.0.0.1:35000 was refused - did you specify the right host or port?" >&2; exit 1; fi
    echo ok ;;
  *" wait "*)
    if [ -n "$FAKE_NODES_NOT_READY" ]; then echo "error: timed out waiting for the condition on nodes/x" >&2; exit 1; fi
    echo "node/x condition met" ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 64 ;;
esac
`;

const DOCKER = `#!/bin/bash
${LOG_LINE}
case "$1" in
  info) if [ -n "$FAKE_DOCKER_DOWN" ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; fi; echo "27.5.1" ;;
  exec)
    case " $* " in *" -d "*) exit 0 ;; esac
    case " $* " in
      *" cat /etc/kubernetes/admin.conf "*) echo "apiVersion: v1 # admin.conf" ;;
      *" bash -c "*) input=$(cat); script="\${!#}"; echo "ran: $script"; [ -n "$input" ] && echo "stdin: $input"; [ -n "$FAKE_EXEC_EXIT" ] && { echo "failing" >&2; exit "$FAKE_EXEC_EXIT"; }; exit 0 ;;
      *) cat > /dev/null; exit 0 ;;
    esac ;;
  cp) exit 0 ;;
  ps) cat "$FAKE_STATE/containers" 2>/dev/null; exit 0 ;;
  *) echo "fake docker: unexpected $*" >&2; exit 64 ;;
esac
`;

export interface Fakes {
  dir: string;
  bin: string;
  state: string;
  log: string;
  /** environment for the provider's runner: fakes first on PATH, then only /usr/bin:/bin */
  env(extra?: Record<string, string>): Record<string, string>;
  /** logged invocations, e.g. "kind | create | cluster | --name | netdojo-s1 …" */
  calls(): string[];
  cleanup(): void;
}

export function makeFakes(opts: { without?: Array<'kind' | 'kubectl' | 'docker'> } = {}): Fakes {
  const dir = mkdtempSync(join(tmpdir(), 'netdojo-kind-contract-'));
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const scripts: Record<string, string> = { kind: KIND, kubectl: KUBECTL, docker: DOCKER };
  mkdirSync(bin, { recursive: true });
  mkdirSync(state, { recursive: true });
  for (const [name, text] of Object.entries(scripts)) {
    if (opts.without?.includes(name as 'kind')) continue;
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    dir,
    bin,
    state,
    log,
    // /usr/bin holds the real kubectl on some machines: the fakes come first; kind is never there.
    env: (extra = {}) => ({ PATH: `${bin}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_STATE: state, ...extra }),
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
