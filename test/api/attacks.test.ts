// Issue 13, from the attacker's side: a client of the API and of the terminal socket against a
// real `netdojo serve` (rows 4, 5, 7, 9, 10 of docs/security.md). Bounded in time and size;
// every session made here is removed in afterAll.
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, created, createSession, docker, rawSocket, sh, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server;
const dir = tempDir('netdojo-attacks-');
const sockets: WebSocket[] = [];
const terms = new OpenTerminals();
const open = (...a: Parameters<typeof Term.open>) => terms.open(...a);

beforeAll(async () => {
  server = await startServer(dir, ['--rate', '0', '--max-sessions', '10']);
});
afterAll(async () => {
  terms.end();
  for (const ws of sockets) ws.terminate();
  await cleanup([server], [dir]);
});

describe('terminal socket abuse', () => {
  let s: Awaited<ReturnType<typeof createSession>>;
  beforeAll(async () => {
    s = await createSession(server);
  });
  const fresh = () => createSession(server);

  it('row 4: an ack beyond what was sent closes the socket (1008) and memory stays bounded', async () => {
    const t = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'flood' });
    await t.run('echo warm');
    const baseline = server.rssKiB();
    // stop reading: the TCP window fills, the server's socket buffer would grow without bounds
    const tcp = (t.ws as unknown as { _socket: import('node:net').Socket })._socket;
    tcp.pause();
    t.type('head -c 300M /dev/zero | base64\r');
    let peak = 0;
    for (let i = 0; i < 16; i++) {
      // 2 s of flood to a client that reads nothing, then the bogus acks
      if (i >= 8) t.ws.send(JSON.stringify({ type: 'ack', offset: 1e12 + i }));
      await new Promise((r) => setTimeout(r, 250));
      peak = Math.max(peak, server.rssKiB());
    }
    tcp.resume();
    const closed = await t.waitClosed(30_000);
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/beyond the \d+ bytes sent/);
    console.info(`row 4: server RSS ${baseline} KiB → peak ${peak} KiB (+${peak - baseline} KiB); closed ${closed.code} "${closed.reason}"`);
    expect(peak - baseline).toBeLessThan(64 * 1024);
    // the flood's shell is still there (paused, never fed to anyone); end it
    const again = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'flood' });
    again.type('\x03');
    expect(await again.run('echo after', 60_000)).toContain('after');
    again.close();
  });

  it('row 5: 20 terminals opened at once with distinct names give 8 shells (the limit)', async () => {
    const s = await fresh();
    const ts = Array.from({ length: 20 }, () => new Term());
    terms.push(...ts);
    await Promise.all(ts.map((t, i) => t.connect(server, s.id, 'host', { token: s.token, terminal: `rush-${i}` })));
    expect(ts.filter((t) => t.ready)).toHaveLength(8);
    expect(ts.filter((t) => t.closed?.code === 4429)).toHaveLength(12);
    const shells = await sh(s.id, 'ls /run/netdojo-term-*.pid | wc -l');
    expect(Number(shells.trim())).toBe(8);
    for (const t of ts) t.close();
  });

  it('row 10: 5000 resize frames leave the API responsive and the last size applied', async () => {
    const s = await fresh();
    const t = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'resizer' });
    await t.run('echo warm');
    for (let i = 0; i < 5000; i++) t.resize(40 + (i % 100), 10 + (i % 40));
    t.resize(123, 45);
    const health = await api(server, 'GET', '/api/health');
    expect(health.status).toBe(200);
    let size = '';
    for (let i = 0; i < 20 && !size.includes('45 123'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      size = await t.run('stty size');
    }
    expect(size).toContain('45 123');
    t.close();
  });

  it('row 10: sockets that never authenticate are capped per client and timed out', async () => {
    const path = `/api/sessions/${s.id}/terminals/host`;
    const raws = await Promise.all(Array.from({ length: 40 }, () => rawSocket(server, path)));
    sockets.push(...raws.map((r) => r.ws));
    const codes = await Promise.all(raws.map((r) => Promise.race([r.closed.then((c) => c.code), new Promise<number>((ok) => setTimeout(() => ok(0), 15_000))])));
    // 8 may wait for authentication (and are closed 4401 when it does not come); the rest at once
    expect(codes.filter((c) => c === 4429)).toHaveLength(32);
    expect(codes.filter((c) => c === 4401)).toHaveLength(8);
    // a client that authenticates is not held back by them
    const ok = await open(server, s.id, 'host', { token: s.token, autoAck: true, terminal: 'after-flood' });
    expect(await ok.run('echo fine')).toContain('fine');
    ok.close();
  });
});

