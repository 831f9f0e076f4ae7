// docs/reference.md, generated from the lab format (zod) and the checkers themselves, so that the
// reference cannot drift: `netdojo docs --write` writes it, `netdojo docs --check` (and a test) fail
// when it is stale. Field descriptions come from the schema's `.meta({description})`; fields without
// one are described in NOTES below, and a field described nowhere stops the generator.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { evaluateCapture } from '../checks/capture.js';
import { evaluateDns, parseDig } from '../checks/dns.js';
import { evaluateFile } from '../checks/file.js';
import { evaluateHttp, parseHttp } from '../checks/http.js';
import { evaluateIptables } from '../checks/iptables.js';
import { evaluateGet } from '../checks/kubectl.js';
import { OUT_OF_BAND_KINDS } from '../checks/index.js';
import { evaluateLinkOutput } from '../checks/link.js';
import { evaluateNetns } from '../checks/netns.js';
import { evaluatePing } from '../checks/ping.js';
import { evaluateRouteOutput } from '../checks/route.js';
import { evaluateShell } from '../checks/shell.js';
import { evaluateSysctl } from '../checks/sysctl.js';
import type { CheckOutcome } from '../checks/types.js';
import { REPO_ROOT } from '../labs/paths.js';
import {
  Action,
  Alternative,
  CaptureCheck,
  CHECK_KINDS,
  Check,
  DnsCheck,
  Environment,
  FileCheck,
  Host,
  HttpCheck,
  IptablesCheck,
  KindCluster,
  KindNode,
  KubectlCheck,
  Lab,
  LinkCheck,
  LOCALES,
  NearMiss,
  NetnsCheck,
  Fault,
  Network,
  PingCheck,
  Regex,
  RouteCheck,
  ShellCheck,
  Step,
  SysctlCheck,
  type CheckKind,
} from '../labs/schema.js';
import { parseMountinfo } from '../probe/netns.js';
import { KERNEL_PROBES } from '../sandbox/capabilities.js';
import type { ExecResult } from '../sandbox/types.js';

export const REFERENCE_FILE = join(REPO_ROOT, 'docs/reference.md');

