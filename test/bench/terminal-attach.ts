// Measures the two ways of attaching a browser terminal to a sandbox shell:
//   A) dockerode exec with a TTY (one hijacked HTTP connection to the engine per terminal)
//   B) node-pty around `docker exec -it` (one docker CLI process per terminal)
// Reports server-side memory per open terminal and keystroke echo latency.
// Run: npx tsx test/bench/terminal-attach.ts   (needs Docker and the debian:bookworm-slim image)
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';

const N = Number(process.env.N ?? 20);
const SAMPLES = Number(process.env.SAMPLES ?? 300);
const docker = new Docker();

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
  }
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Term {
  write(s: string): void;
  onData(cb: (d: string) => void): void;
  close(): void;
  childPid?: number;
}

async function dockerodeTerm(id: string): Promise<Term> {
  const c = docker.getContainer(id);
  const exec = await c.exec({ Cmd: ['bash', '--norc', '-i'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['PS1=$ '] });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as unknown as Duplex;
  const listeners: Array<(d: string) => void> = [];
  stream.on('data', (b: Buffer) => listeners.forEach((l) => l(b.toString('latin1'))));
  return {
    write: (s) => stream.write(s),
    onData: (cb) => listeners.push(cb),
    close: () => {
      stream.write('exit\n');
      stream.destroy();
    },
  };
}

async function ptyTerm(id: string): Promise<Term> {
  const pty = await import('node-pty');
  const p = pty.spawn('docker', ['exec', '-it', '-e', 'PS1=$ ', id, 'bash', '--norc', '-i'], { cols: 80, rows: 24, name: 'xterm' });
  return { write: (s) => p.write(s), onData: (cb) => void p.onData(cb), close: () => p.kill(), childPid: p.pid };
}

async function waitFor(t: Term, marker: string, ms = 10_000): Promise<void> {
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${marker}`)), ms);
    t.onData((d) => {
      buf += d;
      if (buf.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function echoLatency(t: Term): Promise<number[]> {
  const out: number[] = [];
  let pending: ((d: string) => void) | null = null;
  t.onData((d) => pending?.(d));
  for (let i = 0; i < SAMPLES; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      pending = (d) => {
        if (d.includes(ch)) {
          pending = null;
          resolve();
        }
      };
      t.write(ch);
    });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.write('\x15'); // ^U clears the typed line
  return out;
}

async function measure(name: string, open: (id: string) => Promise<Term>, id: string) {
  await settle();
  const before = rssKiB(process.pid);
  const heapBefore = process.memoryUsage();
  const terms: Term[] = [];
  for (let i = 0; i < N; i++) {
    const t = await open(id);
    const ready = waitFor(t, `ready-${i}`);
    t.write(`echo ready-$((${i}))\n`);
    await ready;
    terms.push(t);
  }
  await settle();
  const after = rssKiB(process.pid);
  const heapAfter = process.memoryUsage();
  const jsKiB = (heapAfter.heapUsed + heapAfter.external - heapBefore.heapUsed - heapBefore.external) / 1024 / N;
  const children = terms.reduce((s, t) => s + (t.childPid ? rssKiB(t.childPid) : 0), 0);
  const lat = await echoLatency(terms[0]!);
  for (const t of terms) t.close();
  const perTermServer = (after - before) / N;
  const perTermChild = children / N;
  return {
    name,
    serverRssKiBPerTerminal: Math.round(perTermServer),
    serverHeapKiBPerTerminal: Math.round(jsKiB),
    helperProcessKiBPerTerminal: Math.round(perTermChild),
    totalKiBPerTerminal: Math.round(perTermServer + perTermChild),
    echoP50ms: +pct(lat, 50).toFixed(3),
    echoP99ms: +pct(lat, 99).toFixed(3),
  };
}

const name = `netdojo-bench-terminal-${process.pid}`;
const container = await docker.createContainer({
  Image: process.env.IMAGE ?? 'debian:bookworm-slim',
  name,
  Cmd: ['sleep', 'infinity'],
  Labels: { 'netdojo.bench': 'terminal' },
  HostConfig: { AutoRemove: false, NetworkMode: 'none' },
});
try {
  await container.start();
  const results = [];
  // warm up both paths once so lazy module loading is not counted as per-terminal memory
  for (let i = 0; i < 5; i++) {
    (await dockerodeTerm(container.id)).close();
    (await ptyTerm(container.id)).close();
  }
  results.push(await measure('dockerode exec (Tty, hijack)', dockerodeTerm, container.id));
  results.push(await measure('node-pty + docker exec -it', ptyTerm, container.id));
  console.log(JSON.stringify({ terminals: N, samples: SAMPLES, results }, null, 2));
} finally {
  await container.remove({ force: true });
  execFileSync('true');
}
process.exit(0);
