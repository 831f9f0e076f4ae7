import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabLoadError, loadLabFile, loadLabs, parseLab } from './loader.js';
import { formatProblem } from './source.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const VALID = join(FIXTURES, 'valid', 'multi-host');
const VALID_FILE = join(VALID, 'lab.yaml');

async function problemsOf(dir: string): Promise<string[]> {
  const { problems } = await loadLabs([join(FIXTURES, 'broken', dir)]);
  return problems.map((p) => formatProblem(p, FIXTURES));
}

describe('broken fixtures: exact file:line:col and reason', () => {
  const cases: Record<string, string[]> = {
    'unknown-field': ["broken/unknown-field/lab.yaml:11:3: error: unknown field 'hots' in environment (did you mean 'hosts'?)"],
    'unknown-check-kind': ["broken/unknown-check-kind/lab.yaml:20:9: error: unknown check kind or field 'pingg' (did you mean 'ping'?)"],
    'check-without-kind': [
      "broken/check-without-kind/lab.yaml:19:9: error: check 'reach' has no kind: expected one of shell, ping, http, dns, iptables, route, link, netns, sysctl, file, capture, kubectl",
    ],
    'check-field-error': [
      "broken/check-field-error/lab.yaml:22:18: error: 'count' must be ≥ 1, got 0",
      "broken/check-field-error/lab.yaml:23:11: error: unknown field 'hots' in ping check 'reach' (did you mean 'host'?)",
    ],
    'undeclared-host': [
      "broken/undeclared-host/lab.yaml:18:15: error: unknown host 'node3' (did you mean 'node1'? declared: node1, node2)",
      "broken/undeclared-host/lab.yaml:22:24: error: unknown host 'nod1' (did you mean 'node1'? declared: node1, node2)",
    ],
    'duplicate-step-id': ["broken/duplicate-step-id/lab.yaml:21:9: error: duplicate step id 'one' (first at line 13)"],
    'duplicate-check-id': ["broken/duplicate-check-id/lab.yaml:21:13: error: duplicate check id 'ok' in step 'one' (first at line 19)"],
    'bad-regex': ["broken/bad-regex/lab.yaml:20:49: error: invalid regex in 'outputMatches': Unterminated group"],
    'id-mismatch': [
      "broken/id-mismatch/lab.yaml:4:5: error: id 'some-other-id' does not match its folder 'id-mismatch' (labs live in labs/<track>/<id>/lab.yaml)",
    ],
    'yaml-syntax': ['broken/yaml-syntax/lab.yaml:15:5: error: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    'address-outside-subnet': [
      "broken/address-outside-subnet/lab.yaml:18:16: error: address 10.10.2.20 of host 'node2' is outside subnet 10.10.1.0/24 of network 'lan'",
    ],
    'missing-required-field': ["broken/missing-required-field/lab.yaml:13:5: error: missing required field 'solve' in step 'one'"],
    'bad-enum': ["broken/bad-enum/lab.yaml:7:8: error: 'level' must be one of beginner, intermediate, advanced, got 'expert'"],
    'no-schema-line': [
      "broken/no-schema-line/lab.yaml:1:1: warning: the file should start with '# yaml-language-server: $schema=../../../../../../schema/lab.schema.json' (editors then check and complete it)",
    ],
  };
  for (const [dir, expected] of Object.entries(cases)) {
    it(dir, async () => {
      expect(await problemsOf(dir)).toEqual(expected);
    });
  }

  it('leaves labs with errors out, keeps labs with only warnings', async () => {
    const { labs, problems } = await loadLabs([join(FIXTURES, 'broken')]);
    expect(labs.map((l) => l.lab.id)).toEqual(['no-schema-line']);
    expect(new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file)).size).toBe(Object.keys(cases).length - 1);
  });
});

