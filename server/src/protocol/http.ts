// The HTTP API's bodies (docs/dev/API.md), one definition for both sides: the server derives its
// route schemas from these (fastify validates and serializes with them, /docs shows them), and the
// web client imports the inferred types (type-only, so the browser bundle carries no zod).
import { z } from 'zod';
import { LOCALES } from '../labs/schema.js';

export const Id = z.string().min(1).max(64).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
export const Locale = z.enum(LOCALES);
export type Locale = z.infer<typeof Locale>;
/** lab text as the catalog returns it: a plain string or a map of locales (`en` is the fallback) */
export const Text = z.union([z.string(), z.object({ en: z.string(), ko: z.string().optional() })]);
export type Text = z.infer<typeof Text>;
/** a hint as the lab declares it: one text or a list of levels (the idea → where to look → the command) */
export const Hint = z.union([Text, z.array(Text)]);
export type Hint = z.infer<typeof Hint>;

export const ErrorBody = z.object({ error: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

const LabCommon = {
  id: z.string(),
  track: z.string(),
  title: Text,
  description: Text.optional(),
  level: z.string(),
  minutes: z.number(),
  requires: z.array(z.string()),
  hosts: z.array(z.string()),
  provider: z.string(),
  available: z.boolean(),
  unavailableReason: z.string().optional(),
};
export const LabSummary = z.object(LabCommon);
export type LabSummary = z.infer<typeof LabSummary>;

export const StepInfo = z.object({
  id: z.string(),
  title: Text,
  text: Text,
  hint: Hint.optional(),
  checks: z.array(z.object({ id: z.string(), title: Text.optional(), hint: Hint.optional() })),
});
export type StepInfo = z.infer<typeof StepInfo>;

export const LabDetail = z.object({ ...LabCommon, steps: z.array(StepInfo) });
export type LabDetail = z.infer<typeof LabDetail>;

export const CreateSessionBody = z.strictObject({ lab: Id, locale: Locale.optional() });
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;
/** the check's texts come back in this locale (default: the session's) */
export const CheckBody = z.strictObject({ locale: Locale.optional() }).nullable();
export type CheckBody = z.infer<typeof CheckBody>;

/**
 * `completed`: steps done in this sandbox. `redo`: steps completed once but reopened by a restart at
 * an earlier step (their state is not in the new sandbox): to do again; restarting at a step after
 * them stays possible. The history keeps the record of every passing check.
 */
export const Progress = z.object({ currentStep: z.string().nullable(), completed: z.array(z.string()), redo: z.array(z.string()) });
export type Progress = z.infer<typeof Progress>;

export const CreatedSession = z.object({ id: z.string(), token: z.string(), lab: z.string(), hosts: z.array(z.string()), expiresAt: z.string() });
export type CreatedSession = z.infer<typeof CreatedSession>;

/** a fault drawn for a session: what the learner observes, and the checks that pass once it is repaired */
export const DrawnFault = z.object({
  id: z.string(),
  symptom: Text,
  checks: z.array(z.object({ id: z.string(), title: Text.optional(), hint: Hint.optional() })),
});
export type DrawnFault = z.infer<typeof DrawnFault>;

export const SessionStatus = z.enum(['starting', 'ready', 'failed', 'ended']);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const SessionInfo = z.object({
  id: z.string(),
  lab: z.string(),
  hosts: z.array(z.string()),
  status: SessionStatus,
  expiresAt: z.string(),
  idleExpiresAt: z.string(),
  /** why an ended or failed session ended ("expired", "idle", "ended by the learner", …) */
  endReason: z.string().optional(),
  progress: Progress,
  history: z.array(z.object({ step: z.string(), at: z.string(), pass: z.boolean() })),
  /** troubleshooting labs: per step id, the faults this session drew — their symptoms and checks, never their cause */
  faults: z.record(z.string(), z.array(DrawnFault)).optional(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** one check's outcome; `title` and `hint` are already in the requested locale */
export const CheckResult = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  pass: z.boolean(),
  expected: z.string(),
  actual: z.string(),
  message: z.string(),
  /** the hint's first level */
  hint: z.string().optional(),
  /** every level of the hint, revealed one at a time by the UI */
  hints: z.array(z.string()).optional(),
  durationMs: z.number(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const CheckResponse = z.object({ step: z.string(), pass: z.boolean(), results: z.array(CheckResult), progress: Progress });
export type CheckResponse = z.infer<typeof CheckResponse>;

/** POST …/solve takes no body */
export const SolveResponse = z.object({ step: z.string(), ok: z.boolean(), output: z.string(), progress: Progress });
export type SolveResponse = z.infer<typeof SolveResponse>;

/**
 * POST …/restart takes no body. The session continues under `id` (its new sandbox's id; the token
 * is unchanged): open the terminals again with it.
 */
export const RestartResponse = z.object({ id: z.string(), step: z.string(), hosts: z.array(z.string()), expiresAt: z.string(), progress: Progress });
export type RestartResponse = z.infer<typeof RestartResponse>;

/**
 * POST …/restart/prepare takes no body: the restart menu is open. `preparing`: a sandbox is brought to
 * the step meanwhile for this session (kept 2 minutes), or — past the server's limit of those — the
 * warm pool makes one more of the lab; false when neither can be done.
 */
export const RestartPrepareResponse = z.object({ preparing: z.boolean() });
export type RestartPrepareResponse = z.infer<typeof RestartPrepareResponse>;

/**
 * POST /api/pool (operator): an instructor announces a class before it starts — keep `size` ready
 * sandboxes of `lab` until `until` (ISO 8601), then back to the server's configured size. Size 0
 * ends an announcement.
 */
export const PoolAnnounceBody = z.strictObject({ lab: Id, size: z.number().int().min(0).max(1000), until: z.iso.datetime({ offset: true }) });
export type PoolAnnounceBody = z.infer<typeof PoolAnnounceBody>;

/** one pooled lab: the size aimed at now, its ready and warming sandboxes, and the announced class's end */
export const PoolLabState = z.object({ lab: z.string(), size: z.number(), ready: z.number(), warming: z.number(), until: z.string().optional() });
export type PoolLabState = z.infer<typeof PoolLabState>;

export const PoolState = z.object({ labs: z.array(PoolLabState) });
export type PoolState = z.infer<typeof PoolState>;

export const Health = z.object({
  ok: z.boolean(),
  docker: z.boolean(),
  userns: z.boolean(),
  sessions: z.number(),
  terminals: z.number(),
  /** where typed checks run: out-of-band (from outside the sandbox) or in-band, and why */
  checks: z.object({ mode: z.enum(['out-of-band', 'in-band']), reason: z.string() }).optional(),
  /** false: the engine cannot limit a sandbox's disk (e.g. overlay2 on ext4); usage is then only watched */
  diskQuota: z.boolean().optional(),
});
export type Health = z.infer<typeof Health>;
