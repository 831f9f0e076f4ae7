// The reaper purges ended sessions past their retention (issue 13: purgeEndedBefore had no caller).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Reaper } from './reaper.js';
import type { SessionService } from './service.js';
import { SessionStore } from './store.js';
import { hashToken } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'netdojo-reaper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Reaper retention', () => {
  it('deletes ended sessions older than the retention, keeps newer and live ones', async () => {
    const store = new SessionStore(join(dir, 'r.sqlite'));
    const day = 24 * 60 * 60_000;
    const now = Date.now();
    const add = (id: string) =>
      store.insert({ id, tokenHash: hashToken('t'), labId: 'lab', provider: 'docker', hosts: ['h'], status: 'ready', locale: 'en', client: 'c', createdAt: now - 40 * day, expiresAt: now + day, lastActiveAt: now });
    add('old0000000000000000000000');
    add('new0000000000000000000000');
    add('live000000000000000000000');
    store.setStatus('old0000000000000000000000', 'ended', 'idle', now - 31 * day);
    store.setStatus('new0000000000000000000000', 'ended', 'idle', now - 29 * day);
    const service = { store, due: () => [], sweepStopped: async () => {}, log: { info: () => {}, error: () => {} } } as unknown as SessionService;
    const reaper = new Reaper(service, 60_000, { retentionMs: 30 * day });
    await reaper.tick();
    expect(store.get('old0000000000000000000000')).toBeUndefined();
    expect(store.get('new0000000000000000000000')).toMatchObject({ status: 'ended' });
    expect(store.get('live000000000000000000000')).toMatchObject({ status: 'ready' });
    store.close();
  });
});
