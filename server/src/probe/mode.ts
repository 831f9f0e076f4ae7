// Can this server probe sandboxes out-of-band? It must be root in the host's initial pid namespace
// (to see the containers' pids and enter their namespaces) and have its own tools. Probed once,
// re-probed after a TTL; the answer is logged loudly when it is "no" and shown in /api/health.
import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { runHost } from './spawn.js';
import { findTools, TOOLS, type Tool, type ToolPaths } from './tools.js';

export type ChecksMode = 'out-of-band' | 'in-band';

export interface ProbeMode {
  mode: ChecksMode;
  /** why checks run in-band, or what is degraded ("" when all is well) */
  reason: string;
  tools: ToolPaths;
  /** optional tools that are missing: their kinds run in-band */
  missing: Tool[];
}

/** The kernel's fixed inode of the initial pid namespace (PROC_PID_INIT_INO). */
const INITIAL_PID_NS = 'pid:[4026531836]';
const TTL_MS = 60_000;
const REQUIRED: Tool[] = ['nsenter', 'bash', 'ip', 'cat'];

let cached: { at: number; value: Promise<ProbeMode> } | undefined;
let warn: (message: string) => void = (m) => process.stderr.write(`netdojo: WARNING: ${m}\n`);
let lastWarned = '';

/** Where the loud "checks run in-band" warning goes (the server passes its logger). */
export function setProbeModeWarn(fn: (message: string) => void): void {
  warn = fn;
}

async function detect(): Promise<ProbeMode> {
  const forced = process.env.NETDOJO_CHECKS;
  const tools = await findTools();
  const missing = (Object.keys(TOOLS) as Tool[]).filter((t) => !tools[t]);
  const inBand = (reason: string): ProbeMode => ({ mode: 'in-band', reason, tools, missing });
  if (forced === 'in-band') return inBand('NETDOJO_CHECKS=in-band');
  if (process.platform !== 'linux') return inBand(`not Linux (${process.platform})`);
  if (process.getuid?.() !== 0) return inBand('the server is not root: it cannot enter the sandboxes\' namespaces');
  const pidns = await readlink('/proc/self/ns/pid').catch(() => '');
  if (pidns !== INITIAL_PID_NS) return inBand(`the server is not in the host's pid namespace (${pidns || 'unknown'}): run it with pid: host`);
  const req = REQUIRED.filter((t) => !tools[t]);
  if (req.length) return inBand(`missing ${req.map((t) => `${t} (${TOOLS[t]})`).join(', ')}`);
  // prove that entering a netns by fd works here (CAP_SYS_ADMIN, no seccomp filter in the way)
  const own = await open('/proc/self/ns/net', constants.O_RDONLY);
  try {
    const r = await runHost([tools.ip!, '-j', 'link', 'show', 'lo'], { netnsFd: own.fd, nsenter: tools.nsenter, timeoutMs: 10_000 });
    if (r.exitCode !== 0) return inBand(`nsenter into a network namespace failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.exitCode}`}`);
  } finally {
    await own.close();
  }
  const degraded = missing.length ? `missing ${missing.map((t) => `${t} (${TOOLS[t]})`).join(', ')}: the kinds that need them run in-band` : '';
  return { mode: 'out-of-band', reason: degraded, tools, missing };
}

/** The current mode (cached for a minute). Logs loudly whenever checks cannot run out-of-band. */
export function probeMode(): Promise<ProbeMode> {
  const now = Date.now();
  if (!cached || now - cached.at > TTL_MS) {
    const value = detect().then((m) => {
      const note = m.mode === 'in-band' ? `typed checks run IN-BAND, with the sandbox's own tools (a learner can fool them): ${m.reason}` : m.reason;
      if (note && note !== lastWarned) warn(note);
      lastWarned = note;
      return m;
    });
    cached = { at: now, value };
  }
  return cached.value;
}

/** For /api/health: the last known mode without waiting (undefined before the first probe). */
export async function checksStatus(): Promise<{ mode: ChecksMode; reason: string }> {
  const m = await probeMode();
  return { mode: m.mode, reason: m.reason };
}

/** Tests: forget the cached answer. */
export function resetProbeMode(): void {
  cached = undefined;
}
