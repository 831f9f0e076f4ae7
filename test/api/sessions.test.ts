// The platform server end to end: a real `netdojo serve` child, real Docker sandboxes, a real
// SQLite file and real WebSocket terminals.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, containerOf, createSession, dockerObjects, rawSocket, sh, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

// sandboxes start slowly on a busy 2-core machine shared with other suites
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server;
const dir = tempDir('netdojo-api-');
const terms = new OpenTerminals();
const open = (...a: Parameters<typeof Term.open>) => terms.open(...a);

beforeAll(async () => {
  server = await startServer(dir, ['--rate', '0', '--max-sessions', '10']);
});
afterAll(async () => {
  terms.end();
  await cleanup([server], [dir]);
});

describe('labs and UI', () => {
  it('lists the labs and serves the web UI and OpenAPI', async () => {
    const labs = await api(server, 'GET', '/api/labs');
    expect(labs.status).toBe(200);
    expect(labs.json).toContainEqual(expect.objectContaining({ id: 'srv-netns', hosts: ['host'], available: true }));
    const lab = await api(server, 'GET', '/api/labs/srv-netns');
    expect(lab.json.steps.map((s: { id: string }) => s.id)).toEqual(['make-ns', 'make-veth']);
    expect(JSON.stringify(lab.json)).not.toContain('ip netns add red\n'); // no solve scripts
    expect(lab.json.steps[0]).not.toHaveProperty('solve');
    expect((await api(server, 'GET', '/')).text).toContain('netdojo test ui');
    expect((await api(server, 'GET', '/labs/srv-netns')).text).toContain('netdojo test ui');
    const doc = await api(server, 'GET', '/docs/json');
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/api/sessions', '/api/sessions/{id}/steps/{step}/check']));
  });
});

