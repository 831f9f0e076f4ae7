// Restarting a step (POST /api/sessions/:id/steps/:step/restart) against a real server and real
// sandboxes: a fresh sandbox fast-forwarded to the step replaces the old one, progress is kept, the
// session continues under the new id with the same token; a failed fast-forward leaves the old one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, created, createSession, docker, dockerObjects, eventually, gone, ROOT, sh, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server;
const dir = tempDir('netdojo-step-restart-');
const terms = new OpenTerminals();

beforeAll(async () => {
  // srv-broken-solve lives apart from the shared fixtures so that other suites' warm pools do not prepare it
  server = await startServer(dir, ['--rate', '0', '--max-sessions', '10', '--pool', '0', '--labs', join(ROOT, 'test/api/fixtures/restart-labs')]);
});
afterAll(async () => {
  terms.end();
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

    // restart at step 1 of a finished lab: a sandbox as a new learner sees it; the steps it reopens
    // are "to do again" (their state is gone), the record of having passed them is kept
    const first = await restart(id, s.token, 'make-ns');
    expect(first.status, first.text).toBe(200);
    created.add(first.json.id);
    expect(first.json.progress).toEqual({ currentStep: 'make-ns', completed: [], redo: ['make-ns', 'make-veth'] });
    expect(await sh(first.json.id, 'ip netns list | wc -l')).toMatch(/^0\s*$/);
    await gone(id);
    const info = await api(server, 'GET', `/api/sessions/${first.json.id}`, { token: s.token });
    expect(info.json.history.filter((h: { pass: boolean }) => h.pass).map((h: { step: string }) => h.step)).toEqual(['make-ns', 'make-veth']);
    // a reopened step cannot be checked before the steps it builds on are done again …
    expect((await api(server, 'POST', `/api/sessions/${first.json.id}/steps/make-veth/check`, { token: s.token, body: {} })).status).toBe(409);
    // … but a restart may jump to it again: the steps before it are fast-forwarded and count as completed
    const again = await restart(first.json.id, s.token, 'make-veth');
    expect(again.status, again.text).toBe(200);
    created.add(again.json.id);
    expect(again.json.progress).toEqual({ currentStep: 'make-veth', completed: ['make-ns'], redo: ['make-veth'] });
    expect(await sh(again.json.id, 'ip netns list')).toMatch(/red/);
    await gone(first.json.id);
  });

  it('the restart menu prepares a sandbox at the step: the restart swaps it in; an ended session takes it along', async () => {
    const s = await createSession(server);
    await sh(s.id, 'ip netns add red');
    expect((await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} })).json.pass).toBe(true);
    const [mine] = await docker.listContainers({ all: true, filters: { label: [`netdojo.session=${s.id}`] } });
    const inScope = { label: [`netdojo.scope=${mine!.Labels['netdojo.scope']}`] };
    const sessions = async () => new Set((await docker.listContainers({ all: true, filters: inScope })).map((c) => c.Labels['netdojo.session']!));
    /** the session id of a sandbox that appears after `before` */
    const appears = async (before: Set<string>): Promise<string> => {
      let found = '';
      await eventually(async () => ((found = [...(await sessions())].find((id) => !before.has(id)) ?? ''), found !== ''), 'the prepared sandbox', 120_000);
      return found;
    };

    expect((await api(server, 'POST', `/api/sessions/${s.id}/steps/no-such-step/restart/prepare`, { token: s.token })).status).toBe(404);
    let before = await sessions();
    const prep = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-veth/restart/prepare`, { token: s.token });
    expect(prep.status, prep.text).toBe(202);
    expect(prep.json).toEqual({ preparing: true });
    const spare = await appears(before);
    const r = await restart(s.id, s.token, 'make-veth');
    expect(r.status, r.text).toBe(200);
    created.add(r.json.id);
    expect(r.json.id, 'the restart used the prepared sandbox').toBe(spare);
    expect(await sh(r.json.id, 'ip netns list; ls /root/step2-setup-ran')).toMatch(/red[\s\S]*step2-setup-ran/);
    await gone(s.id);

    // prepared, then the session ends: the prepared sandbox goes too
    before = await sessions();
    expect((await api(server, 'POST', `/api/sessions/${r.json.id}/steps/make-ns/restart/prepare`, { token: s.token })).status).toBe(202);
    const unused = await appears(before);
    expect((await api(server, 'DELETE', `/api/sessions/${r.json.id}`, { token: s.token })).status).toBe(204);
    await gone(r.json.id);
    await gone(unused);
  });

  it('a solve that exits 0 but does not land fails the restart (the last solved step is checked)', async () => {
    const s = await createSession(server, 'srv-silent-solve');
    await sh(s.id, 'touch /root/done');
    expect((await api(server, 'POST', `/api/sessions/${s.id}/steps/touch-done/check`, { token: s.token, body: {} })).json.pass).toBe(true);
    const r = await restart(s.id, s.token, 'second');
    expect(r.status, r.text).toBe(500);
    expect(r.json.message).toMatch(/your current sandbox is untouched/);
    expect(r.json.message).toMatch(/step touch-done \(fast-forward to second\): its solve ran but did not land: check done-exists fails/);
    expect(await sh(s.id, 'ls /root/done')).toMatch(/\/root\/done/);
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

  it('takes a ready sandbox of the warm pool when there is one, and the pool refills', async () => {
    const dir2 = tempDir('netdojo-step-restart-pool-');
    const pooled = await startServer(dir2, ['--rate', '0', '--max-sessions', '10', '--pool', '1', '--pool-labs', 'srv-netns']);
    const metric = async () => (await api(pooled, 'GET', '/metrics')).text;
    const readyRe = /netdojo_pool_sandboxes\{lab="srv-netns",state="ready"[^}]*\} 1\n/;
    try {
      await eventually(async () => readyRe.test(await metric()), 'a pooled srv-netns sandbox', 120_000);
      const s = await createSession(pooled);
      await eventually(async () => readyRe.test(await metric()), 'the pool to refill', 120_000);
      await sh(s.id, 'ip netns add red');
      expect((await api(pooled, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} })).json.pass).toBe(true);
      const r = await api(pooled, 'POST', `/api/sessions/${s.id}/steps/make-veth/restart`, { token: s.token });
      expect(r.status, r.text).toBe(200);
      created.add(r.json.id);
      // the pooled sandbox's id became the session's: its pool row is gone, the pool makes another
      expect(r.json.progress).toEqual({ currentStep: 'make-veth', completed: ['make-ns'], redo: [] });
      expect(await sh(r.json.id, 'ip netns list; ls /root/step2-setup-ran')).toMatch(/red[\s\S]*step2-setup-ran/);
      const t = await Term.open(pooled, r.json.id, 'host', { token: s.token, autoAck: true });
      terms.push(t);
      expect(await t.run('ip netns list')).toMatch(/red/);
      // a restart is not a session's claim: the claims counter counts the one create only
      expect(await metric()).toMatch(/netdojo_pool_claims\{result="hit"[^}]*\} 1\n/);
      await eventually(async () => readyRe.test(await metric()), 'the pool to refill after the restart', 120_000);
    } finally {
      await cleanup([pooled], [dir2]);
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = await api(server, 'GET', '/docs/json');
    expect(Object.keys(doc.json.paths)).toContain('/api/sessions/{id}/steps/{step}/restart');
  });
});
