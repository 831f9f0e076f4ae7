// Structured check results: what a learner sees after pressing Check.
import type { Check, CheckKind } from '../labs/schema.js';
import type { OutOfBand } from '../probe/outofband.js';
import type { Sandbox } from '../sandbox/types.js';

export interface CheckOutcome {
  pass: boolean;
  /** what the check looks for, in words ("a route to 10.0.2.0/24 via 10.0.1.1") */
  expected: string;
  /** what it found ("no route to 10.0.2.0/24; the table has: …") */
  actual: string;
  /** one line for the learner */
  message: string;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  kind: CheckKind;
  title: string;
  /** the first level of the hint */
  hint?: string;
  /** every level of the hint, to be revealed one at a time (the idea → where to look → the command) */
  hints?: string[];
  durationMs: number;
  /** where the probe ran: with the server's own tools from outside, or inside the sandbox */
  via?: ProbeVia;
}

export type ProbeVia = 'out-of-band' | 'in-band';

export interface CheckContext {
  sandbox: Sandbox;
  /** host used when the check names none: the lab's first host */
  defaultHost: string;
  signal?: AbortSignal;
  /**
   * Out-of-band probes of this sandbox (typed checks read kernel state from outside with the
   * server's tools); null: every check runs in-band; undefined: decided on first use.
   */
  oob?: OutOfBand | null;
}

/** One module per kind implements this; `spec` is that kind's validated options. */
export type Checker<Spec> = (spec: Spec, ctx: CheckContext) => Promise<CheckOutcome>;

export type { Check, CheckKind };