/** Descriptions of fields whose schema carries none, keyed `<section>.<field>`. */
const NOTES: Record<string, string> = {
  'lab.$schema': 'ignored by netdojo; lets a JSON-based editor find the schema (YAML files use the `# yaml-language-server` line instead)',
  'lab.apiVersion': 'the format version',
  'lab.kind': 'the document type',
  'lab.id': 'unique in the catalog and equal to the lab\'s folder name',
  'lab.title': 'shown in the catalog and at the top of the lab',
  'lab.description': 'one paragraph for the catalog',
  'lab.track': 'the group of labs; equal to the folder above the lab\'s folder',
  'lab.level': 'how much the learner should already know',
  'lab.minutes': 'how long the lab takes a learner',
  'lab.requires': 'what the host must offer, see [Requirements](#requirements); replay skips the lab with the reason when it cannot',
  'lab.environment': 'the sandbox: provider, hosts, networks',
  'lab.steps': 'the steps, in order; a learner unlocks them one by one',
  'environment.provider': '`docker`: one container per host; `kind`: a Kubernetes cluster (trusted use only)',
  'environment.hosts': 'the machines (containers) of the sandbox; the first is the default `host:` of actions and checks',
  'environment.networks': 'extra networks with fixed addresses; without any, all hosts share one network and reach each other by name',
  'host.name': 'the name used in `host:` fields, the terminal tabs and `/etc/hosts` of every host',
  'host.hostname': 'the host name inside the container (default: `name`)',
  'host.env': 'environment variables of the host\'s shells and commands',
  'network.name': 'an id; inside each host the interfaces are eth0, eth1 … in the order of `networks`',
  'network.subnet': 'the network\'s prefix',
  'network.gateway': 'a default route for the hosts on this network (omit: no default route)',
  'cluster.nodes': 'the kind nodes',
  'cluster.disableDefaultCNI': 'no CNI plugin: the lab installs one (Calico labs)',
  'cluster.podSubnet': 'the pod network of the cluster',
  'cluster.serviceSubnet': 'the service (ClusterIP) range',
  'cluster.kubeProxyMode': 'how kube-proxy programs services',
  'node.role': 'control-plane or worker',
  'node.labels': 'Kubernetes labels of the node',
  'node.extraPortMappings': 'ports of the node container published on the machine running kind',
  'action.netns': 'run inside this network namespace of the host (`ip netns exec`)',
  'action.run': 'a bash script, run with `set -e`: the first failing command fails the action',
  'step.id': 'unique in the lab; used by `netdojo replay --step/--from` and `netdojo dev`',
  'step.title': 'shown in the step list',
  'step.text': 'markdown for the learner; a fenced code block with the info string `bash run` is click-to-run in the terminal (`bash run host=<name>`: on another host)',
  'step.setup': 'hidden preparation, run before the step (in replay, before its checks)',
  'step.solve': 'the reference solution; replay runs it, and "Solve step" runs it for a stuck learner (required unless the step declares faults: then the drawn faults\' solves run first)',
  'step.checks': 'what the Check button verifies; each must fail before the solve and pass after it (required unless the step declares faults: the drawn faults\' checks are added)',
  'step.hint': 'a hint for the whole step; a list of levels (the idea → where to look → the command) is revealed one level at a time',
  'fault.id': 'unique among the step\'s faults; what a session stores as drawn',
  'near-miss.id': 'unique among the step\'s near-misses and alternatives; `netdojo replay --variant <step>/<id>`',
  'alternative.id': 'unique among the step\'s near-misses and alternatives; `netdojo replay --variant <step>/<id>`',
  'check.id': 'unique in the lab',
  'check.title': 'what the learner reads next to ✓/✗ (default: the kind and its target)',
  'check.hint': 'shown when the check fails; with a list of levels, each failure offers the next level',
  'shell.run': 'a bash script; exit code 0 passes',
  'shell.outputMatches': 'and its stdout must match this regex (multi-line: `^`/`$` match at every line)',
  'ping.to': 'an address or a host name',
  'ping.count': 'echo requests sent; one reply is enough',
  'ping.expect': '`no-reply` checks that something is blocked',
  'http.url': 'fetched with curl from the check\'s host (and netns)',
  'http.method': 'HEAD: the headers are the body that `bodyMatches` sees',
  'http.status': 'the expected status (default: any 2xx or 3xx)',
  'http.bodyMatches': 'the body must match this regex',
  'http.headers': 'request headers, name → value',
  'http.insecure': 'accept any TLS certificate (curl -k)',
  'http.repeat': 'number of requests; every one must pass',
  'dns.name': 'the name to look up',
  'dns.type': 'the record type',
  'dns.server': 'ask this server (dig @server); default: the host\'s resolv.conf',
  'dns.answer': 'one of the answers must equal this',
  'dns.answerMatches': 'one of the answers must match this regex',
  'dns.expect': 'what the lookup must produce',
  'iptables.table': 'the table',
  'iptables.chain': 'the chain, e.g. FORWARD, POSTROUTING, DOCKER, KUBE-SERVICES',
  'iptables.policy': 'the policy of a built-in chain',
  'iptables.absent': 'passes when no rule matches `match`',
  'route.via': 'the gateway',
  'route.dev': 'the output device',
  'route.proto': 'kernel (connected), boot (by hand), static, bird …',
  'route.table': 'the routing table (default: main)',
  'route.absent': 'passes when there is no such route',
  'link.name': 'the interface name',
  'netns.absent': 'passes when there is no such namespace',
  'sysctl.key': 'a `net.*` key (per network namespace), e.g. `net.ipv4.ip_forward`, `net.ipv4.conf.cali1.proxy_arp`',
  'file.absent': 'passes when the file does not exist',
  'file.matches': 'the whole content must match (multi-line: `^`/`$` match at every line; `[\\s\\S]` spans lines)',
  'file.lineMatches': 'some line must match',
  'capture.matches': 'some captured line (`tcpdump -nn -l` output) must match',
  'capture.expect': '`absent`: no captured packet may match (something is blocked, or takes another path)',
  'link.master': 'the bridge (or bond) it is attached to',
  'link.mtu': 'the MTU',
  'link.absent': 'passes when the link does not exist',
  'kubectl.namespace': 'the namespace (default: default)',
  'kubectl.selector': 'a label selector (-l)',
  'kubectl.jsonpath': 'read one field (-o jsonpath=…)',
  'kubectl.equals': 'the value must equal this',
  'kubectl.matches': 'the value must match this regex',
  'kubectl.exists': 'true: the resource must exist; false: it must not',
  'kubectl.exec': '{pod, container?, run, outputMatches?}: run `sh -c` in a pod (curl or dig from inside the cluster)',
};

