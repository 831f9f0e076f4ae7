// Running many lab actions with few execs (fast-forward): consecutive actions on the same host and
// network namespace go into one exec, each still in its own `bash -c` with `set -e` and its own
// timeout, stopping at the first failure, so an action behaves as it does alone (runActions). A
// background action is started on its own. Per exec, Docker costs ~50-100 ms; a restart at the last
// step of a lab otherwise pays it for every action of every earlier step.
import type { Action, Lab } from '../labs/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import { firstLine, tail } from '../checks/util.js';
import { defaultHostOf } from '../checks/index.js';
import { runActions, type ActionResult, type ActionsResult } from './actions.js';

/** An action and what it belongs to, for the error of a failed fast-forward ("step x: solve"). */
export interface PlannedAction {
  action: Action;
  what: string;
}

export interface PlanResult extends ActionsResult {
  /** the failed action's `what` */
  failedWhat?: string;
}

const MARK = '__netdojo_failed';

/** The script of one batch: each action's text comes in the environment (NETDOJO_ACTION_<i>), not in argv. */
export function batchScript(timeouts: readonly number[]): string {
  return [
    '__nd_s=()',
    `for __i in ${timeouts.map((_, i) => i).join(' ')}; do __v=NETDOJO_ACTION_$__i; __nd_s+=("\${!__v}"); unset "$__v"; done`,
    `__nd_t=(${timeouts.join(' ')})`,
    'for __i in "${!__nd_s[@]}"; do',
    '  __t0=$(date +%s%N)',
    '  timeout -s KILL "${__nd_t[$__i]}s" bash -c "${__nd_s[$__i]}"',
    '  __c=$?',
    `  if [ "$__c" -ne 0 ]; then printf '\\n${MARK} %s %s %s\\n' "$__i" "$__c" "$(( ($(date +%s%N) - __t0) / 1000000 ))" >&2; exit "$__c"; fi`,
    'done',
  ].join('\n');
}

function commandOf(run: string): string {
  const lines = run.trim().split('\n');
  return `${lines[0] ?? ''}${lines.length > 1 ? ` … (+${lines.length - 1} lines)` : ''}`;
}

/** Runs the plan in order, batching what can be batched; stops at the first failure. */
export async function runPlan(plan: readonly PlannedAction[], sandbox: Sandbox, lab: Lab, signal?: AbortSignal): Promise<PlanResult> {
  const started = Date.now();
  const results: ActionResult[] = [];
  const hostOf = (a: Action) => a.host ?? defaultHostOf(lab, sandbox);
  for (let i = 0; i < plan.length; ) {
    if (signal?.aborted) return { ok: false, durationMs: Date.now() - started, actions: results, error: 'interrupted' };
    const first = plan[i]!;
    let j = i + 1;
    if (!first.action.background) {
      while (j < plan.length && !plan[j]!.action.background && hostOf(plan[j]!.action) === hostOf(first.action) && plan[j]!.action.netns === first.action.netns) j++;
    }
    const batch = plan.slice(i, j);
    if (batch.length === 1) {
      const r = await runActions([first.action], sandbox, lab, signal);
      results.push(...r.actions);
      if (!r.ok) return { ok: false, durationMs: Date.now() - started, actions: results, error: r.error, failedWhat: first.what };
    } else {
      const failed = await runBatch(batch, hostOf(first.action), sandbox, results);
      if (failed) return { ok: false, durationMs: Date.now() - started, actions: results, error: failed.error, failedWhat: failed.what };
    }
    i = j;
  }
  return { ok: true, durationMs: Date.now() - started, actions: results };
}

async function runBatch(batch: readonly PlannedAction[], host: string, sandbox: Sandbox, results: ActionResult[]): Promise<{ error: string; what: string } | undefined> {
  const netns = batch[0]!.action.netns;
  const where = netns ? `${host} (netns ${netns})` : host;
  const timeouts = batch.map((p) => p.action.timeout);
  const env = Object.fromEntries(batch.map((p, i) => [`NETDOJO_ACTION_${i}`, `set -e\n${p.action.run}`]));
  const t0 = Date.now();
  let res;
  try {
    res = await sandbox.exec(host, batchScript(timeouts), { netns, env, timeoutMs: (timeouts.reduce((a, b) => a + b, 0) + batch.length) * 1000 });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const p = batch[0]!;
    results.push({ host, netns, command: commandOf(p.action.run), exitCode: -1, timedOut: false, stdout: '', stderr: why, durationMs: Date.now() - t0 });
    return { error: `\`${commandOf(p.action.run)}\` on ${host}: ${why}`, what: p.what };
  }
  const m = new RegExp(`\\n?${MARK} (\\d+) (\\d+) (\\d+)\\n?`).exec(res.stderr);
  const stderr = m ? res.stderr.replace(m[0], '') : res.stderr;
  const failedAt = m ? Number(m[1]) : res.exitCode !== 0 || res.timedOut ? batch.length - 1 : -1;
  batch.forEach((p, i) => {
    if (failedAt >= 0 && i > failedAt) return;
    const failing = i === failedAt;
    results.push({
      host,
      netns,
      command: commandOf(p.action.run),
      exitCode: failing ? (m ? Number(m[2]) : res.exitCode) : 0,
      timedOut: failing && (res.timedOut || (m !== null && Number(m[2]) === 137 && Number(m[3]) >= p.action.timeout * 1000 - 50)),
      // one exec's output is not split per action: the batch's last lines go with its last action
      stdout: i === (failedAt >= 0 ? failedAt : batch.length - 1) ? tail(res.stdout, 20, 300) : '',
      stderr: i === (failedAt >= 0 ? failedAt : batch.length - 1) ? tail(stderr, 20, 300) : '',
      durationMs: i === batch.length - 1 || failing ? res.durationMs : 0,
    });
  });
  if (failedAt < 0) return undefined;
  const r = results.at(-1)!;
  const p = batch[failedAt]!;
  const why = r.timedOut ? `timed out after ${p.action.timeout} s` : `exit ${r.exitCode}${firstLine(stderr) ? `: ${tail(stderr, 1)}` : ''}`;
  return { error: `\`${r.command}\` on ${where}: ${why}`, what: p.what };
}
