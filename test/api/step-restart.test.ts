// Restarting a step (POST /api/sessions/:id/steps/:step/restart) against a real server and real
// sandboxes: a fresh sandbox fast-forwarded to the step replaces the old one, progress is kept, the
// session continues under the new id with the same token; a failed fast-forward leaves the old one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, created, createSession, docker, dockerObjects, gone, ROOT, sh, startServer, tempDir, Term, type Server } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server;
const dir = tempDir('netdojo-step-restart-');
const terms: Term[] = [];

beforeAll(async () => {
  // srv-broken-solve lives apart from the shared fixtures so that other suites' warm pools do not prepare it
  server = await startServer(dir, ['--rate', '0', '--max-sessions', '10', '--pool', '0', '--labs', join(ROOT, 'test/api/fixtures/restart-labs')]);
});
afterAll(async () => {
  for (const t of terms) t.ws?.terminate();
  await cleanup([server], [dir]);
});

const restart = (id: string, token: string, step: string) => api(server, 'POST', `/api/sessions/${id}/steps/${step}/restart`, { token });

describe('restart a step', () => {
  it('replaces the sandbox with one at the start of the step, keeping progress', async () => {
    const s = await createSession(server);
    // a locked step cannot be restarted at
    expect((await restart(s.id, s.token, 'make-veth')).status).toBe(409);
    expect((await restart(s.id, 'wrong-token', 'make-ns')).status).toBe(401);
    expect((await restart(s.id, s.token, 'no-such-step')).status).toBe(404);

    await sh(s.id, 'ip netns add red');
    const check = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(check.json.pass).toBe(true);
    await sh(s.id, 'touch /root/learner-was-here');
    const old = await Term.open(server, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(old);

    const r = await restart(s.id, s.token, 'make-veth');
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ step: 'make-veth', hosts: ['host'], progress: { currentStep: 'make-veth', completed: ['make-ns'] } });
    const id: string = r.json.id;
    created.add(id);
    expect(id).not.toBe(s.id);

    // the old terminal was closed, the old sandbox removed, the old id says why
    const closed = await old.waitClosed(30_000);
    expect(closed.reason).toMatch(/restarted at step 2/);
    await gone(s.id);
    const was = await api(server, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(was.json).toMatchObject({ status: 'ended', endReason: expect.stringContaining(`restarted at step 2 (make-veth) as session ${id}`) });

    // the new sandbox: step 1 fast-forwarded (its solve ran), step 2's setup ran, nothing of the learner's
    const out = await sh(id, 'ip netns list; ls /root/step2-setup-ran; test -e /root/learner-was-here && echo STILL-THERE || echo fresh');
    expect(out).toMatch(/red/);
    expect(out).toMatch(/\/root\/step2-setup-ran/);
    expect(out).toMatch(/fresh/);
    expect(out).not.toMatch(/STILL-THERE/);

    // same token, progress and history kept, terminal and checks work on the new id
    const now = await api(server, 'GET', `/api/sessions/${id}`, { token: s.token });
    expect(now.json).toMatchObject({ id, status: 'ready', progress: { currentStep: 'make-veth', completed: ['make-ns'] } });
    expect(now.json.history).toEqual([expect.objectContaining({ step: 'make-ns', pass: true })]);
    const t = await Term.open(server, id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    expect(await t.run('ip netns list')).toMatch(/red/);
    const fails = await api(server, 'POST', `/api/sessions/${id}/steps/make-veth/check`, { token: s.token, body: {} });
    expect(fails.json.pass).toBe(false);
    await api(server, 'POST', `/api/sessions/${id}/steps/make-veth/solve`, { token: s.token });
    const passes = await api(server, 'POST', `/api/sessions/${id}/steps/make-veth/check`, { token: s.token, body: {} });
    expect(passes.json.pass).toBe(true);

    // restart at step 1 of a finished lab: a sandbox as a new learner sees it, progress still kept
    const first = await restart(id, s.token, 'make-ns');
    expect(first.status, first.text).toBe(200);
    created.add(first.json.id);
    expect(first.json.progress.completed).toEqual(['make-ns', 'make-veth']);
    expect(await sh(first.json.id, 'ip netns list | wc -l')).toMatch(/^0\s*$/);
    await gone(id);
  });

  it('a failed fast-forward leaves the old sandbox in place with a clear error', async () => {
    const s = await createSession(server, 'srv-broken-solve');
    await sh(s.id, 'touch /root/done');
    expect((await api(server, 'POST', `/api/sessions/${s.id}/steps/touch-done/check`, { token: s.token, body: {} })).json.pass).toBe(true);
    const before = await dockerObjects(s.id);
    const r = await restart(s.id, s.token, 'second');
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ error: 'restart_failed' });
    expect(r.json.message).toMatch(/your current sandbox is untouched/);
    expect(r.json.message).toMatch(/step touch-done .*solve failed/);
    // the old sandbox still runs, with what the learner did
    expect(await dockerObjects(s.id)).toEqual(before);
    expect(await sh(s.id, 'ls /root/done')).toMatch(/\/root\/done/);
    const g = await api(server, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(g.json).toMatchObject({ status: 'ready', progress: { currentStep: 'second', completed: ['touch-done'] } });
    // no sandbox of the failed attempt is left: of this server's sandboxes of the lab, only the session's
    const [mine] = await docker.listContainers({ all: true, filters: { label: [`netdojo.session=${s.id}`] } });
    const scope = mine!.Labels['netdojo.scope']!;
    const all = await docker.listContainers({ all: true, filters: { label: ['netdojo.lab=srv-broken-solve', `netdojo.scope=${scope}`] } });
    expect(all.map((c) => c.Labels['netdojo.session'])).toEqual([s.id]);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await api(server, 'GET', '/docs/json');
    expect(Object.keys(doc.json.paths)).toContain('/api/sessions/{id}/steps/{step}/restart');
  });
});
