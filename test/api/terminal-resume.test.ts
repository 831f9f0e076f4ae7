// Re-attaching to a shell through the real stack (a `netdojo serve` child, a Docker sandbox, a
// WebSocket): full-screen programs are told to redraw, and a replay never starts mid-sequence.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, createSession, startServer, tempDir, Term, type Server, OpenTerminals } from './helpers.js';

// sandboxes start slowly on a busy 2-core machine shared with other suites
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: Server | undefined;
const dir = tempDir('netdojo-resume-');
const terms = new OpenTerminals();
let session: { id: string; token: string };

const open = (opts: Parameters<typeof Term.open>[3]) => terms.open(server!, session.id, 'host', opts);

/** drops the socket as a network failure would (no closing handshake) and waits until the server let go */
async function drop(t: Term): Promise<number> {
  const offset = t.offset;
  t.ws.terminate();
  await t.waitClosed();
  return offset;
}

beforeAll(async () => {
  server = await startServer(dir, ['--rate', '0']);
  session = await createSession(server);
});
afterAll(async () => {
  terms.end();
  await cleanup([server], [dir]);
});

describe('re-attaching to a shell', () => {
  it('signals SIGWINCH on re-attach, even at the same size, so full-screen programs redraw', async () => {
    const a = await open({ token: session.token, autoAck: true, terminal: 'winch', cols: 80, rows: 24 });
    await a.run('echo warm');
    // a foreground program that reports every SIGWINCH with the size it then reads
    a.type(`bash -c 'trap "echo win""ch=\\$(stty size)" WINCH; echo ar""med; while :; do sleep 0.1; done'\r`);
    await a.expect(/armed\r\n/);
    expect(a.text()).not.toMatch(/winch=/);
    const seen = await drop(a);

    const b = await open({ token: session.token, autoAck: true, terminal: 'winch', cols: 80, rows: 24, resumeFrom: seen });
    expect(b.ready).toMatchObject({ shell: 'resumed' });
    await b.expect(/winch=24 80\r\n/);
    // every report is new output (nothing was replayed), and the last one is the client's size
    expect(b.text().match(/winch=\d+ \d+/g)?.at(-1)).toBe('winch=24 80');
    b.type('\x03');
    await b.run('echo stopped');
  });

  it('makes less draw its screen again for a client that re-attached', async () => {
    const a = await open({ token: session.token, autoAck: true, terminal: 'less', cols: 80, rows: 24 });
    await a.run('seq 1000 | sed "s/^/line-/" > /tmp/lines');
    a.type('less /tmp/lines\r');
    await a.expect(/line-23/);
    const seen = await drop(a);

    const b = await open({ token: session.token, autoAck: true, terminal: 'less', cols: 80, rows: 24, resumeFrom: seen });
    // nothing is replayed (the client had it all): the page comes from less itself
    await b.expect(/line-1\b[\s\S]*line-22\b/);
    b.type('q');
    await b.run('echo quit');
  });

  it('replays a ring that overflowed with titles and Korean text from a whole sequence', async () => {
    const t = await open({ token: session.token, autoAck: true, terminal: 'flood' });
    await t.run('echo ready');
    t.keep = false;
    // 3 MB of 208-byte lines (a 203-byte OSC title, 한, CR LF) through a 2 MiB ring: cut anywhere,
    // the ring would start inside the title nearly every time
    t.type(`t=$(printf 'title-%.0s' {1..33}); yes $'\\e]0;'"$t"$'\\a한' | head -n 15000; echo flood-""end\r`);
    await t.until(() => t.tail.includes('flood-end\r\n'), 'the end of the flood', 120_000);
    await drop(t);

    const r = await open({ token: session.token, autoAck: true, terminal: 'flood', resumeFrom: null });
    await r.until(() => r.text().includes('flood-end'), 'the replay');
    expect(r.ready!.offset).toBeGreaterThan(1_000_000); // the ring was trimmed
    const start = r.output.subarray(0, 16).toString('latin1');
    const whole = ['\x1b]0;title-', Buffer.from('한').toString('latin1'), '\r\n', '\n'];
    expect(whole.some((u) => start.startsWith(u)), JSON.stringify(start)).toBe(true);

    // a client claiming to have stopped 3 bytes into a title gets the whole title again
    const title = r.ready!.offset + r.output.indexOf('\x1b]0;title-');
    const again = await open({ token: session.token, autoAck: true, terminal: 'flood', resumeFrom: title + 3 });
    expect(again.ready).toMatchObject({ offset: title, shell: 'resumed' });
    await again.until(() => again.text().includes('flood-end'), 'the replay');
    expect(again.output.subarray(0, 10).toString('latin1')).toBe('\x1b]0;title-');
    expect(await again.run('echo acks-counted-from-ready')).toContain('acks-counted-from-ready');
    expect(again.closed).toBeUndefined(); // its acks, counted from `ready`, were all accepted
  });
});