describe('the valid multi-host lab', () => {
  it('validates clean (no error, no warning)', async () => {
    const { labs, problems } = await loadLabs([VALID]);
    expect(problems).toEqual([]);
    expect(labs).toHaveLength(1);
  });

  it('loads with defaults applied and every check kind in place', async () => {
    const { lab, dir, file } = await loadLabFile(VALID);
    expect(file).toBe(VALID_FILE);
    expect(dir).toBe(VALID);
    expect(lab.environment.hosts.map((h) => [h.name, h.image])).toEqual([
      ['node1', 'netdojo/netbox'],
      ['node2', 'netdojo/netbox'],
    ]);
    expect(lab.environment.networks.map((n) => n.hosts)).toEqual([
      { node1: '10.10.1.10', node2: '10.10.1.20' },
      { node1: '10.10.2.10', node2: '10.10.2.20' },
    ]);
    const kinds = lab.steps.flatMap((s) => s.checks.map((c) => Object.keys(c).find((k) => ['shell', 'ping', 'route', 'iptables', 'link'].includes(k))));
    expect(new Set(kinds)).toEqual(new Set(['link', 'shell', 'route', 'ping', 'iptables']));
    const ping = lab.steps[1]!.checks[1]!;
    expect('ping' in ping && ping.ping).toMatchObject({ host: 'node1', to: '192.168.100.1', count: 2, expect: 'reply' });
    expect(lab.steps[2]!.setup).toEqual([]);
    expect(lab.steps[2]!.checks[1]!.passesBeforeSolve).toBe(true);
  });
});

describe('loadLabFile', () => {
  it('throws a one-line LabLoadError carrying every problem', async () => {
    const err = await loadLabFile(join(FIXTURES, 'broken', 'undeclared-host')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabLoadError);
    const e = err as LabLoadError;
    expect(e.message).toMatch(/undeclared-host\/lab\.yaml:18:15: error: unknown host 'node3' .* \(and 1 more error\)$/);
    expect(e.message).not.toContain('\n');
    expect(e.problems).toHaveLength(2);
  });

  it('says which file cannot be read', async () => {
    await expect(loadLabFile(join(FIXTURES, 'nope'))).rejects.toThrow(/cannot read lab file .*nope\/lab\.yaml: ENOENT/);
  });
});

describe('loadLabs paths', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netdojo-loader-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('accepts lab folders, lab files and trees, without duplicates', async () => {
    const { labs } = await loadLabs([VALID, VALID_FILE, join(FIXTURES, 'valid')]);
    expect(labs.map((l) => l.file)).toEqual([VALID_FILE]);
  });

  it('reports a missing path and a directory without labs', async () => {
    const { problems } = await loadLabs([join(tmp, 'missing'), tmp]);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)).toEqual([
      `${tmp}:1:1: no lab.yaml found here`,
      `${join(tmp, 'missing')}:1:1: no such file or directory`,
    ]);
  });

  it('rejects the same lab id in two folders of the catalog', async () => {
    for (const track of ['a', 'b']) cpSync(VALID, join(tmp, 'labs', track, 'multi-host'), { recursive: true });
    const text = readFileSync(VALID_FILE, 'utf8').replace('$schema=../../../../../../schema', '$schema=../../../../../../../schema');
    for (const track of ['a', 'b']) writeFileSync(join(tmp, 'labs', track, 'multi-host', 'lab.yaml'), text.replace('track: test', `track: ${track}`));
    const { labs, problems } = await loadLabs([join(tmp, 'labs')]);
    expect(labs.map((l) => l.lab.track)).toEqual(['a']);
    const errors = problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => [p.file, p.line, p.col, p.message])).toEqual([
      [join(tmp, 'labs/b/multi-host/lab.yaml'), 4, 5, `duplicate lab id 'multi-host' (also ${join(tmp, 'labs/a/multi-host/lab.yaml')})`],
    ]);
  });
});

