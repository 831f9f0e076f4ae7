import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nonTrivial, solveCommands } from './lint.js';
import { parseLab } from './loader.js';
import { Step } from './schema.js';

const VALID_FILE = join(import.meta.dirname, 'fixtures', 'valid', 'multi-host', 'lab.yaml');
const base = readFileSync(VALID_FILE, 'utf8');

/** Problems of the valid lab after an edit, as `line:col: severity: message`. */
function lint(edit: (s: string) => string, file = VALID_FILE): string[] {
  const text = edit(base);
  expect(text).not.toBe(base);
  return parseLab(text, file).problems.map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`);
}

describe('hosts', () => {
  it('network host maps name declared hosts', () => {
    expect(lint((s) => s.replace('node2: 10.10.2.20', 'nod2: 10.10.2.20'))).toEqual([
      "30:9: error: unknown host 'nod2' in network 'wan' (did you mean 'node2'?)",
    ]);
  });

  it('an action without a host needs at least one declared host', () => {
    const noHosts = (s: string): string =>
      s
        .replace(/ {2}hosts:\n[\s\S]*?(?=setup:)/, '  hosts: []\n')
        .replace(/host: node[12]/g, 'netns: x')
        .replace(/- host: node[12]\n(\s+)/g, '- $1')
        .replace(/ host=node2/g, '');
    const problems = lint(noHosts);
    expect(problems).toHaveLength(11);
    expect(problems[0]).toBe('18:5: error: this action has no host and the lab declares none (add environment.hosts)');
    expect(problems).toContain('49:15: error: this link check has no host and the lab declares none (add environment.hosts)');
  });

  it('kind labs have no declared hosts to check against; docker labs may not declare a cluster', () => {
    expect(lint((s) => s.replace('provider: docker', 'provider: kind').replace('host: node1\n    run: sysctl', 'host: node9\n    run: sysctl'))).toEqual([]);
    expect(lint((s) => s.replace('  provider: docker\n', '  provider: docker\n  cluster: {}\n'))).toEqual([
      "16:3: error: 'cluster' is only for provider kind",
    ]);
  });
});

describe('regexes', () => {
  it('every Regex field compiles, including list items', () => {
    expect(lint((s) => s.replace('match: "-s 10\\\\.10', 'match: "[-s 10\\\\.10'))).toEqual([
      "94:73: error: invalid regex in 'match': Unterminated character class",
    ]);
    expect(lint((s) => s.replace('        ping: { host: node1, to: 10.10.2.20 }', '        http: { host: node1, url: "http://10.10.2.20/", expectAll: ["a", "b)"] }'))).toEqual([
      "98:74: error: invalid regex in 'expectAll[1]': Unmatched ')'",
    ]);
  });
});

describe('networks', () => {
  it('addresses are inside their subnet, not special, and unique', () => {
    expect(lint((s) => s.replace('node1: 10.10.2.10\n        node2: 10.10.2.20', 'node1: 10.10.2.0\n        node2: 10.10.2.0'))).toEqual([
      "29:16: error: address 10.10.2.0 of host 'node1' is the network address of 10.10.2.0/24",
      "30:16: error: address 10.10.2.0 of host 'node2' is the network address of 10.10.2.0/24",
      "30:16: error: address 10.10.2.0 of host 'node2' is already given to host 'node1' on network 'wan'",
    ]);
    // a lab host may be the network's gateway (a router); the provider, not Docker, assigns addresses
    expect(parseLab(base.replace('node2: 10.10.1.20 }', 'node2: 10.10.1.1 }'), VALID_FILE).problems).toEqual([]);
    expect(lint((s) => s.replace('gateway: 10.10.1.1', 'gateway: 10.10.9.1'))).toEqual(['24:16: error: gateway 10.10.9.1 is outside subnet 10.10.1.0/24']);
  });

  it('warns about host bits in a subnet and overlapping lab networks', () => {
    expect(lint((s) => s.replace('subnet: 10.10.2.0/24', 'subnet: 10.10.2.7/24'))).toEqual([
      '27:15: warning: subnet 10.10.2.7/24 has host bits set (did you mean 10.10.2.0/24?)',
    ]);
    expect(lint((s) => s.replace('subnet: 10.10.2.0/24', 'subnet: 10.10.0.0/16'))).toEqual([
      "27:15: warning: subnet 10.10.0.0/16 overlaps subnet 10.10.1.0/24 of network 'lan'",
    ]);
  });

  it('host and network names are unique', () => {
    expect(lint((s) => s.replace('    - name: node2\n      image', '    - name: node1\n      image').replace(/node2/g, 'node1').replace('node1: 10.10.1.10, node1: 10.10.1.20', 'node1: 10.10.1.10').replace('node1: 10.10.2.10\n        node1: 10.10.2.20', 'node1: 10.10.2.10'))).toEqual([
      "18:13: error: duplicate host 'node1' (first at line 17)",
    ]);
  });
});

describe('assets', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netdojo-lint-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const labAt = (name: string, withFiles: boolean): string => {
    const dir = join(tmp, name);
    mkdirSync(join(dir, withFiles ? 'files' : ''), { recursive: true });
    if (withFiles) writeFileSync(join(dir, 'files', 'hello.txt'), 'hello\n');
    return join(dir, 'lab.yaml');
  };
  const moved = (s: string, name: string): string => s.replace('id: multi-host', `id: ${name}`).replace(/\$schema=\S+/, '$schema=../lab.schema.json');

  it('files/ references need the file, and may not leave files/', () => {
    expect(lint((s) => s.replace('/lab/files/hello.txt', '/lab/files/nope.txt && cat files/../../etc/passwd'))).toEqual([
      "66:36: error: 'files/nope.txt' is used but files/nope.txt does not exist",
      "66:36: error: 'files/../../etc/passwd' leaves the lab's files/ folder",
    ]);
    const file = labAt('no-files', false);
    expect(lint((s) => moved(s, 'no-files'), file)).toEqual([
      "66:36: error: 'files/hello.txt' is used but the lab has no files/ folder next to lab.yaml",
    ]);
  });

  it('a relative cacert may not escape the lab folder', () => {
    expect(lint((s) => s.replace('        ping: { host: node1, to: 10.10.2.20 }', '        http: { host: node1, url: "https://10.10.2.20/", cacert: "../../ca.pem" }'))).toEqual([
      "98:66: error: relative path '../../ca.pem' leaves the lab folder",
    ]);
  });

  it('symlinks in files/ stay inside the lab folder', () => {
    const file = labAt('with-link', true);
    symlinkSync('/etc/hostname', join(tmp, 'with-link', 'files', 'escape'));
    symlinkSync('hello.txt', join(tmp, 'with-link', 'files', 'inside'));
    expect(lint((s) => moved(s, 'with-link'), file)).toEqual(['1:1: error: files/escape is a symlink to /etc/hostname, outside the lab folder']);
  });
});

describe('texts', () => {
  it('warns about texts without ko once any text has ko', () => {
    expect(lint((s) => s.replace('title: { en: the MASQUERADE rule exists, ko: MASQUERADE 규칙이 있음 }', 'title: the MASQUERADE rule exists'))).toEqual([
      "93:16: warning: 'title' has no 'ko' text (other texts in this lab have one)",
    ]);
  });

  it('an English-only lab gets no locale warnings', () => {
    const englishOnly = base
      .replace(/, ko: [^}]+\}/g, ' }')
      .replace(/\n +ko: \|\n(?: {8}.*\n|\n)*/g, '\n')
      .replace(/\n +ko: .*/g, '');
    expect(englishOnly).not.toMatch(/\bko\b/);
    expect(parseLab(englishOnly, VALID_FILE).problems).toEqual([]);
  });

  it('markdown fences: unclosed blocks, attribute typos, and run blocks that differ between locales', () => {
    expect(lint((s) => s.replace('        ip link set backend up\n        ```\n      ko:', '        ip link set backend up\n      ko:'))).toEqual([
      "41:9: error: code block '```bash run host=node2' is never closed",
    ]);
    expect(lint((s) => s.replace('        ```bash run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n    solve', '        ```bash rnu host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n    solve'))).toEqual([
      "46:11: warning: the 'ko' text has 0 run blocks, the 'en' text 1",
      "49:9: warning: unknown code block attribute 'rnu' (did you mean 'run'?)",
    ]);
    expect(lint((s) => s.replace('```bash run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n    solve', '```bash run host=nod2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n    solve'))).toEqual([
      "49:9: error: unknown host 'nod2' in code block attribute (did you mean 'node2'?)",
    ]);
    expect(lint((s) => s.replace('```bash run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n      ko', '```run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n      ko'))).toEqual([
      "41:9: warning: code block '```run host=node2' has no language: write '```bash run host=node2'",
      "46:11: warning: the 'ko' text has 1 run blocks, the 'en' text 0",
    ]);
    expect(lint((s) => s.replace('```bash run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n      ko', '```yaml run host=node2\n        ip link add backend type dummy\n        ip addr add 192.168.100.1/32 dev backend\n        ip link set backend up\n        ```\n      ko'))).toEqual([
      "41:9: warning: a 'run' block is typed into the terminal: its language should be bash, not 'yaml'",
    ]);
    expect(lint((s) => s.replace('        ip link set backend up\n        ```\n    solve', '        ip link set backend down\n        ```\n    solve'))).toEqual([
      "46:11: warning: the 'ko' text's run blocks run other commands than the 'en' text's",
    ]);
  });
});

