// The server as fastify plugins (issue 15): each plugin declares what it needs, and a shutdown runs
// the plugins' onClose hooks in the reverse order of registration: the reaper stops, the pool
// drains, the terminals close and the store closes last. Against the real engine (the startup
// reconcile lists this server's scope, which is empty); no sandbox is created.
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { build, DEFAULTS } from './app.js';
import { sessionsPlugin } from './plugins/sessions.js';
import { storePlugin } from './plugins/store.js';
import { serverScope } from '../sessions/scope.js';

vi.setConfig({ testTimeout: 120_000 });

const LABS = resolve(import.meta.dirname, '../../../test/api/fixtures/labs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the server as plugins', () => {
  it('refuses a plugin whose dependencies are not registered before it', async () => {
    const app = Fastify();
    const dataDir = mkdtempSync(join(tmpdir(), 'netdojo-app-'));
    dirs.push(dataDir);
    await app.register(storePlugin, { dataDir });
    await expect(app.register(sessionsPlugin, { ...DEFAULTS })).rejects.toThrow(/The dependency 'catalog' of plugin 'sessions' is not registered/);
    await app.close().catch(() => {});
  });

  it('decorates what each plugin owns, and shuts down pool → terminals → store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'netdojo-app-'));
    dirs.push(dataDir);
    const app = await build({ ...DEFAULTS, dataDir, labs: [LABS], allowNoUserns: false, pool: { size: 0 } });
    await app.ready();
    expect(app.catalog.all().map((e) => e.lab.id)).toEqual(['srv-netns']);
    // the registry works in this server's scope (that of its data dir, or $NETDOJO_SCOPE)
    expect(app.providers.scope).toBe(serverScope(dataDir));
    expect((await app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ sessions: 0, terminals: 0 });

    const order: string[] = [];
    const spy = <T extends object>(obj: T, method: keyof T & string, label: string) => {
      const original = (obj[method] as (...a: unknown[]) => unknown).bind(obj);
      vi.spyOn(obj, method as never).mockImplementation(((...a: unknown[]) => (order.push(label), original(...a))) as never);
    };
    spy(app.pool, 'drain', 'pool drained');
    spy(app.terminals, 'closeAll', 'terminals closed');
    spy(app.store, 'close', 'store closed');
    await app.close();
    expect(order).toEqual(['pool drained', 'terminals closed', 'store closed']);
    // the store is really closed
    expect(() => app.store.live()).toThrow();
  });
});