/** fetch() will not send a Host header of our choosing; node:http will */
function statusWithHost(method: string, path: string, host: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers: { host, ...(body ? { 'content-type': 'application/json' } : {}) }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('DNS rebinding (row 9)', () => {
  it('answers 421 to a foreign Host and refuses a WebSocket upgrade from a foreign Origin', async () => {
    const port = new URL(server.url).port;
    expect(await statusWithHost('GET', '/api/labs', `evil.example:${port}`)).toBe(421);
    expect(await statusWithHost('POST', '/api/sessions', 'evil.example', '{"lab":"srv-netns"}')).toBe(421);
    expect(await statusWithHost('GET', '/api/labs', 'user@evil.example')).toBe(400);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect(await statusWithHost('GET', '/api/labs', host)).toBe(200);

    const s = await createSession(server);
    const path = `/api/sessions/${s.id}/terminals/host`;
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server.wsUrl}${path}`, { origin });
        sockets.push(ws);
        ws.on('error', () => {});
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.send(JSON.stringify({ type: 'auth', token: s.token }));
          ws.once('message', () => resolve(101));
          ws.once('close', () => resolve(101));
        });
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status('null')).toBe(403);
    expect(await status(`http://localhost:${port}`)).toBe(101);
    // a cross-site form post cannot end a session either
    const del = await fetch(`${server.url}/api/sessions/${s.id}`, { method: 'DELETE', headers: { origin: 'https://evil.example', authorization: `Bearer ${s.token}` } });
    expect(del.status).toBe(403);
  });
});

describe('client identity behind a proxy (row 7)', () => {
  let proxied: Server | undefined;
  let pdir: string | undefined;
  afterAll(async () => {
    await cleanup([proxied], pdir ? [pdir] : []);
  });

  it('never trusts the left-most X-Forwarded-For, caps live sessions per client, groups IPv6 by /64', async () => {
    // the test client plays the one trusted proxy (127.0.0.1), which appends the real peer's address
    pdir = tempDir('netdojo-attacks-proxy-');
    proxied = await startServer(pdir, ['--trust-proxy', '127.0.0.1', '--rate', '2', '--max-sessions-per-client', '1']);
    const from = (spoof: string, peer: string) => ({ body: { lab: 'srv-netns' }, headers: { 'x-forwarded-for': `${spoof}, ${peer}` } });
    const first = await api(proxied, 'POST', '/api/sessions', from('1.1.1.1', '10.0.0.5'));
    expect(first.status).toBe(201);
    created.add(first.json.id);
    // a different left-most entry per request does not make a different client
    const second = await api(proxied, 'POST', '/api/sessions', from('2.2.2.2', '10.0.0.5'));
    expect(second.status).toBe(429);
    expect(second.json.error).toBe('too_many_sessions');
    expect((await api(proxied, 'DELETE', `/api/sessions/${first.json.id}`, { token: first.json.token })).status).toBe(204);
    const third = await api(proxied, 'POST', '/api/sessions', from('3.3.3.3', '10.0.0.5'));
    expect(third.status).toBe(201);
    created.add(third.json.id);
    expect((await api(proxied, 'DELETE', `/api/sessions/${third.json.id}`, { token: third.json.token })).status).toBe(204);
    // rate 2/min: the third creation within the minute is refused, whatever the spoofed entry
    const fourth = await api(proxied, 'POST', '/api/sessions', from('4.4.4.4', '10.0.0.5'));
    expect(fourth.status).toBe(429);
    expect(fourth.json.error).toBe('rate_limited');

    // one IPv6 host varying its interface id is one client
    const v6a = await api(proxied, 'POST', '/api/sessions', from('5.5.5.5', '2001:db8:0:1::1'));
    expect(v6a.status).toBe(201);
    created.add(v6a.json.id);
    const v6b = await api(proxied, 'POST', '/api/sessions', from('5.5.5.5', '2001:db8:0:1:aaaa:bbbb:cccc:dddd'));
    expect(v6b.status).toBe(429);
    expect(v6b.json.error).toBe('too_many_sessions');
  });
});