describe('the $schema line', () => {
  it('must point at the repository schema', () => {
    expect(lint((s) => s.replace('$schema=../../../../../../schema/lab.schema.json', '$schema=../schema/lab.schema.json'))).toEqual([
      "1:33: warning: $schema points at '../schema/lab.schema.json'; expected '../../../../../../schema/lab.schema.json'",
    ]);
    expect(lint((s) => `apiVersion: netdojo/v1\n${s.replace('apiVersion: netdojo/v1\n', '')}`)).toEqual(['2:1: warning: the $schema line must be the first line of the file']);
  });

  it('outside a repository that holds the schema, any path to lab.schema.json is accepted', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'netdojo-schema-line-'));
    try {
      const file = join(tmp, 'multi-host', 'lab.yaml');
      mkdirSync(join(tmp, 'multi-host', 'files'), { recursive: true });
      writeFileSync(join(tmp, 'multi-host', 'files', 'hello.txt'), 'hello\n');
      expect(lint((s) => s.replace(/\$schema=\S+/, '$schema=../vendor/lab.schema.json'), file)).toEqual([]);
      expect(lint((s) => s.replace(/\$schema=\S+/, '$schema=../vendor/other.json'), file)).toEqual([
        "1:33: warning: $schema points at '../vendor/other.json'; expected '<path to schema/lab.schema.json>'",
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('variants', () => {
  const withVariants = (variants: string) => (s: string): string =>
    s.replace('        run: iptables -t nat -A POSTROUTING -s 10.10.1.0/24 -j MASQUERADE\n', `        run: iptables -t nat -A POSTROUTING -s 10.10.1.0/24 -j MASQUERADE\n${variants}`);

  it('accepts near-misses and alternatives that name checks and hosts of the lab', () => {
    expect(
      lint(
        withVariants(
          '    nearMisses:\n      - id: wrong-source\n        why: { en: any source will do, ko: 아무 출발지나 }\n        solve: [{ host: node2, run: "iptables -t nat -A POSTROUTING -s 10.10.9.0/24 -j MASQUERADE" }]\n        fails: masquerade-rule\n' +
            '    alternatives:\n      - id: by-interface\n        why: { en: "inserted, not appended", ko: "추가 대신 삽입" }\n        solve: [{ host: node2, run: "iptables -t nat -I POSTROUTING -s 10.10.1.0/24 -j MASQUERADE" }]\n    repeatable: false\n',
        ),
      ),
    ).toEqual([]);
  });

  it('fails names a check of the step; ids are unique across near-misses and alternatives; hosts exist', () => {
    expect(
      lint(
        withVariants(
          '    nearMisses:\n      - id: same\n        solve: [{ host: node3, run: "true" }]\n        fails: masquerade-rul\n' +
            '    alternatives:\n      - id: same\n        solve: [{ host: node2, run: "true" }]\n',
        ),
      ),
    ).toEqual([
      "93:25: error: unknown host 'node3' (did you mean 'node1'? declared: node1, node2)",
      "94:16: error: near-miss 'same' fails 'masquerade-rul', which is not a check of step 'masquerade' (did you mean 'masquerade-rule'?)",
      "96:13: error: duplicate variant id 'same' in step 'masquerade' (first at line 92; near-misses and alternatives share ids)",
    ]);
  });
});

describe('validate --strict: non-trivial steps need near-misses', () => {
  const stepOf = (solve: string[], checks: unknown[]) =>
    Step.parse({ id: 's', title: 's', text: 's', solve: solve.map((run) => ({ run })), checks });
  it('a one-command solve with existence-only checks is trivial', () => {
    expect(nonTrivial(stepOf(['ip netns add red'], [{ id: 'a', link: { name: 'veth0', type: 'veth', host: 'n' } }, { id: 'b', route: { dst: '10.0.0.0/24', absent: true } }]))).toBeUndefined();
    expect(nonTrivial(stepOf(['true'], [{ id: 'a', passesBeforeSolve: true, ping: { to: '10.0.0.1' } }, { id: 'b', kubectl: { get: 'svc/web' } }]))).toBeUndefined();
  });
  it('a step for watching (every check passes before its solve) is trivial, however long its solve', () => {
    const watch = { id: 'a', passesBeforeSolve: true, capture: { interface: 'eth0', filter: 'icmp', send: { ping: '10.0.0.1' }, matches: 'echo request' } };
    expect(nonTrivial(stepOf(['tcpdump -i eth0 &', 'ping -c 1 10.0.0.1'], [watch]))).toBeUndefined();
    expect(nonTrivial(stepOf(['tcpdump -i eth0 &', 'ping -c 1 10.0.0.1'], [watch, { id: 'b', link: { name: 'x' } }]))).toBe('its solve has 2 commands');
  });
  it('more than one command, or a check about state or content, is not', () => {
    expect(solveCommands(Step.parse({ id: 's', title: 's', text: 's', solve: [{ run: '# comment\nip link add a \\\n  type dummy\n\nip link set a up' }, { run: 'true' }], checks: [{ id: 'a', shell: { run: 'true' } }] }).solve)).toBe(3);
    expect(nonTrivial(stepOf(['a', 'b'], [{ id: 'a', link: { name: 'x' } }]))).toBe('its solve has 2 commands');
    expect(nonTrivial(stepOf(['a'], [{ id: 'a', link: { name: 'x', state: 'UP' } }]))).toBe("its check 'a' (link) judges more than whether something exists");
    expect(nonTrivial(stepOf(['a'], [{ id: 'a', shell: { run: 'test -e x' } }]))).toBe("its check 'a' (shell) judges more than whether something exists");
  });
});
