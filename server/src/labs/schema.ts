// The lab format: the public contract between instructors and netdojo.
// Every object is strict so that a typo is an error, never a silently ignored field.
import { z } from 'zod';

export const LOCALES = ['en', 'ko'] as const;
export type Locale = (typeof LOCALES)[number];

/** A plain string (English) or a map of locales; `en` is required as the fallback. */
export const Text = z.union([
  z.string(),
  z.strictObject({ en: z.string(), ko: z.string().optional() }),
]);
export type Text = z.infer<typeof Text>;

/** A hint, or hints in levels that nudge before they tell: the idea → where to look → the command. */
export const Hint = z.union([Text, z.array(Text).min(1).max(5)]).meta({
  description: 'markdown; a list of levels (the idea → where to look → the command) is revealed one level at a time',
});
export type Hint = z.infer<typeof Hint>;

const Id = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'ids are lower-case letters, digits and dashes');
const HostName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'host names are lower-case, start with a letter, ≤ 31 chars');
const NetnsName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a network namespace name');
const Ipv4 = z.ipv4();
const Cidr = z.cidrv4();
/** A regular expression written as a string; the linter proves that it compiles. */
export const Regex = z.string().min(1).meta({ description: 'regular expression (JavaScript syntax)' });

export const Requirement = z
  .string()
  .regex(/^(docker|kind|internet|kubectl|kernel:[a-z0-9_]+)$/, 'docker, kind, internet, kubectl or kernel:<feature>');

export const Host = z.strictObject({
  name: HostName,
  image: z.string().default('netdojo/netbox').meta({ description: 'image of this host; built by `netdojo images build`' }),
  docker: z.boolean().default(false).meta({ description: 'runs a Docker engine inside (the dind variant: more privileges)' }),
  hostname: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
});
export type Host = z.infer<typeof Host>;

export const Network = z.strictObject({
  name: Id,
  subnet: Cidr,
  gateway: Ipv4.optional(),
  hosts: z.record(HostName, Ipv4).meta({ description: 'host name → fixed address on this network' }),
});
export type Network = z.infer<typeof Network>;

export const KindNode = z.strictObject({
  role: z.enum(['control-plane', 'worker']),
  labels: z.record(z.string(), z.string()).optional(),
  extraPortMappings: z
    .array(z.strictObject({ containerPort: z.number().int(), hostPort: z.number().int(), protocol: z.enum(['TCP', 'UDP']).optional() }))
    .optional(),
});

export const KindCluster = z.strictObject({
  nodes: z.array(KindNode).min(1).default([{ role: 'control-plane' }]),
  disableDefaultCNI: z.boolean().default(false),
  podSubnet: Cidr.optional(),
  serviceSubnet: Cidr.optional(),
  kubeProxyMode: z.enum(['iptables', 'ipvs', 'none']).optional(),
});
export type KindCluster = z.infer<typeof KindCluster>;

export const Environment = z.strictObject({
  provider: z.enum(['docker', 'kind']).default('docker'),
  hosts: z.array(Host).default([]),
  networks: z.array(Network).default([]),
  cluster: KindCluster.optional().meta({ description: 'kind only: the cluster to create' }),
});
export type Environment = z.infer<typeof Environment>;

/** A command run on a host, as `bash -e` (optionally inside a network namespace of that host). */
export const Action = z.strictObject({
  host: HostName.optional().meta({ description: 'defaults to the first host' }),
  netns: NetnsName.optional(),
  run: z.string().min(1),
  background: z.boolean().default(false).meta({ description: 'start as a daemon and return at once' }),
  timeout: z.number().positive().max(600).default(60).meta({ description: 'seconds' }),
});
export type Action = z.infer<typeof Action>;

const Where = {
  host: HostName.optional().meta({ description: 'defaults to the first host' }),
  netns: NetnsName.optional().meta({ description: 'run inside this network namespace of the host' }),
};

