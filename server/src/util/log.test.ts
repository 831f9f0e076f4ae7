import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as pty from 'node-pty';
import { describe, expect, it } from 'vitest';
import { logFormat } from './log.js';

const root = new URL('../../../', import.meta.url).pathname;
// a process that logs one line through the server's logger options, as `netdojo serve` does
const script = `
const { loggerOptions } = await import(${JSON.stringify(`${root}server/src/util/log.ts`)});
const { default: pino } = await import('pino');
pino(loggerOptions('info')).info({ lab: 'netns-veth' }, 'the line under test');
`;
const args = ['--import', 'tsx', '--input-type=module', '-e', script];

function inTerminal(env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = pty.spawn(process.execPath, args, { cwd: root, cols: 200, rows: 24, env: { ...process.env, ...env } as Record<string, string> });
    let out = '';
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error(`no exit; output so far: ${out}`));
    }, 30_000);
    p.onData((d) => (out += d));
    p.onExit(() => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('log format', () => {
  it('is pretty on a terminal, JSON otherwise, and NETDOJO_LOG_FORMAT overrides', () => {
    expect(logFormat({ isTTY: true }, {})).toBe('pretty');
    expect(logFormat({ isTTY: false }, {})).toBe('json');
    expect(logFormat({}, {})).toBe('json');
    expect(logFormat({ isTTY: true }, { NETDOJO_LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat({ isTTY: false }, { NETDOJO_LOG_FORMAT: 'pretty' })).toBe('pretty');
  });

  it('writes one JSON object per line into a pipe', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, NETDOJO_LOG_FORMAT: '' } });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'the line under test', lab: 'netns-veth' });
  }, 40_000);

  it('writes human-readable lines into a terminal', async () => {
    const out = await inTerminal({ NETDOJO_LOG_FORMAT: '' });
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/INFO.*: the line under test/);
    expect(plain).toMatch(/lab: "netns-veth"/);
    expect(plain).not.toContain('"msg"');
  }, 40_000);
});
