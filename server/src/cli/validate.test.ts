import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIXTURES = 'server/src/labs/fixtures';
const netdojo = (...args: string[]) => execa('./bin/netdojo.mjs', args, { cwd: ROOT, reject: false });

function noStack(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/Error:|node:internal/);
}

describe('netdojo validate', () => {
  it('prints file:line:col problems and a summary, exits 1, no stack trace', async () => {
    const r = await netdojo('validate', `${FIXTURES}/broken/undeclared-host`, `${FIXTURES}/broken/yaml-syntax`, `${FIXTURES}/valid`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('');
    noStack(r.stdout);
    expect(r.stdout.split('\n')).toEqual([
      `${FIXTURES}/broken/undeclared-host/lab.yaml:18:15: error: unknown host 'node3' (did you mean 'node1'? declared: node1, node2)`,
      `${FIXTURES}/broken/undeclared-host/lab.yaml:22:24: error: unknown host 'nod1' (did you mean 'node1'? declared: node1, node2)`,
      `${FIXTURES}/broken/yaml-syntax/lab.yaml:15:5: error: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      '1 lab valid, 2 with errors',
    ]);
  });

  it('exits 0 on valid labs; warnings do not fail unless --strict', async () => {
    const ok = await netdojo('validate', `${FIXTURES}/valid`);
    expect([ok.exitCode, ok.stdout]).toEqual([0, '1 lab valid, 0 with errors']);
    const warn = await netdojo('validate', `${FIXTURES}/broken/no-schema-line`);
    expect(warn.exitCode).toBe(0);
    expect(warn.stdout).toMatch(/^server\/src\/labs\/fixtures\/broken\/no-schema-line\/lab\.yaml:1:1: warning: the file should start with .*\n1 lab valid, 0 with errors, 1 warning$/);
    const strict = await netdojo('validate', '--strict', `${FIXTURES}/broken/no-schema-line`);
    expect(strict.exitCode).toBe(1);
  });

  it('--json gives the labs, the problems and the summary', async () => {
    const r = await netdojo('validate', '--json', `${FIXTURES}/broken/bad-regex`, `${FIXTURES}/valid`);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; labs: unknown[]; problems: unknown[]; summary: unknown };
    expect(report.ok).toBe(false);
    expect(report.labs).toEqual([{ id: 'multi-host', file: `${FIXTURES}/valid/multi-host/lab.yaml` }]);
    expect(report.problems).toEqual([
      { file: `${FIXTURES}/broken/bad-regex/lab.yaml`, line: 20, col: 49, severity: 'error', message: "invalid regex in 'outputMatches': Unterminated group" },
    ]);
    expect(report.summary).toEqual({ valid: 1, withErrors: 1, errors: 1, warnings: 0 });
  });

  it('a path that does not exist is a one-line problem', async () => {
    const r = await netdojo('validate', 'no/such/dir');
    expect([r.exitCode, r.stdout]).toEqual([1, 'no/such/dir:1:1: error: no such file or directory\n0 labs valid, 1 with errors']);
    noStack(r.stderr);
  });
});

describe('netdojo ls', () => {
  it('lists labs as a table and as JSON', async () => {
    const table = await netdojo('ls', `${FIXTURES}/valid`);
    expect(table.exitCode).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      'TRACK  ID          LEVEL         MIN  REQUIRES  TITLE',
      'test   multi-host  intermediate  20   docker    Route between two hosts over two networks',
    ]);
    const json = await netdojo('ls', '--json', '--lang', 'ko', `${FIXTURES}/valid`);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        track: 'test',
        id: 'multi-host',
        level: 'intermediate',
        minutes: 20,
        requires: ['docker'],
        title: '두 네트워크로 연결된 두 호스트 사이의 라우팅',
        file: `${FIXTURES}/valid/multi-host/lab.yaml`,
      },
    ]);
  });

  it('reports labs with errors on stderr and exits 1', async () => {
    const r = await netdojo('ls', `${FIXTURES}/broken/bad-enum`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`${FIXTURES}/broken/bad-enum/lab.yaml:7:8: error: 'level' must be one of beginner, intermediate, advanced, got 'expert'`);
  });
});

describe('netdojo schema', () => {
  it('prints the schema; --check agrees with the committed file', async () => {
    const r = await netdojo('schema');
    expect(JSON.parse(r.stdout)).toMatchObject({ $id: 'urn:netdojo:schema:lab:v1', title: 'netdojo lab' });
    const check = await netdojo('schema', '--check');
    expect([check.exitCode, check.stdout]).toEqual([0, 'schema/lab.schema.json is up to date']);
  });
});