interface Section {
  key: string;
  title: string;
  /** where it is written in a lab file */
  where: string;
  intro: string;
  schema: z.ZodObject;
  /** field → section key it links to */
  links?: Record<string, string>;
  omit?: string[];
}

const checkCommon = (Check.options[0] as unknown as z.ZodObject).omit({ shell: true });
const kindSchema = (kind: CheckKind): z.ZodObject => {
  const variant = (Check.options as unknown as z.ZodObject[]).find((o) => kind in o.shape)!;
  return variant.shape[kind] as z.ZodObject;
};

const KIND_INTRO: Record<CheckKind, string> = {
  shell: 'The escape hatch: a script whose exit code decides. Its stdout and stderr are shown to the learner.',
  ping: 'Sends echo requests from a host (or a namespace of it) and reads the statistics.',
  http: 'curl from a host (or a namespace of it); status, body, and over several requests (load balancing) which bodies appear.',
  dns: '`dig` (or the system resolver with `resolver: system`) from a host or namespace.',
  iptables: 'Reads `iptables -t <table> -S <chain>` on the host (or in a namespace).',
  route: 'Reads `ip -j route` of a table on the host (or in a namespace).',
  link: 'Reads `ip -j link` and `ip -j addr` of one interface. `state: UP` is operationally up (admin up and a carrier: a veth whose peer is down is not up); `adminState` is the flag alone.',
  netns: 'A named network namespace exists (`ip netns add NAME`): an nsfs mount of a network namespace at `/run/netns/NAME`, read from the host\'s mount table. The name matches exactly; an empty file or a symlink of that name does not count.',
  sysctl: 'The live value of a `net.*` sysctl in the host\'s (or a namespace\'s) network namespace, read from `/proc/sys` there. A line in `/etc/sysctl.d` is not the live value.',
  file: 'A file the learner wrote, read from outside (symlinks resolve inside the host), at most 1 MiB: `matches` on the whole content, `lineMatches` on each line.',
  capture: 'A bounded live capture: tcpdump (`-nn -l`, at most 200 packets) on an interface of a host or namespace while a ping is sent from `send` (by default the same host), then the captured lines are matched. Use it instead of a pcap file written by the solve: it sees what the learner\'s network does now.',
  kubectl: 'Runs kubectl on the lab\'s control-plane node (kind labs): `get` a resource or field, or `exec` in a pod.',
};

