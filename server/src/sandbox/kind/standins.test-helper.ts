// Stand-ins for kind clusters in tests: the `kind` and `kubectl` binaries are small scripts on a
// temp PATH, and a "node" is a REAL container (netdojo/netbox, no network) named and labelled as
// kind names and labels its nodes (`<cluster>-control-plane`, `io.x-k8s.kind.cluster=<cluster>`,
// `io.x-k8s.kind.role`), started in `/` like a kindest/node container. Everything the provider
// does to node containers (exec, files, terminals, cleanup by label) therefore really happens.
// Every container of one run also carries `netdojo.test.kind-run=<run>` so that `kind get
// clusters` sees only this run's clusters and `cleanup()` removes exactly what the run made.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_LABEL = 'netdojo.test.kind-run';
export const STANDIN_IMAGE = 'netdojo/netbox';

const KIND = `#!/bin/bash
# fake kind: a cluster is a set of stand-in node containers on the real Docker engine
set -u
run_label="${RUN_LABEL}=$FAKE_KIND_RUN"
arg() { local want=$1; shift; while [ $# -gt 0 ]; do if [ "$1" = "$want" ]; then echo "$2"; return; fi; shift; done; }
nodes_of() { docker ps -aq --filter "label=io.x-k8s.kind.cluster=$1" --filter "label=$run_label"; }
case "$1 \${2:-}" in
  "version "*) echo "kind v0.27.0 go1.23.4 linux/amd64 (stand-in)" ;;
  "create cluster")
    name=$(arg --name "$@"); config=$(arg --config "$@"); kc=$(arg --kubeconfig "$@")
    if [ -n "\${FAKE_KIND_CREATE_FAIL:-}" ]; then echo "ERROR: failed to create cluster: $FAKE_KIND_CREATE_FAIL" >&2; exit 1; fi
    if [ -n "$(nodes_of "$name")" ]; then echo "ERROR: failed to create cluster: node(s) already exist for a cluster with the name \\"$name\\"" >&2; exit 1; fi
    echo "Creating cluster \\"$name\\" ..." >&2
    cp=0; w=0
    for role in $(sed -n 's/^[[:space:]]*-[[:space:]]*role:[[:space:]]*\\([a-z-]*\\).*/\\1/p' "$config"); do
      if [ "$role" = control-plane ]; then cp=$((cp+1)); n=control-plane; [ $cp -gt 1 ] && n=control-plane$cp
      else w=$((w+1)); n=worker; [ $w -gt 1 ] && n=worker$w; fi
      docker run -d --name "$name-$n" --hostname "$name-$n" --network none --workdir / --memory 128m --pids-limit 128 \\
        --label "io.x-k8s.kind.cluster=$name" --label "io.x-k8s.kind.role=$role" --label "$run_label" ${STANDIN_IMAGE} >/dev/null || exit 1
      docker cp "$FAKE_KUBECTL_SCRIPT" "$name-$n:/usr/local/bin/kubectl" >/dev/null || exit 1
      # every kind node has /etc/kubernetes (kubelet.conf, manifests); admin.conf only the control plane
      docker exec "$name-$n" mkdir -p /etc/kubernetes/manifests || exit 1
      if [ "$n" = control-plane ]; then
        docker exec "$name-$n" sh -c "echo '# admin.conf of $name' > /etc/kubernetes/admin.conf" || exit 1
      fi
    done
    printf 'apiVersion: v1\\nkind: Config\\n# cluster %s\\n' "$name" > "$kc" ;;
  "delete cluster")
    name=$(arg --name "$@")
    echo "Deleting cluster \\"$name\\" ..." >&2
    ids=$(nodes_of "$name")
    if [ -n "$ids" ]; then docker rm -f $ids >/dev/null || exit 1; fi ;;
  "get clusters")
    out=$(docker ps -a --filter "label=$run_label" --format '{{.Label "io.x-k8s.kind.cluster"}}' | sort -u | grep .)
    if [ -n "$out" ]; then echo "$out"; else echo "No kind clusters found." >&2; fi ;;
  *) echo "fake kind: unexpected $*" >&2; exit 64 ;;
esac
`;

