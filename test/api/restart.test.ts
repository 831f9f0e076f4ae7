// Restart safety and cleanup: kill -9 of the server loses nothing; expired sessions and orphan
// sandboxes are removed at start; the reaper ends idle sessions.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ProviderRegistry } from '../../server/src/sandbox/registry.js';
import { serverScope } from '../../server/src/sessions/scope.js';
import { loadLabFile } from '../../server/src/labs/loader.js';
import { api, cleanup, created, createSession, dockerObjects, FIXTURE_LABS, gone, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

// sandboxes start slowly on a busy 2-core machine shared with other suites
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const LONG = 240_000;
const step = (m: string) => process.env.DEBUG_API && console.log(new Date().toISOString(), m);
import { join } from 'node:path';

const servers: Server[] = [];
const dirs: string[] = [];
const terms = new OpenTerminals();
afterAll(async () => {
  terms.end();
  await cleanup(servers, dirs);
});
async function serve(dir: string, args: string[] = []) {
  const s = await startServer(dir, ['--rate', '0', ...args]);
  servers.push(s);
  return s;
}

describe('kill -9 and restart', () => {
  it('keeps the session, its progress and the sandbox state; the terminal reconnects', async () => {
    const dir = tempDir('netdojo-restart-');
    dirs.push(dir);
    step('start');
    const first = await serve(dir);
    step('served');
    const s = await createSession(first);
    step('created');
    const t = await Term.open(first, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    expect(await t.run('ip netns add before-crash; ip netns add red; ip netns list')).toContain('before-crash');
    const check = await api(first, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(check.json.pass).toBe(true);

    step('checked');
    await first.kill9();
    expect(first.proc.signalCode).toBe('SIGKILL');
    await t.waitClosed();

    step('killed');
    const second = await serve(dir);
    step('restarted');
    const g = await api(second, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({ status: 'ready', progress: { currentStep: 'make-veth', completed: ['make-ns'] }, history: [{ step: 'make-ns', pass: true }] });
    const again = await Term.open(second, s.id, 'host', { token: s.token, autoAck: true, resumeFrom: t.offset });
    terms.push(again);
    expect(await again.run('ip netns list')).toContain('before-crash');
    // checks keep working on the re-adopted sandbox, and the unlock order is remembered
    const next = await api(second, 'POST', `/api/sessions/${s.id}/steps/make-veth/check`, { token: s.token, body: {} });
    expect(next.status).toBe(200);
    expect(next.json.pass).toBe(false);
    await api(second, 'POST', `/api/sessions/${s.id}/steps/make-veth/solve`, { token: s.token });
    expect((await api(second, 'POST', `/api/sessions/${s.id}/steps/make-veth/check`, { token: s.token, body: {} })).json).toMatchObject({
      pass: true,
      progress: { currentStep: null, completed: ['make-ns', 'make-veth'] },
    });
  }, LONG);
});

describe('expiry and orphans', () => {
  it('removes expired sessions and orphan sandboxes at start', async () => {
    const dir = tempDir('netdojo-expire-');
    dirs.push(dir);
    const first = await serve(dir, ['--ttl', '6s', '--reap-interval', '1h']);
    const s = await createSession(first);
    await first.kill9();
    // a sandbox that no session owns (e.g. left by a crash during creation)
    // in the server's own scope: a server reconciles only the sandboxes of its data dir
    const provider = await new ProviderRegistry({ scope: serverScope(dir) }).get('docker');
    const { lab } = await loadLabFile(join(FIXTURE_LABS, 'srv-netns/lab.yaml'));
    const orphanId = 'feedfacefeedfacefeedface';
    created.add(orphanId);
    await provider.create(lab, { sessionId: orphanId, labDir: join(FIXTURE_LABS, 'srv-netns') });
    expect(await dockerObjects(orphanId)).not.toEqual([]);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(s.expiresAt) - Date.now() + 500)));

    const second = await serve(dir, ['--ttl', '6s', '--reap-interval', '1h']);
    expect(await dockerObjects(orphanId)).toEqual([]);
    expect(await dockerObjects(s.id)).toEqual([]);
    const g = await api(second, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect({ status: g.json.status, endReason: g.json.endReason }).toEqual({ status: 'ended', endReason: 'expired' });
  }, LONG);

  it('the reaper ends idle and expired sessions of a running server', async () => {
    const dir = tempDir('netdojo-reap-');
    dirs.push(dir);
    const server = await serve(dir, ['--idle-timeout', '4s', '--ttl', '1h', '--reap-interval', '1s']);
    const s = await createSession(server);
    const t = await Term.open(server, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    expect(await dockerObjects(s.id)).not.toEqual([]);
    const closed = await t.waitClosed(30_000);
    expect(closed.code).toBe(1001);
    const g = await api(server, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(g.json).toMatchObject({ status: 'ended', endReason: 'idle' });
    await gone(s.id);
  }, LONG);
});

describe('limits', () => {
  it('answers 503 when full and 429 past the creation rate, with a message', async () => {
    const dir = tempDir('netdojo-limits-');
    dirs.push(dir);
    const server = await startServer(dir, ['--max-sessions', '1', '--rate', '2']);
    servers.push(server);
    const s = await createSession(server);
    const full = await api(server, 'POST', '/api/sessions', { body: { lab: 'srv-netns' } });
    expect(full.status).toBe(503);
    expect(full.json).toMatchObject({ error: 'server_full', message: expect.stringMatching(/limit of 1 concurrent sessions/) });
    const rate = await api(server, 'POST', '/api/sessions', { body: { lab: 'srv-netns' } });
    expect(rate.status).toBe(429);
    expect(rate.json.message).toMatch(/too many sessions created from .*try again in \d+ s/);
    expect(Number(rate.headers.get('retry-after'))).toBeGreaterThan(0);
    await api(server, 'DELETE', `/api/sessions/${s.id}`, { token: s.token });
  }, LONG);
});
