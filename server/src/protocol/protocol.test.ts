import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { json } from '../http/schemas.js';
import { CheckResponse, Health, SessionInfo } from './http.js';
import { AuthMessage, ClientControl, parseFrame, ServerControl } from './terminal.js';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

describe('protocol', () => {
  it('the web client, built for the browser alone (no Node types), typechecks against it', async () => {
    const r = await run('npx', ['tsc', '--noEmit', '-p', 'web/tsconfig.json', '--listFiles'], { cwd: root, maxBuffer: 16 << 20 }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}${err.stdout ?? ''}`, failed: true }),
    );
    expect('failed' in r ? r.stderr : '').toBe('');
    expect(r.stdout).toContain('server/src/protocol/http.ts');
    expect(r.stdout).toContain('server/src/protocol/terminal.ts');
  }, 120_000);

  it('the web client re-declares no body of its own and imports the protocol only for types (no zod in the bundle)', () => {
    for (const f of ['api.ts', 'terminal.ts', 'i18n.ts']) {
      const src = readFileSync(`${root}web/src/${f}`, 'utf8');
      expect(src, f).not.toMatch(/^export interface (LabSummary|LabDetail|SessionInfo|CheckResponse|SolveResponse|Health|CreatedSession)\b/m);
      for (const m of src.matchAll(/^import (.*) from '(.*protocol\/[^']*)'/gm)) {
        if (!m[2]!.endsWith('close-codes.js')) expect(m[1], `${f}: ${m[0]}`).toMatch(/^type /);
      }
    }
    expect(readFileSync(`${root}server/src/protocol/close-codes.ts`, 'utf8')).not.toMatch(/^import /m);
  });

  it('route schemas derive from it, with the fields the client reads', () => {
    const session = json(SessionInfo) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(session.properties)).toContain('endReason');
    expect(session.required).not.toContain('endReason');
    expect((json(Health) as { required: string[] }).required).toContain('terminals');
    const result = CheckResponse.shape.results.element;
    expect(result.safeParse({ id: 'a', kind: 'shell', title: 'a title', pass: true, expected: '', actual: '', message: '', durationMs: 1 }).success).toBe(true);
    // the server localizes check titles and hints: a locale map on the wire is a bug
    expect(result.safeParse({ id: 'a', kind: 'shell', title: { en: 'x' }, pass: true, expected: '', actual: '', message: '', durationMs: 1 }).success).toBe(false);
  });

  it('terminal messages: both directions parse, and a bad frame says which field', () => {
    expect(parseFrame(AuthMessage, '{"type":"auth","token":"t","cols":80,"rows":24,"resumeFrom":null}')).toEqual({
      ok: true,
      message: { type: 'auth', token: 't', cols: 80, rows: 24, resumeFrom: null },
    });
    expect(parseFrame(ClientControl, '{"type":"ack","offset":10}')).toEqual({ ok: true, message: { type: 'ack', offset: 10 } });
    expect(parseFrame(ClientControl, '{"type":"resize","cols":0,"rows":24}')).toMatchObject({ ok: false, json: true, reason: expect.stringMatching(/^cols: /) });
    expect(parseFrame(ClientControl, '{"type":"ack","offset":1,"extra":1}')).toMatchObject({ ok: false, json: true });
    expect(parseFrame(ClientControl, 'ack 10')).toEqual({ ok: false, json: false, reason: 'not JSON' });
    for (const m of [{ type: 'ready', offset: 0, shell: 'new' }, { type: 'exit', code: null }, { type: 'error', message: 'bad' }]) {
      expect(ServerControl.safeParse(m).success, JSON.stringify(m)).toBe(true);
    }
    expect(ServerControl.safeParse({ type: 'ready', offset: -1, shell: 'new' }).success).toBe(false);
  });
});
