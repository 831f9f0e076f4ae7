// Noticing dead sandboxes: Docker's event stream (die, oom, destroy) for the containers of one
// scope, and a sweep that lists them (events are lost while the stream reconnects or the engine
// restarts). A learner can kill a host's PID 1 or exhaust its memory; an operator can remove it.
import type { Readable } from 'node:stream';
import { docker } from './client.js';
import { LABEL } from './names.js';

export interface SandboxStopped {
  sessionId: string;
  host: string;
  /** words for the learner: "host learner was killed (exit 137)" */
  reason: string;
}

export function describeExit(host: string, exitCode: number | undefined, oomKilled: boolean): string {
  if (oomKilled) return `host ${host} ran out of memory (exit ${exitCode ?? 137})`;
  if (exitCode === 137) return `host ${host} was killed (exit 137)`;
  if (exitCode === 143) return `host ${host} was terminated (exit 143)`;
  return `host ${host} exited (exit ${exitCode ?? 'unknown'})`;
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Follows the engine's container events of `scope`; reconnects until stopped. */
export function watchContainers(scope: string, onStopped: (e: SandboxStopped) => void, onError: (err: Error) => void = () => {}): { stop(): void } {
  let stopped = false;
  let current: Readable | undefined;
  let retry: NodeJS.Timeout | undefined;
  const oom = new Set<string>();
  const connect = async () => {
    try {
      const stream = (await docker().getEvents({
        filters: { type: ['container'], event: ['die', 'oom', 'destroy'], label: [`${LABEL.scope}=${scope}`, LABEL.session] },
      })) as unknown as Readable;
      if (stopped) return stream.destroy();
      current = stream;
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) handle(JSON.parse(line) as DockerEvent);
        }
        if (buf.length > 1 << 20) buf = ''; // never a real event
      });
      stream.once('close', again);
      stream.once('error', (err) => onError(err));
    } catch (err) {
      onError(err as Error);
      again();
    }
  };
  const again = () => {
    current = undefined;
    if (!stopped && !retry) retry = setTimeout(() => ((retry = undefined), void connect()), 1_000);
  };
  const handle = (e: DockerEvent) => {
    const action = e.Action ?? e.status;
    const attrs = e.Actor?.Attributes ?? {};
    const sessionId = attrs[LABEL.session];
    const host = attrs[LABEL.host] ?? 'unknown';
    const id = e.Actor?.ID ?? '';
    if (!sessionId) return;
    if (action === 'oom') {
      oom.add(id);
      return;
    }
    if (action === 'die') {
      const code = attrs.exitCode === undefined ? undefined : Number(attrs.exitCode);
      onStopped({ sessionId, host, reason: describeExit(host, code, oom.delete(id)) });
    } else if (action === 'destroy') {
      oom.delete(id);
      onStopped({ sessionId, host, reason: `host ${host} was removed` });
    }
  };
  void connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      current?.destroy();
    },
  };
}

/** Sessions of `scope` with a host container that is not running (`sessions`: the ones to look at). */
export async function stoppedSandboxes(scope: string, sessions: Map<string, string[]>): Promise<SandboxStopped[]> {
  if (sessions.size === 0) return [];
  const cs = await docker().listContainers({ all: true, filters: { label: [`${LABEL.scope}=${scope}`, LABEL.session] } });
  const found = new Map<string, Map<string, (typeof cs)[number]>>();
  for (const c of cs) {
    const s = c.Labels[LABEL.session]!;
    if (!found.has(s)) found.set(s, new Map());
    found.get(s)!.set(c.Labels[LABEL.host] ?? '', c);
  }
  const out: SandboxStopped[] = [];
  for (const [sessionId, hosts] of sessions) {
    for (const host of hosts) {
      const c = found.get(sessionId)?.get(host);
      if (!c) out.push({ sessionId, host, reason: `host ${host} is gone` });
      else if (c.State !== 'running') {
        const info = await docker().getContainer(c.Id).inspect().catch(() => undefined);
        out.push({ sessionId, host, reason: describeExit(host, info?.State.ExitCode, info?.State.OOMKilled ?? false) });
      } else continue;
      break;
    }
  }
  return out;
}
