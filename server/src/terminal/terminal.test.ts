// Unit tests of the bridge's bookkeeping; the end-to-end proofs with Docker are in test/api/.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TerminalStream } from '../sandbox/types.js';
import { AckBeyondSentError, TerminalHub, TerminalLimitError, type TerminalClient } from './bridge.js';
import { FlowWindow } from './flow.js';
import { Scrollback } from './scrollback.js';

describe('Scrollback', () => {
  it('keeps the last bytes with absolute offsets', () => {
    const s = new Scrollback(10);
    s.append(Buffer.from('hello '));
    s.append(Buffer.from('world!!'));
    expect(s.end).toBe(13);
    expect(s.start).toBe(3);
    expect(s.since(null)).toEqual({ offset: 3, data: Buffer.from('lo world!!') });
    expect(s.since(8).data.toString()).toBe('rld!!');
    expect(s.since(0).offset).toBe(3); // fell out of the ring: replay what is held
    expect(s.since(99).offset).toBe(3);
    expect(s.since(13).data.length).toBe(0);
  });
});

describe('FlowWindow', () => {
  it('pauses above the high-water mark and resumes below the low one', () => {
    const f = new FlowWindow({ highWater: 100, lowWater: 20 }, 0);
    expect(f.shouldPause(100)).toBe(false);
    expect(f.shouldPause(101)).toBe(true);
    expect(f.ack(50, 101)).toBe(false);
    expect(f.ack(10, 101)).toBe(false); // stale acks are ignored
    expect(f.ackedOffset).toBe(50);
    expect(f.ack(90, 101)).toBe(true);
    expect(f.ack(1000, 101)).toBe(false);
    expect(f.ackedOffset).toBe(101);
  });
});

function fakeShell() {
  const input: Buffer[] = [];
  let closed = false;
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      input.push(Buffer.from(chunk));
      cb();
    },
  });
  const ts: TerminalStream = { stream: duplex, resize: async () => {}, close: async () => void (closed = true) };
  return { ts, out: { write: (d: string | Buffer) => duplex.push(typeof d === 'string' ? Buffer.from(d) : d) }, input, isClosed: () => closed };
}