describe('a learner session', () => {
  let s: Awaited<ReturnType<typeof createSession>>;
  beforeAll(async () => {
    s = await createSession(server);
  });

  it('is created with a token and a ready sandbox', async () => {
    expect(s.id).toMatch(/^[a-f0-9]{24}$/);
    expect(s.token.length).toBeGreaterThanOrEqual(43);
    expect(s.hosts).toEqual(['host']);
    expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());
    const g = await api(server, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({ id: s.id, lab: 'srv-netns', status: 'ready', progress: { currentStep: 'make-ns', completed: [] }, history: [] });
  });

  it('runs a real shell: ip netns add/list through the WebSocket', async () => {
    const t = await open(server, s.id, 'host', { token: s.token, autoAck: true });
    expect(t.ready).toMatchObject({ offset: 0, shell: 'new' });
    const out = await t.run('ip netns add x; ip netns list');
    expect(out).toMatch(/^x\b/m);
  });

  it('resizes the TTY (stty size)', async () => {
    const t = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'resize', cols: 90, rows: 30 });
    expect(await t.run('stty size')).toMatch(/^30 90\r?$/m);
    t.resize(101, 33);
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.run('stty size')).toMatch(/^33 101\r?$/m);
  });

  it('keeps several terminals at once, each its own shell', async () => {
    const a = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'one' });
    const b = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'two' });
    const [pa, pb] = await Promise.all([a.run('echo pid=$$'), b.run('echo pid=$$')]);
    const pidA = /pid=(\d+)/.exec(pa)?.[1];
    const pidB = /pid=(\d+)/.exec(pb)?.[1];
    expect(pidA).toBeDefined();
    expect(pidB).toBeDefined();
    expect(pidA).not.toBe(pidB);
    a.type('touch /tmp/from-a\r');
    expect(await b.run('sleep 0.3; ls /tmp/from-a')).toContain('/tmp/from-a');
  });

  it('re-attaches a reconnect to the same shell and replays the scrollback', async () => {
    const a = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'recon' });
    const before = /pid=(\d+)/.exec(await a.run('echo pid=$$; FOO=kept'))![1];
    const seen = a.offset;
    a.close();
    await a.waitClosed();
    // output produced while no socket is attached is kept
    await new Promise((r) => setTimeout(r, 200));
    const b = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'recon', resumeFrom: seen });
    expect(b.ready).toMatchObject({ offset: seen, shell: 'resumed' });
    const after = await b.run('echo pid=$$ foo=$FOO');
    expect(after).toContain(`pid=${before} foo=kept`);
    // a reconnect without an offset gets the whole ring, including the earlier output
    const c = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'recon', resumeFrom: null });
    expect(c.ready?.offset).toBe(0);
    await c.expect(new RegExp(`pid=${before}`));
    // the newer socket replaced the older one
    expect((await b.waitClosed()).code).toBe(4409);
  });

  it('unlocks steps in order, checks with messages, solves, and records progress', async () => {
    const locked = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-veth/check`, { token: s.token, body: {} });
    expect(locked.status).toBe(409);
    expect(locked.json.message).toMatch(/locked: complete "make-ns" first/);

    const fail = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: { locale: 'ko' } });
    expect(fail.status).toBe(200);
    expect(fail.json.pass).toBe(false);
    expect(fail.json.results[0]).toMatchObject({ id: 'red-exists', kind: 'shell', title: 'red가 있다', pass: false, hint: '`ip netns add red`' });
    expect(typeof fail.json.results[0].expected).toBe('string');
    expect(typeof fail.json.results[0].actual).toBe('string');
    expect(fail.json.results[0].message.length).toBeGreaterThan(0);

    const solved = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/solve`, { token: s.token });
    expect(solved.json).toMatchObject({ step: 'make-ns', ok: true });
    expect(solved.json.output).toContain('ip netns add red');

    const pass = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token });
    expect(pass.json).toMatchObject({ pass: true, progress: { currentStep: 'make-veth', completed: ['make-ns'] } });
    // unlocking step 2 ran its hidden setup
    expect(await sh(s.id, 'ls /root/step2-setup-ran')).toContain('/root/step2-setup-ran');

    const two = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-veth/check`, { token: s.token });
    expect(two.json.pass).toBe(false);
    expect(two.json.results[0].actual).not.toBe('');
    const g = await api(server, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    expect(g.json.history.map((h: { step: string; pass: boolean }) => `${h.step}:${h.pass}`)).toEqual(['make-ns:false', 'make-ns:true', 'make-veth:false']);
  });

  it('refuses wrong tokens, and one session token never opens another session', async () => {
    const other = await createSession(server);
    expect((await api(server, 'GET', `/api/sessions/${s.id}`)).status).toBe(401);
    expect((await api(server, 'GET', `/api/sessions/${s.id}`, { token: 'nope' })).status).toBe(401);
    const cross = await api(server, 'GET', `/api/sessions/${s.id}`, { token: other.token });
    expect(cross.status).toBe(401);
    expect(cross.json).toEqual({ error: 'unauthorized', message: 'the token does not open this session' });
    expect((await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/solve`, { token: other.token })).status).toBe(401);
    expect((await api(server, 'DELETE', `/api/sessions/${s.id}`, { token: other.token })).status).toBe(401);
    const t = new Term();
    await t.connect(server, s.id, 'host', { token: other.token });
    expect(t.ready).toBeUndefined();
    expect(await t.waitClosed()).toEqual({ code: 4401, reason: 'unauthorized' });

    // sandboxes of different sessions cannot reach each other
    const ipOther = (await sh(other.id, "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")).trim();
    expect(ipOther).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const ping = await sh(s.id, `ping -c 2 -W 1 ${ipOther} >/dev/null 2>&1 && echo reachable || echo unreachable`);
    expect(ping.trim()).toBe('unreachable');
    // no sandbox sees the Docker socket; limits are set
    expect((await sh(s.id, 'ls /var/run/docker.sock /run/docker.sock 2>&1; true')).trim()).toMatch(/No such file/);
    const info = await (await containerOf(s.id)).inspect();
    expect(info.HostConfig.Memory).toBeGreaterThan(0);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.HostConfig.NanoCpus).toBeGreaterThan(0);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(JSON.stringify(info.Mounts)).not.toContain('docker.sock');
    await api(server, 'DELETE', `/api/sessions/${other.id}`, { token: other.token });
  });

  it('contains a fork bomb in one sandbox', async () => {
    const bomb = await createSession(server);
    const t = await open(server, bomb.id, 'host', { token: bomb.token, autoAck: true });
    t.type('bomb() { bomb | bomb & }; bomb\r');
    await new Promise((r) => setTimeout(r, 3000));
    // the server and the other session's terminal still answer
    expect((await api(server, 'GET', '/api/health')).json.ok).toBe(true);
    const mine = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'alive' });
    expect(await mine.run('echo still-here')).toContain('still-here');
    const del = await api(server, 'DELETE', `/api/sessions/${bomb.id}`, { token: bomb.token });
    expect(del.status).toBe(204);
    expect(await dockerObjects(bomb.id)).toEqual([]);
  });

  it('ends on DELETE: sandbox removed, terminals closed, state kept', async () => {
    const x = await createSession(server);
    const t = await open(server, x.id, 'host', { token: x.token, autoAck: true });
    expect(await dockerObjects(x.id)).not.toEqual([]);
    expect((await api(server, 'DELETE', `/api/sessions/${x.id}`, { token: x.token })).status).toBe(204);
    expect((await t.waitClosed()).code).toBe(1001);
    expect(await dockerObjects(x.id)).toEqual([]);
    const g = await api(server, 'GET', `/api/sessions/${x.id}`, { token: x.token });
    expect(g.json).toMatchObject({ status: 'ended', endReason: 'ended by the learner' });
    const check = await api(server, 'POST', `/api/sessions/${x.id}/steps/make-ns/check`, { token: x.token, body: {} });
    expect(check.status).toBe(410);
    const late = new Term();
    await late.connect(server, x.id, 'host', { token: x.token });
    expect((await late.waitClosed()).code).toBe(4410);
  });
});