export const ShellCheck = z.strictObject({
  ...Where,
  run: z.string().min(1),
  outputMatches: Regex.optional(),
});
export const PingCheck = z.strictObject({
  ...Where,
  to: z.string().min(1),
  from: Ipv4.optional().meta({ description: 'source address of the echo requests (ping -I): one of the host\'s own addresses, e.g. a pod-network address to prove NAT' }),
  count: z.number().int().min(1).max(20).default(2),
  expect: z.enum(['reply', 'no-reply']).default('reply'),
});
export const HttpCheck = z.strictObject({
  ...Where,
  url: z.string().url(),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  status: z.number().int().min(100).max(599).optional(),
  bodyMatches: Regex.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  resolve: z.string().optional().meta({ description: 'curl --resolve host:port:addr' }),
  cacert: z.string().optional().meta({ description: 'path on the host of a CA certificate to trust' }),
  insecure: z.boolean().default(false),
  repeat: z.number().int().min(1).max(200).default(1),
  expectAll: z.array(Regex).optional().meta({ description: 'over `repeat` requests, each regex matches at least one body' }),
});
export const DnsCheck = z.strictObject({
  ...Where,
  name: z.string().min(1),
  type: z.enum(['A', 'AAAA', 'CNAME', 'PTR', 'SRV', 'TXT', 'MX', 'NS']).default('A'),
  server: z.string().optional(),
  resolver: z.enum(['dig', 'system']).default('dig').meta({ description: 'system = getent (honours /etc/hosts and nsswitch)' }),
  answer: z.string().optional(),
  answerMatches: Regex.optional(),
  expect: z.enum(['answer', 'nxdomain', 'no-answer']).default('answer'),
});
export const IptablesCheck = z.strictObject({
  ...Where,
  table: z.enum(['filter', 'nat', 'mangle', 'raw']).default('filter'),
  chain: z.string().min(1),
  match: Regex.optional().meta({ description: 'a line of `iptables -S <chain>` must match' }),
  policy: z.enum(['ACCEPT', 'DROP']).optional(),
  absent: z.boolean().default(false),
});
export const RouteCheck = z.strictObject({
  ...Where,
  dst: z.string().min(1).meta({ description: '`default` or a prefix such as 10.0.2.0/24' }),
  via: Ipv4.optional(),
  dev: z.string().optional(),
  proto: z.string().optional(),
  table: z.string().optional(),
  absent: z.boolean().default(false),
});
export const LinkCheck = z.strictObject({
  ...Where,
  name: z.string().min(1),
  type: z.string().optional().meta({ description: 'veth, bridge, vxlan, ipip, dummy …' }),
  state: z.enum(['UP', 'DOWN']).optional().meta({ description: 'UP: operationally up (admin up and carrier, LOWER_UP); DOWN: not' }),
  adminState: z.enum(['UP', 'DOWN']).optional().meta({ description: 'the administrative flag only (`ip link set … up`)' }),
  master: z.string().optional(),
  address: Cidr.optional().meta({ description: 'an IPv4 address with prefix, e.g. 192.168.15.1/24' }),
  mtu: z.number().int().optional(),
  absent: z.boolean().default(false),
});
export const KubectlCheck = z.strictObject({
  get: z.string().optional().meta({ description: 'resource, e.g. svc/nginx or pods' }),
  namespace: z.string().optional(),
  selector: z.string().optional(),
  jsonpath: z.string().optional(),
  equals: z.string().optional(),
  matches: Regex.optional(),
  exists: z.boolean().optional(),
  exec: z
    .strictObject({ pod: z.string(), container: z.string().optional(), run: z.string(), outputMatches: Regex.optional() })
    .optional(),
});

export const NetnsCheck = z.strictObject({
  host: HostName.optional().meta({ description: 'defaults to the first host' }),
  name: NetnsName.meta({ description: 'the exact name (`ip netns add NAME`)' }),
  absent: z.boolean().default(false),
});
const SysctlKey = z
  .string()
  .regex(/^net\.[A-Za-z0-9_/@:-]+(\.[A-Za-z0-9_/@:-]+)*$/, 'a net.* sysctl key such as net.ipv4.ip_forward (net.* is per network namespace)');
export const SysctlCheck = z.strictObject({
  ...Where,
  key: SysctlKey,
  equals: z.string().min(1).meta({ description: 'the live value (whitespace-separated fields compare field by field)' }),
});
export const FileCheck = z.strictObject({
  host: HostName.optional().meta({ description: 'defaults to the first host' }),
  path: z.string().regex(/^\/[^\0]*$/, 'an absolute path').meta({ description: 'absolute path in the host; symlinks resolve inside the host' }),
  matches: Regex.optional(),
  lineMatches: Regex.optional(),
  absent: z.boolean().default(false),
});
export const CaptureCheck = z.strictObject({
  ...Where,
  interface: z.string().min(1).meta({ description: 'capture on this interface' }),
  filter: z.string().min(1).meta({ description: 'tcpdump (BPF) filter, e.g. `icmp and host 10.0.2.2`' }),
  send: z
    .strictObject({
      host: HostName.optional().meta({ description: 'defaults to the capture host' }),
      netns: NetnsName.optional(),
      ping: z.string().min(1).meta({ description: 'address (or name, resolved as that host would) to ping during the capture' }),
    })
    .meta({ description: '{host?, netns?, ping}: the ping sent while capturing, from `host` (default: the capture\'s host) and `netns` (default: none, the host itself)' }),
  matches: Regex,
  expect: z.enum(['seen', 'absent']).default('seen'),
  seconds: z.number().min(1).max(10).default(3).meta({ description: 'capture duration' }),
});

