import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimiter } from './limits.js';
import { MIGRATIONS, SessionStore } from './store.js';
import { hashToken, isSessionId, newSessionId, newToken, tokenMatches } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'netdojo-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (id: string, now = Date.now()) => ({
  id,
  tokenHash: hashToken('t'),
  labId: 'lab',
  provider: 'docker',
  hosts: ['host'],
  status: 'ready' as const,
  locale: 'en',
  client: '127.0.0.1',
  createdAt: now,
  expiresAt: now + 1000,
  lastActiveAt: now,
});

describe('SessionStore', () => {
  it('persists sessions, progress and history across reopen', () => {
    const file = join(dir, 'a.sqlite');
    const s1 = new SessionStore(file);
    expect(s1.schemaVersion).toBe(MIGRATIONS.length);
    s1.insert(row('aaaaaaaaaaaaaaaaaaaaaaaa'));
    s1.markSetupDone('aaaaaaaaaaaaaaaaaaaaaaaa', 'one');
    s1.markCompleted('aaaaaaaaaaaaaaaaaaaaaaaa', 'one', 5);
    s1.markCompleted('aaaaaaaaaaaaaaaaaaaaaaaa', 'one', 9); // first completion wins
    s1.addHistory('aaaaaaaaaaaaaaaaaaaaaaaa', { stepId: 'one', action: 'check', at: 5, pass: true, detail: [{ id: 'c' }] });
    s1.close();
    const s2 = new SessionStore(file);
    expect(s2.get('aaaaaaaaaaaaaaaaaaaaaaaa')).toMatchObject({ labId: 'lab', hosts: ['host'], status: 'ready' });
    expect(s2.progress('aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual([{ stepId: 'one', setupDoneAt: expect.any(Number), completedAt: 5 }]);
    expect(s2.history('aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual([{ stepId: 'one', action: 'check', at: 5, pass: true, detail: [{ id: 'c' }] }]);
    expect(s2.countLive()).toBe(1);
    s2.setStatus('aaaaaaaaaaaaaaaaaaaaaaaa', 'ended', 'idle', 100);
    expect(s2.countLive()).toBe(0);
    expect(s2.get('aaaaaaaaaaaaaaaaaaaaaaaa')).toMatchObject({ status: 'ended', endReason: 'idle', endedAt: 100 });
    expect(s2.purgeEndedBefore(101)).toBe(1);
    expect(s2.progress('aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual([]);
    s2.close();
  });

  it('refuses a database from a newer netdojo', () => {
    const file = join(dir, 'b.sqlite');
    const s = new SessionStore(file);
    s.db.pragma('user_version = 99');
    s.close();
    expect(() => new SessionStore(file)).toThrow(/newer than this netdojo/);
  });
});

describe('tokens', () => {
  it('are random, hashed and matched exactly', () => {
    const t = newToken();
    expect(t).not.toBe(newToken());
    expect(t.length).toBeGreaterThanOrEqual(43);
    const h = hashToken(t);
    expect(h).not.toContain(t);
    expect(tokenMatches(t, h)).toBe(true);
    expect(tokenMatches(`${t}x`, h)).toBe(false);
    expect(tokenMatches('', h)).toBe(false);
    expect(isSessionId(newSessionId())).toBe(true);
    expect(isSessionId('../../etc')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then refuses with a wait, then refills', () => {
    const r = new RateLimiter(2, 6);
    expect(r.take('a', 0)).toBe(0);
    expect(r.take('a', 0)).toBe(0);
    expect(r.take('a', 0)).toBe(10);
    expect(r.take('b', 0)).toBe(0);
    expect(r.take('a', 10_000)).toBe(0);
  });
});
