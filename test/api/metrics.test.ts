// /metrics: a Prometheus scrape sees sessions, pool claims, terminals, latencies and failures.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, createSession, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server | undefined;
const dir = tempDir('netdojo-metrics-');
const terms = new OpenTerminals();
afterAll(async () => {
  terms.end();
  await cleanup([server], [dir]);
});

async function scrape(s: Server): Promise<string> {
  const res = await fetch(`${s.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** the value of the sample `name` whose labels include `labels` (in any order), or undefined */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts what an operator watches during a class', async () => {
    server = await startServer(dir, ['--rate', '0']);
    const empty = await scrape(server);
    expect(sample(empty, 'netdojo_terminals_open')).toBe(0);
    expect(sample(empty, 'netdojo_session_ready_seconds_count')).toBe(0);

    const s = await createSession(server);
    const t = await Term.open(server, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    await t.run('echo ok');
    const bad = await api(server, 'POST', '/api/sessions', { body: { lab: 'no-such-lab' } });
    expect(bad.status).toBe(404);
    const check = await api(server, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(check.status).toBe(200);

    const live = await scrape(server);
    expect(sample(live, 'netdojo_sessions', { lab: 'srv-netns', state: 'ready' })).toBe(1);
    expect(sample(live, 'netdojo_terminals_open')).toBe(1);
    expect(sample(live, 'netdojo_session_ready_seconds_count')).toBe(1);
    expect(sample(live, 'netdojo_check_seconds_count')).toBe(1);
    expect(sample(live, 'netdojo_pool_claims', { result: 'miss' })).toBe(1);
    expect(sample(live, 'netdojo_pool_claims', { result: 'hit' })).toBe(0);
    expect(sample(live, 'netdojo_session_create_failures_total', { code: 'lab_not_found' })).toBe(1);
    expect(sample(live, 'netdojo_process_resident_memory_bytes')).toBeGreaterThan(0);

    t.ws.terminate();
    const del = await api(server, 'DELETE', `/api/sessions/${s.id}`, { token: s.token });
    expect(del.status).toBeLessThan(300);
    const after = await scrape(server);
    expect(sample(after, 'netdojo_sessions_ended_total', { reason: 'learner' })).toBe(1);
    expect(sample(after, 'netdojo_sessions', { lab: 'srv-netns', state: 'ready' })).toBeUndefined();
  });
});
