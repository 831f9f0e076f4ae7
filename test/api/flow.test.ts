// Flow control: a flood of output to a client that stops acknowledging must not grow the
// server's memory, and Ctrl-C must still reach the shell.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { api, cleanup, createSession, sh, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

// sandboxes start slowly on a busy 2-core machine shared with other suites
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server | undefined;
const dir = tempDir('netdojo-flow-');
const terms = new OpenTerminals();
afterAll(async () => {
  terms.end();
  await cleanup([server], [dir]);
});

describe('terminal flow control', () => {
  it('bounds server memory for a client that stops acking, and Ctrl-C lands', async () => {
    server = await startServer(dir, ['--rate', '0']);
    const s = await createSession(server);
    const t = await Term.open(server, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    await t.run('echo warm');
    const baseline = server.rssKiB();

    // from here on the client never acknowledges
    t.ws.removeAllListeners('message');
    let received = 0;
    t.ws.on('message', (d: Buffer, binary: boolean) => {
      if (binary) received += d.length;
    });
    t.type('head -c 50M /dev/zero | base64\r');
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      peak = Math.max(peak, server.rssKiB());
    }
    // 50 MB of zeros is ~68 MB of base64: only a window of it may have left the server
    expect(received).toBeGreaterThan(100_000);
    expect(received).toBeLessThan(8 * 1024 * 1024);
    expect(peak - baseline).toBeLessThan(64 * 1024);
    expect(await sh(s.id, 'pgrep -x base64 >/dev/null && echo running || echo gone')).toContain('running');

    // Ctrl-C reaches the shell while its output is paused
    t.type('\x03');
    let gone = '';
    for (let i = 0; i < 40 && !gone.includes('gone'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      gone = await sh(s.id, 'pgrep -x base64 >/dev/null && echo running || echo gone');
    }
    expect(gone).toContain('gone');

    // a reconnecting, acknowledging client drains what is left and gets the prompt back
    t.ws.terminate();
    const r = await Term.open(server, s.id, 'host', { token: s.token, autoAck: true, resumeFrom: t.base + received });
    terms.push(r);
    r.keep = true;
    expect(await r.run('echo after-interrupt', 60_000)).toContain('after-interrupt');
    expect(server.rssKiB() - baseline).toBeLessThan(64 * 1024);
  });

  it('delivers a large output completely to a client that acknowledges', async () => {
    const s = await createSession(server!);
    const t = await Term.open(server!, s.id, 'host', { token: s.token, autoAck: true });
    terms.push(t);
    await t.run('echo ready');
    t.keep = false;
    const before = t.received;
    // 20 MiB as base64 with line breaks is 28,326,329 bytes (plus a CR per line from the TTY)
    t.type('head -c 20M /dev/zero | base64; echo flood-""end\r');
    await t.until(() => t.tail.includes('flood-end\r\n'), 'the end of the flood', 120_000);
    expect(t.received - before).toBeGreaterThan(28_326_329);
    await api(server!, 'DELETE', `/api/sessions/${s.id}`, { token: s.token });
  });
});
