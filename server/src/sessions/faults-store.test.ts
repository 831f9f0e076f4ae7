// The faults a session drew are stored with its row: they survive a reopen of the database, an
// upgrade from a database made before the column existed, and a restart at a step (the new row
// copies the old one's).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, SessionStore } from './store.js';
import { hashToken } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'netdojo-faults-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (id: string, faults?: Record<string, string[]>) => ({
  id,
  tokenHash: hashToken('t'),
  labId: 'troubleshooting',
  provider: 'docker',
  hosts: ['node', 'upstream'],
  status: 'ready' as const,
  locale: 'en',
  client: '127.0.0.1',
  createdAt: 1,
  expiresAt: 2,
  lastActiveAt: 1,
  ...(faults ? { faults } : {}),
});

describe('SessionStore: drawn faults', () => {
  it('keeps a session\'s draw across a reopen; a session without faults has none', () => {
    const file = join(dir, 'a.sqlite');
    const s1 = new SessionStore(file);
    s1.insert(row('aaaaaaaaaaaaaaaaaaaaaaaa', { repair: ['forward-drop', 'resolver', 'dead-endpoint'] }));
    s1.insert(row('bbbbbbbbbbbbbbbbbbbbbbbb'));
    s1.close();
    const s2 = new SessionStore(file);
    expect(s2.get('aaaaaaaaaaaaaaaaaaaaaaaa')?.faults).toEqual({ repair: ['forward-drop', 'resolver', 'dead-endpoint'] });
    expect(s2.get('bbbbbbbbbbbbbbbbbbbbbbbb')?.faults).toEqual({});
    s2.close();
  });

  it('a restarted session\'s row carries the same draw', () => {
    const s = new SessionStore(join(dir, 'b.sqlite'));
    s.insert(row('cccccccccccccccccccccccc', { repair: ['pod-gateway'] }));
    const { endedAt: _e, endReason: _r, ...current } = s.get('cccccccccccccccccccccccc')!;
    s.insert({ ...current, id: 'dddddddddddddddddddddddd', status: 'starting' });
    s.moveSession('cccccccccccccccccccccccc', 'dddddddddddddddddddddddd', ['repair'], 'restarted');
    expect(s.get('dddddddddddddddddddddddd')).toMatchObject({ status: 'ready', faults: { repair: ['pod-gateway'] } });
    s.close();
  });

  it('upgrades a database made before faults were stored', () => {
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    const before = MIGRATIONS.findIndex((m) => /ADD COLUMN faults/.test(m));
    expect(before).toBeGreaterThan(0);
    for (const m of MIGRATIONS.slice(0, before)) old.exec(m);
    old.pragma(`user_version = ${before}`);
    old.prepare(`INSERT INTO sessions (id, token_hash, lab_id, provider, hosts, status, locale, client, created_at, expires_at, last_active_at)
                 VALUES ('eeeeeeeeeeeeeeeeeeeeeeee', 'h', 'lab', 'docker', '["host"]', 'ready', 'en', 'c', 1, 2, 1)`).run();
    old.close();
    const s = new SessionStore(file);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect(s.get('eeeeeeeeeeeeeeeeeeeeeeee')?.faults).toEqual({});
    s.close();
  });
});