const SECTIONS: Section[] = [
  {
    key: 'lab',
    title: 'Lab',
    where: 'the top level of `lab.yaml`',
    intro: 'One lab per file, `labs/<track>/<id>/lab.yaml`; a `files/` folder next to it is copied to `/lab/files` on every host.',
    schema: Lab,
    links: { environment: 'environment', setup: 'action', steps: 'step' },
  },
  { key: 'environment', title: 'Environment', where: '`environment:`', intro: 'The sandbox the lab runs in.', schema: Environment, links: { hosts: 'host', networks: 'network', cluster: 'cluster' } },
  { key: 'host', title: 'Host', where: '`environment.hosts[]`', intro: 'One container (docker provider).', schema: Host },
  {
    key: 'network',
    title: 'Network',
    where: '`environment.networks[]`',
    intro: 'A switch between hosts, with fixed addresses. A host on two networks is a router (it gets eth0 and eth1).',
    schema: Network,
  },
  { key: 'cluster', title: 'Cluster (kind)', where: '`environment.cluster`', intro: 'The kind cluster of a `provider: kind` lab.', schema: KindCluster, links: { nodes: 'node' } },
  { key: 'node', title: 'Cluster node (kind)', where: '`environment.cluster.nodes[]`', intro: 'One kind node.', schema: KindNode },
  {
    key: 'action',
    title: 'Action',
    where: '`setup[]`, `steps[].setup[]`, `steps[].solve[]`',
    intro: 'A command run on a host. Actions of a list run in order; the first failure stops the list.',
    schema: Action,
  },
  {
    key: 'step',
    title: 'Step',
    where: '`steps[]`',
    intro: 'One thing to do, with its solution and its checks.',
    schema: Step,
    links: { setup: 'action', solve: 'action', checks: 'check', nearMisses: 'near-miss', alternatives: 'alternative', faults: 'fault' },
  },
  {
    key: 'fault',
    title: 'Fault',
    where: '`steps[].faults[]`',
    intro:
      'A troubleshooting step declares faults; each session draws `pick` of them, seeded by the session id and kept with the session (a restart keeps them). Only the drawn faults are injected (after the step\'s setup), their symptoms shown and their checks run. `netdojo replay` proves every fault, not a draw: all injected, every check fails; then the faults are repaired one at a time in file order, each one\'s checks must pass and the checks of the faults not repaired yet must still fail; each fault\'s near-misses and alternatives run with that fault alone injected. See [Troubleshooting steps](authoring.md#troubleshooting-steps-faults).',
    schema: Fault,
    links: { inject: 'action', solve: 'action', checks: 'check', nearMisses: 'near-miss', alternatives: 'alternative' },
  },
  {
    key: 'near-miss',
    title: 'Near-miss',
    where: '`steps[].nearMisses[]`',
    intro:
      'A plausible wrong learner action. `netdojo replay` runs it from a fresh sandbox fast-forwarded to the step (after the step\'s setup) and proves that at least one check still fails — the one named in `fails`, if given. See [Variants](authoring.md#variants-near-misses-and-alternatives).',
    schema: NearMiss,
    links: { solve: 'action' },
  },
  {
    key: 'alternative',
    title: 'Alternative',
    where: '`steps[].alternatives[]`',
    intro: 'Another correct solution. `netdojo replay` runs it like a near-miss and proves that every check passes.',
    schema: Alternative,
    links: { solve: 'action' },
  },
  {
    key: 'check',
    title: 'Check (common fields)',
    where: '`steps[].checks[]`',
    intro: [
      `Every check has these fields and exactly one kind key: ${CHECK_KINDS.map((k) => `[\`${k}\`](#${k})`).join(', ')}.`,
      '',
      `**Where checks run.** On the docker provider these kinds run **out-of-band**: ${Object.keys(OUT_OF_BAND_KINDS).map((k) => `\`${k}\``).join(', ')} (\`dns\` unless \`resolver: system\`).`,
      'The server enters the host\'s (or the named namespace\'s) network namespace from outside and reads the kernel with its own `ip`, `iptables-nft`, `ping`, `curl`, `dig`, `tcpdump`;',
      'files (`/etc/hosts`, `resolv.conf`, `nsswitch.conf`, a `file` check\'s path) are read from outside too, and names resolve the way the host would resolve them.',
      'Nothing the learner replaces inside the sandbox (tools, `PATH`, `LD_PRELOAD`, `/proc/net`) changes their verdict.',
      '`shell`, `kubectl` and `dns` with `resolver: system` run **in-band** (inside the sandbox, with its tools), as does every kind on the kind provider and on a server that cannot enter namespaces (it says so in its log and in `/api/health`).',
      'Every probe\'s output is capped at 1 MiB per stream: past it the probe is stopped and the check fails saying so.',
      'A step\'s checks run together: typed ones in parallel, the in-band `shell` checks of one host in one exec.',
    ].join('\n'),
    schema: checkCommon,
  },
  ...CHECK_KINDS.map(
    (kind): Section => ({
      key: kind,
      title: `\`${kind}\` check`,
      where: `\`steps[].checks[].${kind}\``,
      intro: KIND_INTRO[kind],
      schema: kindSchema(kind),
    }),
  ),
];