// One script for the host (the provider's readiness probes) and the nodes (labs' commands and
// kubectl checks): a tiny object store keyed by kind/name, enough for apply/get/delete.
const KUBECTL = `#!/bin/bash
# fake kubectl: objects are files under $FAKE_KUBE_STATE (default /var/lib/fake-kube)
set -u
state=\${FAKE_KUBE_STATE:-/var/lib/fake-kube}
kubeconfig=\${KUBECONFIG:-}
ns=default; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig=$2; shift 2 ;;
    --kubeconfig=*) kubeconfig=\${1#*=}; shift ;;
    -n|--namespace) ns=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "\${args[@]}"
if [ "\${1:-}" = version ]; then echo "Client Version: v1.31.0 (stand-in)"; exit 0; fi
if [ -z "$kubeconfig" ] || [ ! -r "$kubeconfig" ]; then
  echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2; exit 1
fi
if [ -n "\${FAKE_API_DOWN:-}" ]; then echo "The connection to the server 127.0.0.1:35000 was refused - did you specify the right host or port?" >&2; exit 1; fi
case "\${1:-}" in
  get)
    if [ "\${2:-}" = --raw ]; then echo ok; exit 0; fi
    f="$state/$ns/\${2:-}"
    if [ -f "$f" ]; then echo "\${2}"; else echo "Error from server (NotFound): \${2%%/*}s \\"\${2#*/}\\" not found" >&2; exit 1; fi ;;
  apply)
    [ "\${2:-}" = -f ] || { echo "fake kubectl: only apply -f FILE" >&2; exit 64; }
    [ -r "\${3:-}" ] || { echo "error: the path \\"\${3:-}\\" does not exist" >&2; exit 1; }
    kind=$(awk '/^kind:/ { print tolower($2); exit }' "$3"); name=$(awk '/^  name:/ { print $2; exit }' "$3")
    mkdir -p "$state/$ns/$kind"; cp "$3" "$state/$ns/$kind/$name"; echo "$kind/$name created" ;;
  delete)
    rm -f "$state/$ns/\${2:-}"; echo "\${2:-} deleted" ;;
  wait)
    if [ -n "\${FAKE_NODES_NOT_READY:-}" ]; then echo "error: timed out waiting for the condition on nodes/x" >&2; exit 1; fi
    echo "node/x condition met" ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 64 ;;
esac
`;

export interface StandIns {
  dir: string;
  run: string;
  /** environment for the provider's CLI runner: the fakes first on PATH, then the real docker */
  env(extra?: Record<string, string>): Record<string, string>;
  /** names of this run's node containers (all, running or not) of a cluster, or of every cluster */
  nodes(cluster?: string): string[];
  /** runs a command in a node container with the docker CLI (what a person would type) */
  sh(container: string, script: string): string;
  /** removes every container of this run and the temp dir */
  cleanup(): void;
}

export function makeStandIns(): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'netdojo-kind-standins-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of Object.entries({ kind: KIND, kubectl: KUBECTL })) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const run = randomBytes(4).toString('hex');
  const docker = (args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' });
  const nodes = (cluster?: string): string[] =>
    docker(['ps', '-a', '--filter', `label=${RUN_LABEL}=${run}`, ...(cluster ? ['--filter', `label=io.x-k8s.kind.cluster=${cluster}`] : []), '--format', '{{.Names}}'])
      .split('\n')
      .filter(Boolean)
      .sort();
  return {
    dir,
    run,
    env: (extra = {}) => ({
      PATH: `${bin}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      FAKE_KIND_RUN: run,
      FAKE_KUBECTL_SCRIPT: join(bin, 'kubectl'),
      FAKE_KUBE_STATE: join(dir, 'host-kube'),
      ...extra,
    }),
    nodes,
    sh: (container, script) => docker(['exec', container, 'bash', '-c', script]),
    cleanup: () => {
      const ids = nodes();
      if (ids.length) docker(['rm', '-f', ...ids]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