describe('schema errors read well', () => {
  const base = readFileSync(VALID_FILE, 'utf8');
  const check = (edit: (s: string) => string): string[] => {
    const text = edit(base);
    expect(text).not.toBe(base);
    return parseLab(text, VALID_FILE).problems.map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`);
  };

  it('a typo of a required field is reported once, as the typo', () => {
    expect(check((s) => s.replace('    solve:\n      - host: node1', '    sovle:\n      - host: node1'))).toEqual([
      "74:5: error: unknown field 'sovle' in step 'route' (did you mean 'solve'?)",
    ]);
  });

  it('locale maps accept en and ko only', () => {
    expect(check((s) => s.replace('title: { en: Route between two hosts over two networks, ko:', 'title: { en: Route, fr:'))).toEqual([
      "5:21: error: unknown field 'fr' in title (expected one of en, ko)",
    ]);
    expect(check((s) => s.replace(/^title: .*$/m, 'title: 5'))).toEqual(["5:8: error: 'title' must be a string or a map of locales {en, ko}, got 5"]);
  });

  it('a check with two kinds points at the second', () => {
    expect(check((s) => s.replace('        ping: { host: node1, to: 192.168.100.1, count: 2 }', '        ping: { host: node1, to: 192.168.100.1 }\n        shell: { run: "x" }'))).toEqual([
      "84:9: error: check 'ping-backend' has more than one kind (ping, shell): a check has exactly one",
    ]);
  });

  it('record keys and values of network host maps', () => {
    expect(check((s) => s.replace('hosts: { node1: 10.10.1.10, node2: 10.10.1.20 }', 'hosts: { Node1: 10.10.1.10, node2: 10.10.1.2x }'))).toEqual([
      "25:16: error: invalid name 'Node1' in hosts of network 'lan': host names are lower-case, start with a letter, ≤ 31 chars",
      "25:42: error: invalid node2 '10.10.1.2x': expected an IPv4 address such as 10.0.0.2",
    ]);
  });

  it('types, empty values and empty files', () => {
    expect(check((s) => s.replace('minutes: 20', 'minutes: 2.5'))).toEqual(["11:10: error: 'minutes' must be an integer, got 2.5"]);
    expect(check((s) => s.replace('minutes: 20', 'minutes: twenty'))).toEqual(["11:10: error: 'minutes' must be a number, got 'twenty'"]);
    expect(check((s) => s.replace('  - id: route\n', '  - id: Route_2\n'))).toEqual([
      "67:9: error: invalid id 'Route_2': ids are lower-case letters, digits and dashes",
    ]);
    expect(check((s) => s.replace(/steps:[\s\S]*/, 'steps: []\n'))).toEqual(["34:1: error: 'steps' needs at least 1 entry"]);
    expect(check((s) => s.replace(/(\n {4}solve:)\n {6}- host: node1\n {8}run: ip route add .*/, '$1'))).toEqual(["74:5: error: 'solve' has no value (expected a list)"]);
    expect(check((s) => s.replace('minutes: 20', 'minutes: 20\nminutes: 30'))).toEqual(['12:1: error: YAML: Map keys must be unique']);
    expect(check(() => '# yaml-language-server: $schema=../../../../../../schema/lab.schema.json\n')).toEqual(['1:1: error: the lab file is empty']);
    expect(check(() => '# yaml-language-server: $schema=../../../../../../schema/lab.schema.json\n- a\n')).toEqual([
      '2:1: error: a lab file must be a map of fields (apiVersion, kind, id, …), got a list',
    ]);
  });

  it('a check that is not a map, and a check whose id is misspelt', () => {
    const last = /( {6}- id: still-reachable\n)/;
    expect(check((s) => s.replace(/ {6}- id: still-reachable\n[\s\S]*$/, '      - ping\n'))).toEqual([
      "95:9: error: check #2 must be a map with an id and one kind (shell, ping, http, dns, iptables, route, link, netns, sysctl, file, capture, kubectl), got 'ping'",
    ]);
    expect(check((s) => s.replace(last, '      - idd: still-reachable\n'))).toEqual(["95:9: error: unknown field 'idd' in check #2 (did you mean 'id'?)"]);
  });

  it('a URL field', () => {
    expect(check((s) => s.replace('        ping: { host: node1, to: 10.10.2.20 }', '        http: { host: node1, url: "not a url" }'))).toEqual([
      "98:35: error: invalid url 'not a url': expected a URL such as http://10.0.0.2:8080/",
    ]);
  });
});
