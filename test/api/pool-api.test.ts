// GET/POST /api/pool: an instructor announces a class with the operator token; the warm pool fills
// to the announced size (visible in /metrics), and goes back when the announcement ends. Real
// Docker sandboxes of the fixture lab, removed at the end.
import type { FastifyRequest } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { operatorGuard } from '../../server/src/http/routes/pool.js';
import { serverScope } from '../../server/src/sessions/scope.js';
import { api, cleanup, docker, eventually, startServer, tempDir, type Server } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const TOKEN = `op-${Math.random().toString(36).slice(2)}`;
let server: Server | undefined;
const dir = tempDir('netdojo-pool-api-');
afterAll(async () => {
  await cleanup([server], [dir]);
});

const ready = async (s: Server, lab: string): Promise<number | undefined> => {
  const text = (await api(s, 'GET', '/metrics')).text as string;
  const m = new RegExp(`^netdojo_pool_sandboxes\\{lab="${lab}",state="ready"[^}]*\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('the operator API of the warm pool', () => {
  it('is off without an operator token, and needs that token when on', () => {
    const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as FastifyRequest;
    expect(() => operatorGuard(undefined)(req(`Bearer ${TOKEN}`))).toThrow(/operator actions are off on this server/);
    const guard = operatorGuard(TOKEN);
    expect(() => guard(req())).toThrow(/send the operator token/);
    expect(() => guard(req('Bearer not-the-token'))).toThrow(/not the operator token/);
    expect(() => guard(req(`Bearer ${TOKEN}`))).not.toThrow();
  });

  it('announces a class: the pool fills to its size, /metrics shows it, and it ends', async () => {
    process.env.NETDOJO_OPERATOR_TOKEN = TOKEN;
    try {
      // no pool configured: only an announcement makes one
      server = await startServer(dir, ['--rate', '0', '--pool', '0', '--max-sessions', '20']);
    } finally {
      delete process.env.NETDOJO_OPERATOR_TOKEN;
    }
    const s = server;
    const until = new Date(Date.now() + 10 * 60_000).toISOString();
    const as = { token: TOKEN };
    expect((await api(s, 'GET', '/api/pool')).status).toBe(401);
    expect((await api(s, 'POST', '/api/pool', { body: { lab: 'srv-netns', size: 2, until }, token: 'wrong' })).status).toBe(401);
    expect((await api(s, 'GET', '/api/pool', as)).json).toEqual({ labs: [] });

    const bad = [
      [{ lab: 'srv-netns', size: 2 }, 400, /until is required/],
      [{ lab: 'srv-netns', size: 2, until: 'tomorrow' }, 400, /until/],
      [{ lab: 'srv-netns', size: 2, until: new Date(Date.now() - 1000).toISOString() }, 400, /in the past/],
      [{ lab: 'srv-netns', size: 21, until }, 400, /--max-sessions \(20\)/],
      [{ lab: 'no-such-lab', size: 2, until }, 404, /no lab with id/],
    ] as const;
    for (const [body, status, message] of bad) {
      const r = await api(s, 'POST', '/api/pool', { body, ...as });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.message).toMatch(message);
    }

    const r = await api(s, 'POST', '/api/pool', { body: { lab: 'srv-netns', size: 2, until }, ...as });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ lab: 'srv-netns', size: 2, until: new Date(until).toISOString() });
    await eventually(async () => (await ready(s, 'srv-netns')) === 2, 'two ready sandboxes', 180_000);
    expect((await api(s, 'GET', '/api/pool', as)).json).toEqual({ labs: [{ lab: 'srv-netns', size: 2, ready: 2, warming: 0, until: new Date(until).toISOString() }] });

    // a learner of the class gets one of them; the pool makes another
    const created = await api(s, 'POST', '/api/sessions', { body: { lab: 'srv-netns' } });
    expect(created.status).toBe(201);
    const claims = (await api(s, 'GET', '/metrics')).text as string;
    expect(claims).toMatch(/^netdojo_pool_claims\{result="hit"[^}]*\} 1$/m);
    await eventually(async () => (await ready(s, 'srv-netns')) === 2, 'the pool to refill', 180_000);
    expect((await api(s, 'DELETE', `/api/sessions/${created.json.id}`, { token: created.json.token })).status).toBe(204);

    // size 0 ends the announcement: back to the configured size (none), the ready sandboxes go
    const end = await api(s, 'POST', '/api/pool', { body: { lab: 'srv-netns', size: 0, until }, ...as });
    expect(end.json).toEqual({ lab: 'srv-netns', size: 0, ready: 0, warming: 0 });
    expect((await api(s, 'GET', '/api/pool', as)).json).toEqual({ labs: [] });
    expect(await ready(s, 'srv-netns')).toBeUndefined();
    const mine = { label: [`netdojo.scope=${serverScope(dir)}`] };
    await eventually(async () => (await docker.listContainers({ all: true, filters: mine })).length === 0, 'the pooled sandboxes to be removed');
  });
});