export const CHECK_KINDS = ['shell', 'ping', 'http', 'dns', 'iptables', 'route', 'link', 'netns', 'sysctl', 'file', 'capture', 'kubectl'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * A check's `retry` window when the lab gives none (seconds). State that the solve itself writes
 * and the server reads back (a namespace, a route, a rule, a sysctl, a file) is there when the
 * solve returns; a link's carrier and operstate reach user space through the kernel's linkwatch,
 * up to about 1 s late, hence 2 s. Kinds that wait on processes starting, traffic, resolvers or
 * controllers keep 10 s. A near-miss costs its catching check's window, so this is most of what a
 * replay with variants waits for.
 */
export const RETRY_DEFAULTS: Readonly<Record<CheckKind, number>> = {
  netns: 2,
  link: 2,
  route: 2,
  iptables: 2,
  sysctl: 2,
  file: 2,
  shell: 10,
  ping: 10,
  http: 10,
  dns: 10,
  capture: 10,
  kubectl: 10,
};

function retryDefaultsInWords(): string {
  const byWindow = new Map<number, CheckKind[]>();
  for (const kind of CHECK_KINDS) byWindow.set(RETRY_DEFAULTS[kind], [...(byWindow.get(RETRY_DEFAULTS[kind]) ?? []), kind]);
  return [...byWindow].map(([s, kinds]) => `${s} s for ${kinds.map((k) => `\`${k}\``).join(', ')}`).join('; ');
}

/** The check's retry window in seconds: its own `retry`, or its kind's default. */
export function retryOf(check: { retry?: number }): number {
  if (check.retry !== undefined) return check.retry;
  const kind = CHECK_KINDS.find((k) => k in check);
  return kind ? RETRY_DEFAULTS[kind] : 10;
}

const CheckCommon = {
  id: Id,
  title: Text.optional(),
  hint: Hint.optional(),
  passesBeforeSolve: z.boolean().default(false).meta({ description: 'opt out of "must fail before the solve"' }),
  retry: z
    .number()
    .min(0)
    .max(120)
    .optional()
    .meta({ description: `seconds to keep retrying a failing check after a solve; default by kind: ${retryDefaultsInWords()}` }),
};

export const Check = z.union([
  z.strictObject({ ...CheckCommon, shell: ShellCheck }),
  z.strictObject({ ...CheckCommon, ping: PingCheck }),
  z.strictObject({ ...CheckCommon, http: HttpCheck }),
  z.strictObject({ ...CheckCommon, dns: DnsCheck }),
  z.strictObject({ ...CheckCommon, iptables: IptablesCheck }),
  z.strictObject({ ...CheckCommon, route: RouteCheck }),
  z.strictObject({ ...CheckCommon, link: LinkCheck }),
  z.strictObject({ ...CheckCommon, netns: NetnsCheck }),
  z.strictObject({ ...CheckCommon, sysctl: SysctlCheck }),
  z.strictObject({ ...CheckCommon, file: FileCheck }),
  z.strictObject({ ...CheckCommon, capture: CaptureCheck }),
  z.strictObject({ ...CheckCommon, kubectl: KubectlCheck }),
]);
export type Check = z.infer<typeof Check>;

/** A plausible wrong learner action: replay proves it leaves at least one check failing. */
export const NearMiss = z.strictObject({
  id: Id,
  why: Text.optional().meta({ description: 'what the learner believed' }),
  solve: z.array(Action).min(1).meta({ description: 'the wrong action, same syntax as the step\'s solve' }),
  fails: Id.optional().meta({ description: 'the id of a check of this step that must be among the failing ones' }),
});
export type NearMiss = z.infer<typeof NearMiss>;

/** Another correct solution: replay proves it passes every check. */
export const Alternative = z.strictObject({
  id: Id,
  why: Text.optional().meta({ description: 'why this is right too' }),
  solve: z.array(Action).min(1).meta({ description: 'same syntax as the step\'s solve' }),
});
export type Alternative = z.infer<typeof Alternative>;

/**
 * A fault a troubleshooting step may inject. Each session draws `pick` of the step's faults (seeded
 * by the session); only the drawn faults are injected, shown (their symptoms) and checked.
 */
export const Fault = z.strictObject({
  id: Id,
  title: Text.meta({ description: 'what is broken (reports and instructors; the learner sees the symptom)' }),
  symptom: Text.meta({ description: 'markdown: what the learner observes when this fault is drawn — the symptom, not the cause' }),
  hint: Hint.optional().meta({ description: 'levels for the checks of this fault that declare no hint of their own' }),
  inject: z.array(Action).min(1).meta({ description: 'breaks the sandbox; runs after the step\'s setup, like setup' }),
  solve: z.array(Action).min(1).meta({ description: 'the repair (the Solve button and replay)' }),
  checks: z
    .array(Check)
    .min(1)
    .meta({ description: 'what is true once this fault is repaired: fail after its inject, pass after its solve, and never depend on another fault' }),
  nearMisses: z.array(NearMiss).default([]).meta({ description: 'plausible wrong repairs; replay injects this fault alone and proves each is caught' }),
  alternatives: z.array(Alternative).default([]).meta({ description: 'other correct repairs; replay injects this fault alone and proves each passes' }),
});
export type Fault = z.infer<typeof Fault>;

export const Step = z.strictObject({
  id: Id,
  title: Text,
  text: Text.meta({ description: 'markdown; ```bash run blocks become click-to-run' }),
  setup: z.array(Action).default([]),
  solve: z.array(Action).default([]).meta({ description: 'at least one action, unless the step declares faults' }),
  checks: z.array(Check).default([]).meta({ description: 'at least one check, unless the step declares faults' }),
  hint: Hint.optional(),
  nearMisses: z
    .array(NearMiss)
    .default([])
    .meta({ description: 'plausible wrong learner actions; replay proves each leaves at least one check failing' }),
  alternatives: z.array(Alternative).default([]).meta({ description: 'other correct solutions; replay proves each passes every check' }),
  repeatable: z
    .boolean()
    .default(true)
    .meta({ description: 'replay runs the solve a second time and re-checks; false when the solve cannot run twice' }),
  faults: z
    .array(Fault)
    .default([])
    .meta({ description: 'troubleshooting: faults of which each session draws `pick` at random; the drawn ones are injected after the setup' }),
  pick: z.number().int().positive().optional().meta({ description: 'how many faults a session draws (default: all of them)' }),
}).superRefine((step, ctx) => {
  if (step.pick !== undefined && step.pick > step.faults.length)
    ctx.addIssue({ code: 'custom', path: ['pick'], message: `pick ${step.pick} is more than the ${step.faults.length} faults this step declares` });
  // without faults, solve and checks are required lists (reported like any missing required field)
  if (!step.faults.length) {
    if (!step.solve.length) ctx.addIssue({ code: 'invalid_type', expected: 'array', input: undefined, path: ['solve'], message: 'a step needs at least one solve action (or faults)' });
    if (!step.checks.length) ctx.addIssue({ code: 'invalid_type', expected: 'array', input: undefined, path: ['checks'], message: 'a step needs at least one check (or faults)' });
  }
});
export type Step = z.infer<typeof Step>;

export const Lab = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal('netdojo/v1'),
  kind: z.literal('Lab'),
  id: Id,
  title: Text,
  description: Text.optional(),
  track: Id,
  after: z
    .array(Id)
    .default([])
    .meta({ description: 'the labs this one builds on (ids, any track): catalogs list a lab after them; [] starts a learning path' }),
  level: z.enum(['beginner', 'intermediate', 'advanced']),
  minutes: z.number().int().positive(),
  source: z.string().optional().meta({ description: 'the document and section this lab replays' }),
  requires: z.array(Requirement).default([]),
  environment: Environment,
  setup: z.array(Action).default([]).meta({ description: 'runs once after the sandbox starts, before step 1' }),
  steps: z.array(Step).min(1),
});
export type Lab = z.infer<typeof Lab>;
export type LabInput = z.input<typeof Lab>;

/** A lab as loaded from disk: the validated document plus where it came from. */
export interface LoadedLab {
  lab: Lab;
  dir: string;
  file: string;
}

export function textIn(text: Text | undefined, locale: Locale = 'en'): string {
  if (text === undefined) return '';
  if (typeof text === 'string') return text;
  return text[locale] ?? text.en;
}