describe('dead sandboxes (row 6)', () => {
  const sessionOf = async (id: string, token: string) => (await api(server, 'GET', `/api/sessions/${id}`, { token })).json;

  it('the learner ends PID 1: the session ends within seconds with the reason, Check and terminals say it', async () => {
    const s = await createSession(server);
    const t = await open(server, s.id, 'host', { token: s.token, autoAck: true });
    await t.run('echo alive');
    t.type('kill -TERM 1\r');
    const closed = await t.waitClosed(20_000);
    expect(closed).toMatchObject({ code: 4410, reason: expect.stringMatching(/your sandbox stopped: host host was terminated \(exit 143\)/) });
    const view = await sessionOf(s.id, s.token);
    expect(view).toMatchObject({ status: 'ended', endReason: 'your sandbox stopped: host host was terminated (exit 143)' });
    const check = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(check.status).toBe(410);
    expect(check.json.message).toMatch(/your sandbox stopped: host host was terminated/);
    const late = new Term();
    terms.push(late);
    await late.connect(server, s.id, 'host', { token: s.token });
    expect(await late.waitClosed()).toMatchObject({ code: 4410, reason: expect.stringMatching(/your sandbox stopped/) });
  });

  it('the container is killed from outside: ended with "killed (exit 137)", also when no event is seen', async () => {
    const s = await createSession(server);
    const [c] = await dockerContainers(s.id);
    await c!.kill();
    let view: any;
    for (let i = 0; i < 40; i++) {
      view = await sessionOf(s.id, s.token);
      if (view.status === 'ended') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(view).toMatchObject({ status: 'ended', endReason: 'your sandbox stopped: host host was killed (exit 137)' });
  });
});

async function dockerContainers(sessionId: string) {
  const cs = await docker.listContainers({ all: true, filters: { label: [`netdojo.session=${sessionId}`] } });
  return cs.map((c) => docker.getContainer(c.Id));
}

describe('restart (row 11)', () => {
  let first: Server | undefined;
  let second: Server | undefined;
  let rdir: string | undefined;
  afterAll(async () => {
    await cleanup([first, second], rdir ? [rdir] : []);
  });

  it('after kill -9 and a restart, the shells of the previous process are ended', async () => {
    rdir = tempDir('netdojo-attacks-restart-');
    first = await startServer(rdir, ['--rate', '0', '--pool', '0']);
    const s = await createSession(first);
    const t = await open(first, s.id, 'host', { token: s.token, autoAck: true });
    const pid = (await t.run('echo "pid=$$"')).match(/pid=(\d+)/)![1]!;
    expect(await sh(s.id, `kill -0 ${pid} && echo alive`)).toContain('alive');
    await first.kill9();
    t.ws.terminate();
    second = await startServer(rdir, ['--rate', '0', '--pool', '0']);
    expect((await api(second, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json.status).toBe('ready');
    expect(await sh(s.id, `kill -0 ${pid} 2>/dev/null && echo alive || echo gone; ls /run/netdojo-term-*.pid 2>/dev/null | wc -l`)).toMatch(/^gone\r?\n0/);
    // the learner simply gets a new shell
    const again = await open(second, s.id, 'host', { token: s.token, autoAck: true });
    expect(again.ready?.shell).toBe('new');
  });
});