function recorder() {
  const data: Buffer[] = [];
  const control: Array<Record<string, unknown>> = [];
  const closes: Array<[number, string]> = [];
  const client: TerminalClient = { sendData: (d) => data.push(d), sendControl: (m) => control.push(m), close: (c, r) => closes.push([c, r]) };
  return { client, data, control, closes, text: () => Buffer.concat(data).toString() };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('TerminalHub', () => {
  it('kills the shell when a terminal is closed on its own', async () => {
    const hub = new TerminalHub({ flow: { highWater: 64, lowWater: 16 }, scrollbackBytes: 1024, graceMs: 20, maxFrameBytes: 32, coalesceMs: 4, maxTerminalsPerSession: 2, resizeIntervalMs: 0 });
    const sh = fakeShell();
    await hub.open('s', 'host', 'main', async () => sh.ts);
    // nobody attaches: the grace period ends and the shell is killed
    await new Promise((r) => setTimeout(r, 100));
    expect(sh.isClosed()).toBe(true);
    expect(hub.size).toBe(0);
  });

  it('re-attaches to the same shell, replays from an offset, pauses without acks', async () => {
    const hub = new TerminalHub({ flow: { highWater: 64, lowWater: 16 }, scrollbackBytes: 1024, graceMs: 60_000, maxFrameBytes: 32, coalesceMs: 4, maxTerminalsPerSession: 2, resizeIntervalMs: 0 });
    const sh = fakeShell();
    const { terminal, fresh } = await hub.open('s', 'host', 'main', async () => sh.ts);
    expect(fresh).toBe(true);
    const a = recorder();
    terminal.attach(a.client, null, true);
    expect(a.control[0]).toEqual({ type: 'ready', offset: 0, shell: 'new' });
    sh.out.write('abc');
    await tick();
    expect(a.text()).toBe('abc');
    terminal.detach(a.client);
    sh.out.write('def');
    await tick();
    const again = await hub.open('s', 'host', 'main', async () => {
      throw new Error('must not spawn a second shell');
    });
    expect(again.fresh).toBe(false);
    const b = recorder();
    again.terminal.attach(b.client, 3, false);
    expect(b.control[0]).toEqual({ type: 'ready', offset: 3, shell: 'resumed' });
    expect(b.text()).toBe('def');
    // no acks: past 64 unacknowledged bytes the shell is paused
    sh.out.write(Buffer.alloc(100, 120));
    await tick();
    expect(again.terminal.paused).toBe(true);
    again.terminal.ack(106);
    expect(again.terminal.paused).toBe(false);
    // a third terminal in the session is refused
    await hub.open('s', 'host', 'second', async () => fakeShell().ts);
    await expect(hub.open('s', 'host', 'third', async () => fakeShell().ts)).rejects.toThrow(/already has 2 terminals/);
    // a newer client replaces the older one
    const c = recorder();
    again.terminal.attach(c.client, null, false);
    expect(b.closes[0]?.[0]).toBe(4409);
    await hub.closeSession('s');
    expect(sh.ts.stream.destroyed).toBe(true); // the sandbox goes away: the shell need not be killed first
    expect(c.closes[0]?.[0]).toBe(1001);
    expect(hub.size).toBe(0);
  });
});

describe('Terminal batching', () => {
  it('holds streaming output into one frame, but sends an echo of input at once', async () => {
    const hub = new TerminalHub({ flow: { highWater: 1 << 20, lowWater: 1 << 18 }, scrollbackBytes: 1 << 20, graceMs: 60_000, maxFrameBytes: 1024, coalesceMs: 60_000, maxTerminalsPerSession: 2, resizeIntervalMs: 0 });
    const sh = fakeShell();
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    const a = recorder();
    terminal.attach(a.client, null, true);
    const turn = () => new Promise((r) => setImmediate(r));
    sh.out.write('first');
    await tick();
    expect(a.data.map(String)).toEqual(['first']); // after quiet: not held
    sh.out.write('b');
    await turn();
    sh.out.write('c');
    await turn();
    expect(a.data.map(String)).toEqual(['first']); // streaming: held (up to coalesceMs)
    terminal.input(Buffer.from('x'));
    sh.out.write('x');
    await tick();
    expect(a.data.map(String)).toEqual(['first', 'bcx']); // input: the echo (and what was held) goes out now
    sh.out.write(Buffer.alloc(1500, 121));
    await turn();
    expect(a.data.length).toBe(3); // a full frame goes out without waiting
    expect(a.data[2]!.length).toBe(1500);
    await hub.closeSession('s');
  });
});

// The attacks of issue 13 rows 4, 5 and 10, at the bridge (the same through real sockets: test/api/attacks.test.ts).
describe('Terminal under attack', () => {
  const opts = { flow: { highWater: 1024, lowWater: 256 }, scrollbackBytes: 4096, graceMs: 60_000, maxFrameBytes: 256, coalesceMs: 0, maxTerminalsPerSession: 8, resizeIntervalMs: 50 };

  it('refuses an ack beyond the bytes sent (it would unpause a client that reads nothing)', async () => {
    const hub = new TerminalHub(opts);
    const sh = fakeShell();
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    const a = recorder();
    terminal.attach(a.client, null, true);
    sh.out.write(Buffer.alloc(100, 120));
    await tick();
    expect(() => terminal.ack(100)).not.toThrow();
    expect(() => terminal.ack(101)).toThrow(/beyond the 100 bytes sent/);
    expect(() => terminal.ack(3_000_000_000)).toThrow(AckBeyondSentError);
    sh.out.write(Buffer.alloc(5000, 120));
    await tick();
    expect(terminal.paused).toBe(true); // the bogus acks counted for nothing
    await hub.closeSession('s');
  });

  it('pauses the shell while the transport holds too much unwritten, even when acks keep up', async () => {
    const hub = new TerminalHub(opts);
    const sh = fakeShell();
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    let buffered = 0;
    const written: Array<() => void> = [];
    const a = recorder();
    const client: TerminalClient = {
      ...a.client,
      sendData: (d, w) => {
        buffered += d.length;
        a.data.push(d);
        if (w) written.push(w);
      },
      bufferedAmount: () => buffered,
    };
    terminal.attach(client, null, true);
    for (let i = 0; i < 20 && !terminal.paused; i++) {
      sh.out.write(Buffer.alloc(200, 120));
      await tick();
      terminal.ack(a.data.reduce((n, d) => n + d.length, 0)); // acks all it was sent, reads nothing
    }
    expect(terminal.paused).toBe(true);
    expect(buffered).toBeLessThan(2 * 1024);
    // the transport drains: output resumes
    buffered = 0;
    written.splice(0).forEach((w) => w());
    expect(terminal.paused).toBe(false);
    await hub.closeSession('s');
  });

  it('coalesces 5000 resizes into a few Docker calls, the last size winning', async () => {
    const hub = new TerminalHub(opts);
    const sh = fakeShell();
    const sizes: Array<{ cols: number; rows: number }> = [];
    sh.ts.resize = async (s) => void sizes.push(s);
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    const all: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) all.push(terminal.resize({ cols: 20 + (i % 200), rows: 10 + (i % 50) }));
    await Promise.all(all);
    expect(sizes.length).toBeLessThanOrEqual(3);
    expect(sizes.at(-1)).toEqual({ cols: 20 + (4999 % 200), rows: 10 + (4999 % 50) });
    expect(terminal.resizeCalls).toBe(sizes.length);
    await hub.closeSession('s');
  });

  it('reserves the terminal limit before a shell starts: 20 simultaneous opens with limit 8 make 8 shells', async () => {
    const hub = new TerminalHub(opts);
    let spawned = 0;
    const opens = Array.from({ length: 20 }, (_, i) =>
      hub.open('s', 'host', `t${i}`, async () => {
        spawned++;
        await new Promise((r) => setTimeout(r, 20)); // a shell takes a while to start
        return fakeShell().ts;
      }),
    );
    const results = await Promise.allSettled(opens);
    expect(spawned).toBe(8);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(8);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof TerminalLimitError)).toHaveLength(12);
    expect(hub.countFor('s')).toBe(8);
    await hub.closeSession('s');
  });
});