// ---- field types in words ----

type Js = Record<string, unknown>;

function typeWords(js: Js): string {
  if (Array.isArray(js.anyOf)) {
    const branches = js.anyOf as Js[];
    const isText = branches.some((b) => b.type === 'string') && branches.some((b) => b.type === 'object' && (b.properties as Js | undefined)?.en);
    if (isText) return 'text';
    return branches.map(typeWords).join(' or ');
  }
  if (js.const !== undefined) return `\`${String(js.const)}\``;
  if (Array.isArray(js.enum)) return (js.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  switch (js.type) {
    case 'string': {
      if (js.format === 'ipv4') return 'IPv4 address';
      if (js.format === 'cidrv4') return 'IPv4 prefix (a.b.c.d/n)';
      if (js.format === 'uri') return 'URL';
      if (js.description === 'regular expression (JavaScript syntax)') return 'regex';
      if (js.pattern === '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$') return 'id (a-z, 0-9, -)';
      if (js.pattern === '^[a-z][a-z0-9-]{0,30}$') return 'host name';
      if (typeof js.pattern === 'string' && js.pattern.startsWith('^(docker|kind')) return '[requirement](#requirements)';
      return 'string';
    }
    case 'integer':
    case 'number': {
      const word = js.type === 'integer' ? 'integer' : 'number';
      const min = (js.minimum ?? js.exclusiveMinimum) as number | undefined;
      const max = typeof js.maximum === 'number' && js.maximum < Number.MAX_SAFE_INTEGER ? js.maximum : undefined;
      if (min !== undefined && min <= -Number.MAX_SAFE_INTEGER) return word;
      if (min !== undefined && max !== undefined) return `${word} ${js.exclusiveMinimum !== undefined ? `> ${min}` : min}–${max}`;
      if (js.exclusiveMinimum === 0) return `${word} > 0`;
      if (min !== undefined) return `${word} ≥ ${min}`;
      return word;
    }
    case 'boolean':
      return 'true \\| false';
    case 'array':
      return `list of ${typeWords((js.items ?? {}) as Js)}`;
    case 'object':
      if (js.additionalProperties && typeof js.additionalProperties === 'object' && !js.properties)
        return `map: ${typeWords((js.propertyNames ?? { type: 'string' }) as Js)} → ${typeWords(js.additionalProperties as Js)}`;
      return 'map';
    default:
      return 'any';
  }
}

/** The schema under optional/default/meta wrappers (meta clones keep `innerType`). */
function unwrap(t: z.ZodType): z.ZodType {
  let cur = t as z.ZodType & { def: { innerType?: z.ZodType } };
  while (cur.def.innerType) cur = cur.def.innerType as typeof cur;
  return cur;
}
const isRegex = (t: z.ZodType): boolean => unwrap(t) === Regex;
const isRegexList = (t: z.ZodType): boolean => {
  const u = unwrap(t) as z.ZodType & { def: { type: string; element?: z.ZodType } };
  return u.def.type === 'array' && !!u.def.element && isRegex(u.def.element);
};

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const cellRaw = (s: string): string => s.replace(/\n/g, ' ');

function defaultWords(v: unknown): string {
  if (Array.isArray(v) && v.length === 0) return '`[]`';
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

function table(section: Section): string[] {
  const js = z.toJSONSchema(section.schema, { io: 'input', unrepresentable: 'any' }) as Js;
  const props = (js.properties ?? {}) as Record<string, Js>;
  const required = new Set((js.required ?? []) as string[]);
  const rows = ['| field | type | required / default | description |', '|---|---|---|---|'];
  for (const [name, p] of Object.entries(props)) {
    if (section.omit?.includes(name)) continue;
    const link = section.links?.[name];
    const field = section.schema.shape[name] as z.ZodType;
    let type = isRegex(field) ? 'regex' : isRegexList(field) ? 'list of regex' : typeWords(p);
    if (link) type = p.type === 'array' ? `list of [${link}](#${link})` : `[${link}](#${link})`;
    const desc = NOTES[`${section.key}.${name}`] ?? (typeof p.description === 'string' && p.description !== 'regular expression (JavaScript syntax)' ? p.description : undefined);
    if (!desc) throw new Error(`reference: no description for ${section.key}.${name}: add .meta({description}) to the schema or a NOTES entry`);
    const req = required.has(name) ? '**required**' : p.default !== undefined ? defaultWords(p.default) : 'optional';
    rows.push(`| \`${name}\` | ${cellRaw(type)} | ${req} | ${cell(desc)} |`);
  }
  return rows;
}

// ---- what failures look like: the checkers' own messages on recorded command output ----

const TESTDATA = join(REPO_ROOT, 'server/src/checks/testdata');
const recorded = (name: string): string => readFileSync(join(TESTDATA, name), 'utf8');
const probes = (): Record<string, { stdout: string; stderr: string; exitCode: number }> => JSON.parse(recorded('probes.json'));
const res = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({ stdout, stderr, exitCode, timedOut: false, durationMs: 1 });
const probe = (name: string): ExecResult => {
  const p = probes()[name];
  if (!p) throw new Error(`reference: no recorded probe ${name} in ${TESTDATA}/probes.json`);
  return res(p.stdout, p.exitCode, p.stderr);
};
const linkOut = (dev: string) => `${recorded(`link-${dev}.json`)}\n@@netdojo-addr@@\n${recorded(`addr-${dev}.json`)}`;

interface Example {
  yaml: string;
  outcome: () => CheckOutcome;
}

const EXAMPLES: Record<CheckKind, Example[]> = {
  shell: [
    {
      yaml: 'shell: { run: "ip netns list", outputMatches: "^red\\\\b" }',
      outcome: () => evaluateShell(ShellCheck.parse({ run: 'ip netns list', outputMatches: '^red\\b' }), res('blue\n'), 'host'),
    },
    {
      yaml: 'shell: { run: "ip netns exec red true" }',
      outcome: () => evaluateShell(ShellCheck.parse({ run: 'ip netns exec red true' }), res('', 1, 'Cannot open network namespace "red": No such file or directory\n'), 'host'),
    },
  ],
  ping: [
    { yaml: 'ping: { netns: red, to: 192.168.15.3, count: 3 }', outcome: () => evaluatePing(PingCheck.parse({ to: '192.168.15.3', count: 3 }), probe('ping-loss'), 'host (netns red)') },
    { yaml: 'ping: { to: 10.99.0.1 }', outcome: () => evaluatePing(PingCheck.parse({ to: '10.99.0.1' }), probe('ping-network-unreachable'), 'host') },
  ],
  http: [
    {
      yaml: 'http: { url: "http://127.0.0.1:8080/missing", status: 200 }',
      outcome: () => evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8080/missing', status: 200 }), parseHttp(probes()['http-404']!.stdout, '@@M@@'), 'host'),
    },
    {
      yaml: 'http: { url: "http://127.0.0.1:8081/" }',
      outcome: () => evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8081/' }), parseHttp(probes()['http-refused']!.stdout, '@@M@@'), 'host'),
    },
  ],
  dns: [
    { yaml: 'dns: { name: nope.lab }', outcome: () => evaluateDns(DnsCheck.parse({ name: 'nope.lab' }), parseDig(probes()['dig-nxdomain']!.stdout)) },
    {
      yaml: 'dns: { name: web.lab, server: 127.0.0.53, answer: 10.0.0.11 }',
      outcome: () => evaluateDns(DnsCheck.parse({ name: 'web.lab', server: '127.0.0.53', answer: '10.0.0.11' }), parseDig(probes()['dig-a']!.stdout)),
    },
  ],
  iptables: [
    {
      yaml: 'iptables: { table: nat, chain: DOCKER, match: "--dport 9090 .*DNAT" }',
      outcome: () => evaluateIptables(IptablesCheck.parse({ table: 'nat', chain: 'DOCKER', match: '--dport 9090 .*DNAT' }), res(recorded('ipt-nat-docker.txt')), 'host'),
    },
    {
      yaml: 'iptables: { table: nat, chain: POSTROUTING, match: MASQUERADE, absent: true }',
      outcome: () => evaluateIptables(IptablesCheck.parse({ table: 'nat', chain: 'POSTROUTING', match: 'MASQUERADE', absent: true }), res(recorded('ipt-nat-postrouting.txt')), 'host'),
    },
  ],
  route: [
    { yaml: 'route: { netns: red, dst: 10.0.3.0/24 }', outcome: () => evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.3.0/24' }), res(recorded('route-red.json')), 'host (netns red)') },
    {
      yaml: 'route: { netns: red, dst: 10.0.2.0/24, via: 192.168.15.1 }',
      outcome: () => evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.2.0/24', via: '192.168.15.1' }), res(recorded('route-red.json')), 'host (netns red)'),
    },
  ],
  link: [
    { yaml: 'link: { netns: red, name: veth-red, address: 192.168.15.2/24 }', outcome: () => evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red', address: '192.168.15.2/24' }), res(linkOut('veth-red')), 'host (netns red)') },
    { yaml: 'link: { name: veth-nope }', outcome: () => evaluateLinkOutput(LinkCheck.parse({ name: 'veth-nope' }), res('', 1, recorded('link-missing.txt')), 'host') },
  ],
  netns: [
    {
      yaml: 'netns: { name: red }',
      outcome: () => evaluateNetns(NetnsCheck.parse({ name: 'red' }), parseMountinfo('55 45 0:4 net:[4026532254] /run/netns/red-1 rw - nsfs nsfs rw'), 'host'),
    },
  ],
  sysctl: [
    { yaml: 'sysctl: { key: net.ipv4.ip_forward, equals: "1" }', outcome: () => evaluateSysctl(SysctlCheck.parse({ key: 'net.ipv4.ip_forward', equals: '1' }), res('0\n'), 'host') },
  ],
  file: [
    {
      yaml: 'file: { path: /etc/resolv.conf, lineMatches: "^options .*ndots:5" }',
      outcome: () =>
        evaluateFile(FileCheck.parse({ path: '/etc/resolv.conf', lineMatches: '^options .*ndots:5' }), { kind: 'file', content: Buffer.from('nameserver 10.96.0.10\n'), size: 22, truncated: false }, 'pod1'),
    },
  ],
  capture: [
    {
      yaml: 'capture: { interface: cali1, filter: icmp, send: { netns: pod2, ping: 10.0.0.1 }, matches: "ICMP echo request" }',
      outcome: () =>
        evaluateCapture(
          CaptureCheck.parse({ interface: 'cali1', filter: 'icmp', send: { netns: 'pod2', ping: '10.0.0.1' }, matches: 'ICMP echo request' }),
          { tcpdump: res('', 0, 'listening on cali1, link-type EN10MB (Ethernet), snapshot length 256 bytes\n') },
          'node1',
          'node1 (netns pod2)',
        ),
    },
  ],
  kubectl: [
    {
      yaml: 'kubectl: { get: svc/web, jsonpath: "{.spec.type}", equals: NodePort }',
      outcome: () => evaluateGet(KubectlCheck.parse({ get: 'svc/web', jsonpath: '{.spec.type}', equals: 'NodePort' }), res('ClusterIP')),
    },
    {
      yaml: 'kubectl: { get: svc/web }',
      outcome: () => evaluateGet(KubectlCheck.parse({ get: 'svc/web' }), res('', 1, 'Error from server (NotFound): services "web" not found\n')),
    },
  ],
};

function examples(kind: CheckKind): string[] {
  const out = ['', 'What a learner sees when it fails (the checker\'s own words, on recorded output):', ''];
  for (const ex of EXAMPLES[kind]) {
    const o = ex.outcome();
    if (o.pass) throw new Error(`reference: the ${kind} example ${ex.yaml} passes; it must show a failure`);
    out.push('```yaml', ex.yaml, '```', '', `> ✗ ${o.message.replace(/\n/g, ' ')}`, '');
  }
  return out;
}

// ---- the document ----

export function renderReference(): string {
  const lines: string[] = [
    '# Lab format reference',
    '',
    '<!-- Generated by `netdojo docs --write` from server/src/labs/schema.ts and the checkers. Do not edit by hand: a test fails when it is stale. -->',
    '',
    'Every field of `lab.yaml`, generated from the schema the loader uses. How to write a lab, step by step: [authoring.md](authoring.md).',
    'Unknown fields are errors everywhere (a typo never passes silently). **text** means a string, or a map of locales',
    `(${LOCALES.map((l) => `\`${l}\``).join(', ')}; \`en\` is required and is the fallback). **regex** is JavaScript syntax, matched per line (\`m\` flag).`,
    '',
    '## Contents',
    '',
    ...SECTIONS.map((s) => `- [${s.title.replace(/`/g, '')}](#${s.key})`),
    '- [Requirements](#requirements)',
    '',
  ];
  for (const s of SECTIONS) {
    lines.push(`<a id="${s.key}"></a>`, '', `## ${s.title}`, '', `Where: ${s.where}. ${s.intro}`, '', ...table(s));
    if ((CHECK_KINDS as readonly string[]).includes(s.key)) lines.push(...examples(s.key as CheckKind));
    lines.push('');
  }
  lines.push(
    '<a id="requirements"></a>',
    '',
    '## Requirements',
    '',
    'Values of `requires:`. `netdojo replay` skips a lab whose requirements this machine cannot meet, and says why.',
    '',
    '| requirement | met when |',
    '|---|---|',
    '| `docker` | the Docker engine answers (and runs with a user namespace, or the operator allowed otherwise) |',
    '| `kind` | the kind binary is on the PATH (and Docker runs) |',
    '| `kubectl` | kubectl is on the PATH |',
    '| `internet` | the machine may reach the internet (never assumed: labs work offline) |',
    ...Object.entries(KERNEL_PROBES).map(([k, cmd]) => `| \`kernel:${k}\` | a sandbox can run \`${cell(cmd)}\` |`),
    '',
  );
  return `${lines.join('\n')}`;
}

export async function writeReference(file = REFERENCE_FILE): Promise<boolean> {
  const text = renderReference();
  if ((await readFile(file, 'utf8').catch(() => undefined)) === text) return false;
  await writeFile(file, text);
  return true;
}

export async function referenceIsCurrent(file = REFERENCE_FILE): Promise<boolean> {
  return (await readFile(file, 'utf8').catch(() => undefined)) === renderReference();
}
