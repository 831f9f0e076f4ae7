// Troubleshooting labs through the real server: a session's drawn faults are injected into its
// sandbox (also a warm-pool one, prepared before any draw), shown as symptoms, checked alone, and
// kept across a kill -9 of the server and a restart at the step.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, created, createSession, ROOT, sh, startServer, tempDir, type Server } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const LABS = join(ROOT, 'test/api/fixtures/fault-labs');
const servers: Server[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await cleanup(servers, dirs);
});
async function serve(dir: string, args: string[] = []) {
  const s = await startServer(dir, ['--rate', '0', ...args, '--labs', LABS]);
  servers.push(s);
  return s;
}

const poolReady = async (s: Server): Promise<boolean> => {
  const text = (await api(s, 'GET', '/metrics')).text as string;
  return /^netdojo_pool_sandboxes\{lab="srv-faults",state="ready"[^}]*\} 1$/m.test(text);
};

/** the faults injected in a session's sandbox: the files under /root/faults */
const injected = async (sessionId: string): Promise<string[]> =>
  (await sh(sessionId, 'ls /root/faults')).split(/\s+/).filter(Boolean).sort();

describe('a troubleshooting lab through the server', () => {
  it('draws, injects, shows and checks only its faults, and keeps them across kill -9 and a restart at the step', async () => {
    const dir = tempDir('netdojo-faults-');
    dirs.push(dir);
    const first = await serve(dir, ['--pool', '1', '--pool-labs', 'srv-faults']);
    // the session claims a sandbox the pool prepared before any draw: the injects run at the claim
    for (let i = 0; !(await poolReady(first)); i++) {
      if (i > 600) throw new Error(`the pool never got ready:\n${first.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const s = await createSession(first, 'srv-faults');
    const metrics = (await api(first, 'GET', '/metrics')).text as string;
    expect(/^netdojo_pool_claims\{result="hit"[^}]*\} (\d+)$/m.exec(metrics)?.[1]).toBe('1');
    const info = await api(first, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(info.status).toBe(200);
    const drawn = info.json.faults.repair as Array<{ id: string; symptom: { en: string }; checks: Array<{ id: string; hint: unknown }> }>;
    expect(drawn).toHaveLength(2);
    const ids = drawn.map((f) => f.id);
    for (const f of drawn) {
      expect(f.symptom.en).toBe(`symptom ${f.id.slice(1)}`);
      expect(f.checks).toEqual([{ id: `${f.id}-repaired`, title: { en: `${f.id} is repaired`, ko: `${f.id} 수리됨` }, hint: expect.any(Array) }]);
    }
    // nothing about causes or repairs crosses the wire
    expect(JSON.stringify(info.json)).not.toMatch(/\/root\/faults|touch|rm -f/);
    expect(await injected(s.id)).toEqual([...ids].sort());

    const check = await api(first, 'POST', `/api/sessions/${s.id}/steps/repair/check`, { token: s.token, body: {} });
    expect(check.status).toBe(200);
    expect(check.json.results.map((r: { id: string; pass: boolean }) => [r.id, r.pass])).toEqual(ids.map((id) => [`${id}-repaired`, false]));
    // a failed check offers its fault's hint levels
    expect(check.json.results[0].hints).toEqual([`fault ${ids[0]!.slice(1)}: the idea`, `fault ${ids[0]!.slice(1)}: the command`]);

    await first.kill9();
    const second = await serve(dir, ['--pool', '1', '--pool-labs', 'srv-faults']);
    const after = await api(second, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(after.json.status).toBe('ready');
    expect(after.json.faults.repair.map((f: { id: string }) => f.id)).toEqual(ids);
    // the re-adopted sandbox is checked against the same draw: repairing one fault passes only its check
    await sh(s.id, `rm -f /root/faults/${ids[0]}`);
    const partly = await api(second, 'POST', `/api/sessions/${s.id}/steps/repair/check`, { token: s.token, body: {} });
    expect(partly.json.results.map((r: { id: string; pass: boolean }) => [r.id, r.pass])).toEqual([
      [`${ids[0]}-repaired`, true],
      [`${ids[1]}-repaired`, false],
    ]);

    // a fresh sandbox at the step gets the same faults injected again — here a warm-pool one,
    // prepared without faults before this session's draw was known
    for (let i = 0; !(await poolReady(second)); i++) {
      if (i > 600) throw new Error(`the pool never got ready:\n${second.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const db = new Database(join(dir, 'netdojo.sqlite'), { readonly: true, fileMustExist: true });
    const pooledIds = (db.prepare(`SELECT id FROM pool WHERE lab_id = 'srv-faults' AND state = 'ready'`).all() as Array<{ id: string }>).map((r) => r.id);
    db.close();
    const restarted = await api(second, 'POST', `/api/sessions/${s.id}/steps/repair/restart`, { token: s.token });
    expect(restarted.status).toBe(200);
    const id2 = restarted.json.id as string;
    created.add(id2);
    expect(id2).not.toBe(s.id);
    const moved = await api(second, 'GET', `/api/sessions/${id2}`, { token: s.token });
    expect(moved.json.faults.repair.map((f: { id: string }) => f.id)).toEqual(ids);
    expect(await injected(id2)).toEqual([...ids].sort());
    expect(pooledIds).toContain(id2);

    const solve = await api(second, 'POST', `/api/sessions/${id2}/steps/repair/solve`, { token: s.token });
    expect(solve.json.ok).toBe(true);
    expect(await injected(id2)).toEqual([]);
    const done = await api(second, 'POST', `/api/sessions/${id2}/steps/repair/check`, { token: s.token, body: {} });
    expect(done.json).toMatchObject({ pass: true, progress: { currentStep: null, completed: ['repair'] } });
    expect(done.json.results).toHaveLength(2);
  });
});