describe('bad input', () => {
  let s: Awaited<ReturnType<typeof createSession>>;
  beforeAll(async () => {
    s = await createSession(server);
  });

  it('answers 404/400 with a message naming the problem', async () => {
    const cases: Array<[string, string, Parameters<typeof api>[3], number, RegExp]> = [
      ['POST', '/api/sessions', { body: { lab: 'no-such-lab' } }, 404, /no lab with id "no-such-lab"/],
      ['GET', '/api/labs/no-such-lab', {}, 404, /no lab/],
      ['POST', '/api/sessions', { raw: '{"lab": ' }, 400, /JSON/],
      ['POST', '/api/sessions', { body: {} }, 400, /body\.lab is required/],
      ['POST', '/api/sessions', { body: { lab: 7 } }, 400, /body\.lab must be string/],
      ['POST', '/api/sessions', { body: { lab: 'srv-netns', colour: 'red' } }, 400, /body\.colour is not a known field/],
      ['POST', '/api/sessions', { body: { lab: 'srv-netns', locale: 'fr' } }, 400, /body\.locale/],
      ['POST', '/api/sessions', { body: { lab: '../../etc/passwd' } }, 400, /body\.lab is malformed/],
      ['POST', '/api/sessions', { raw: JSON.stringify({ lab: 'x'.repeat(100_000) }) }, 413, /too large/i],
      ['GET', '/api/sessions/not-an-id', {}, 400, /params\.id is malformed/],
      ['GET', '/api/sessions/0123456789abcdef01234567', { token: 'x' }, 404, /no session with id/],
      ['POST', `/api/sessions/${'a'.repeat(24)}/steps/NOPE/check`, { body: {} }, 400, /params\.step is malformed/],
      ['GET', '/api/nothing-here', {}, 404, /no route GET \/api\/nothing-here/],
    ];
    for (const [method, path, opts, status, message] of cases) {
      const r = await api(server, method, path, opts);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.json.message, `${method} ${path}`).toMatch(message);
      expect(r.json.error, `${method} ${path}`).toEqual(expect.any(String));
    }
    const unknownStep = await api(server, 'POST', `/api/sessions/${s.id}/steps/no-step/check`, { token: s.token, body: {} });
    expect(unknownStep.status).toBe(404);
    expect(unknownStep.json.message).toMatch(/has no step "no-step"/);
  });

  it('closes only the offending socket on bad WebSocket frames', async () => {
    const good = await open(server, s.id, 'host', { token: s.token, autoAck: true });
    const base = `/api/sessions/${s.id}/terminals/host`;

    const binaryFirst = await rawSocket(server, base);
    binaryFirst.ws.send(Buffer.from('ls\r'), { binary: true });
    expect((await binaryFirst.closed).code).toBe(1008);

    const notJson = await rawSocket(server, base);
    notJson.ws.send('{"type":"auth",');
    expect(await notJson.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/JSON/) });

    const badAuth = await rawSocket(server, base);
    badAuth.ws.send(JSON.stringify({ type: 'auth', token: s.token, cols: -3 }));
    expect(await badAuth.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/cols/) });

    const wrongHost = new Term();
    await wrongHost.connect(server, s.id, 'nohost', { token: s.token });
    expect(await wrongHost.waitClosed()).toMatchObject({ code: 4404, reason: expect.stringMatching(/no host "nohost"/) });

    const unknownSession = new Term();
    await unknownSession.connect(server, '0123456789abcdef01234567', 'host', { token: s.token });
    expect((await unknownSession.waitClosed()).code).toBe(4404);

    const badId = await rawSocket(server, '/api/sessions/..%2f..%2fx/terminals/host');
    expect((await badId.closed).code).toBe(400);

    const huge = await Term.open(server, s.id, 'host', { token: s.token, terminal: 'huge' });
    huge.type('x'.repeat(70 * 1024));
    expect((await huge.waitClosed()).code).toBe(1009);

    const badControl = await Term.open(server, s.id, 'host', { token: s.token, terminal: 'bad-control' });
    badControl.ws.send(JSON.stringify({ type: 'resize', cols: 'wide' }));
    expect((await badControl.waitClosed()).code).toBe(1008);
    const unknownType = await Term.open(server, s.id, 'host', { token: s.token, terminal: 'bad-type' });
    unknownType.ws.send(JSON.stringify({ type: 'explode' }));
    expect((await unknownType.waitClosed()).code).toBe(1008);

    // nothing else was affected
    expect(await good.run('echo unaffected')).toContain('unaffected');
    expect((await api(server, 'GET', '/api/health')).json.ok).toBe(true);
    expect(server.proc.exitCode).toBeNull();
  });
});
