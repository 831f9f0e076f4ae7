// Runs a list of lab actions (setup / solve) in order, stopping at the first failure.
import type { Action, Lab } from '../labs/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import { firstLine, tail } from '../checks/util.js';
import { defaultHostOf } from '../checks/index.js';

export interface ActionResult {
  host: string;
  netns?: string;
  /** first line of the command, for reports */
  command: string;
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ActionsResult {
  ok: boolean;
  durationMs: number;
  actions: ActionResult[];
  /** one line: which action failed and why */
  error?: string;
}

function commandOf(run: string): string {
  const lines = run.trim().split('\n');
  return `${lines[0] ?? ''}${lines.length > 1 ? ` … (+${lines.length - 1} lines)` : ''}`;
}

export async function runActions(actions: Action[], sandbox: Sandbox, lab: Lab, signal?: AbortSignal): Promise<ActionsResult> {
  const started = Date.now();
  const results: ActionResult[] = [];
  for (const action of actions) {
    if (signal?.aborted) return { ok: false, durationMs: Date.now() - started, actions: results, error: 'interrupted' };
    const host = action.host ?? defaultHostOf(lab, sandbox);
    const t0 = Date.now();
    let res;
    try {
      // the format promises `bash -e` semantics: the first failing command fails the action
      res = await sandbox.exec(host, `set -e\n${action.run}`, {
        netns: action.netns,
        background: action.background,
        timeoutMs: action.timeout * 1000,
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      results.push({ host, netns: action.netns, command: commandOf(action.run), exitCode: -1, timedOut: false, stdout: '', stderr: why, durationMs: Date.now() - t0 });
      return { ok: false, durationMs: Date.now() - started, actions: results, error: `\`${commandOf(action.run)}\` on ${host}: ${why}` };
    }
    const r: ActionResult = {
      host,
      netns: action.netns,
      command: commandOf(action.run),
      exitCode: res.exitCode,
      timedOut: res.timedOut,
      stdout: tail(res.stdout, 20, 300),
      stderr: tail(res.stderr, 20, 300),
      durationMs: res.durationMs,
    };
    results.push(r);
    if (res.timedOut || res.exitCode !== 0) {
      const where = action.netns ? `${host} (netns ${action.netns})` : host;
      const why = res.timedOut ? `timed out after ${action.timeout} s` : `exit ${res.exitCode}${firstLine(res.stderr) ? `: ${tail(res.stderr, 1)}` : ''}`;
      return { ok: false, durationMs: Date.now() - started, actions: results, error: `\`${r.command}\` on ${where}: ${why}` };
    }
  }
  return { ok: true, durationMs: Date.now() - started, actions: results };
}