describe('Terminal resume and redraw', () => {
  const opts = { flow: { highWater: 1024, lowWater: 256 }, scrollbackBytes: 4096, graceMs: 60_000, maxFrameBytes: 8, coalesceMs: 0, maxTerminalsPerSession: 8, resizeIntervalMs: 0 };

  it('replays a resume inside a colour code from its start, and counts acks from there', async () => {
    const hub = new TerminalHub(opts);
    const sh = fakeShell();
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    const a = recorder();
    terminal.attach(a.client, null, true);
    sh.out.write('$ \x1b[38;5;196mred\x1b[0m 한글\r\n');
    await tick();
    terminal.detach(a.client);
    // the client claims it has 6 bytes: "$ \x1b[38" (it cut the frame, or lies)
    const b = recorder();
    terminal.attach(b.client, 6, false);
    expect(b.control[0]).toEqual({ type: 'ready', offset: 2, shell: 'resumed' });
    expect(b.text()).toBe('\x1b[38;5;196mred\x1b[0m 한글\r\n');
    expect(b.data.every((d) => d.length <= 8)).toBe(true); // frames may split a sequence: the client parses them as one stream
    const end = 2 + Buffer.byteLength(b.text());
    // a client that counts from its own claim instead of from `ready` overshoots and is refused
    expect(() => terminal.ack(6 + Buffer.byteLength(b.text()))).toThrow(AckBeyondSentError);
    expect(() => terminal.ack(end)).not.toThrow();
    // false acks change nothing and read nothing: stale, negative, not a number
    for (const lie of [-1, 0, 1.5, Number.NaN]) expect(() => terminal.ack(lie)).not.toThrow();
    for (const lie of [end + 1, Number.POSITIVE_INFINITY, 2 ** 53]) expect(() => terminal.ack(lie)).toThrow(AckBeyondSentError);
    // a resume inside 한 starts at the character
    const c = recorder();
    const han = Buffer.byteLength('$ \x1b[38;5;196mred\x1b[0m ');
    terminal.attach(c.client, han + 1, false);
    expect(c.control[0]).toMatchObject({ offset: han });
    expect(c.text()).toBe('한글\r\n');
    await hub.closeSession('s');
  });

  it('makes the TTY size change on redraw, even to the size it has, so the kernel signals SIGWINCH', async () => {
    const hub = new TerminalHub(opts);
    const sh = fakeShell();
    const sizes: Array<{ cols: number; rows: number }> = [];
    sh.ts.resize = async (s) => void sizes.push(s);
    const { terminal } = await hub.open('s', 'host', 'main', async () => sh.ts);
    await terminal.resize({ cols: 80, rows: 24 });
    await terminal.redraw({ cols: 80, rows: 24 });
    expect(sizes).toEqual([{ cols: 80, rows: 24 }, { cols: 80, rows: 23 }, { cols: 80, rows: 24 }]);
    sizes.length = 0;
    await terminal.redraw({ cols: 30, rows: 1 });
    expect(sizes).toEqual([{ cols: 30, rows: 2 }, { cols: 30, rows: 1 }]);
    // a failed first step still leaves the TTY at the size asked for
    sizes.length = 0;
    let failOnce = true;
    sh.ts.resize = async (s) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('engine busy');
      }
      sizes.push(s);
    };
    await expect(terminal.redraw({ cols: 100, rows: 40 })).rejects.toThrow('engine busy');
    expect(sizes).toEqual([{ cols: 100, rows: 40 }]);
    await hub.closeSession('s');
  });
});
