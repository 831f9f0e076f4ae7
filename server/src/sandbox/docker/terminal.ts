// Interactive login shells with a TTY (dockerode exec with Tty + hijack).
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { TerminalSize, TerminalStream } from '../types.js';
import { runArgv } from './exec.js';

// Docker swallows its detach keys (ctrl-p,ctrl-q by default) from exec input; pick a sequence no
// shell user types so that Ctrl-P (previous history line) reaches bash.
const DETACH_KEYS = 'ctrl-^,ctrl-@';

export async function openTerminal(container: Docker.Container, size: TerminalSize, env: Record<string, string> = {}): Promise<TerminalStream> {
  const id = randomBytes(6).toString('hex');
  const pidfile = `/run/netdojo-term-${id}.pid`;
  // Closing the socket does not end an exec'd process: record the shell's pid so close() can kill it.
  const exec = await container.exec({
    Cmd: ['bash', '-c', `echo $$ > ${pidfile}; exec bash -l`],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    DetachKeys: DETACH_KEYS,
    WorkingDir: '/root',
    Env: Object.entries({ TERM: 'xterm-256color', LANG: 'C.UTF-8', COLUMNS: `${size.cols}`, LINES: `${size.rows}`, ...env }).map(([k, v]) => `${k}=${v}`),
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as unknown as Duplex;

  const resize = async ({ cols, rows }: TerminalSize) => {
    // the exec may not have a process yet right after start: retry briefly
    for (let attempt = 0; ; attempt++) {
      try {
        await exec.resize({ h: rows, w: cols });
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  };
  await resize(size).catch(() => {});

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // HUP ends an interactive bash (and its jobs); KILL if it lingers
    const script = `p=$(cat ${pidfile} 2>/dev/null) || exit 0
kill -HUP "$p" 2>/dev/null
for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$p" 2>/dev/null
rm -f ${pidfile}
exit 0`;
    try {
      await runArgv(container, ['bash', '-c', script]);
    } finally {
      stream.destroy();
    }
  };
  return { stream, resize, close };
}
