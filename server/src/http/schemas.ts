// Request/response schemas: zod for the types, JSON Schema (draft-07) for fastify's validator,
// its serializer and the OpenAPI document at /docs.
import { z } from 'zod';
import { LOCALES } from '../labs/schema.js';
import { SESSION_ID_PATTERN } from '../sessions/tokens.js';

export function json(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const Id = z.string().min(1).max(64).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
export const Text = z.union([z.string(), z.object({ en: z.string(), ko: z.string().optional() })]);
const Locale = z.enum(LOCALES);

export const LabParams = z.object({ id: Id });
export const SessionParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)) });
export const StepParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)), step: Id });
export const TerminalParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)), host: z.string().min(1).max(31).regex(/^[a-z][a-z0-9-]*$/) });

export const ErrorBody = z.object({ error: z.string(), message: z.string() });

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
export const LabDetail = z.object({
  ...LabCommon,
  steps: z.array(
    z.object({
      id: z.string(),
      title: Text,
      text: Text,
      hint: Text.optional(),
      checks: z.array(z.object({ id: z.string(), title: Text.optional() })),
    }),
  ),
});

export const CreateSessionBody = z.strictObject({ lab: Id, locale: Locale.optional() });
export const CheckBody = z.strictObject({ locale: Locale.optional() }).nullable();

const Progress = z.object({ currentStep: z.string().nullable(), completed: z.array(z.string()) });
export const CreatedSession = z.object({ id: z.string(), token: z.string(), lab: z.string(), hosts: z.array(z.string()), expiresAt: z.string() });
export const SessionBody = z.object({
  id: z.string(),
  lab: z.string(),
  hosts: z.array(z.string()),
  status: z.enum(['starting', 'ready', 'failed', 'ended']),
  expiresAt: z.string(),
  idleExpiresAt: z.string(),
  endReason: z.string().optional(),
  progress: Progress,
  history: z.array(z.object({ step: z.string(), at: z.string(), pass: z.boolean() })),
});
export const CheckResponse = z.object({
  step: z.string(),
  pass: z.boolean(),
  results: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string(),
      pass: z.boolean(),
      expected: z.string(),
      actual: z.string(),
      message: z.string(),
      hint: z.string().optional(),
      durationMs: z.number(),
    }),
  ),
  progress: Progress,
});
export const SolveResponse = z.object({ step: z.string(), ok: z.boolean(), output: z.string(), progress: Progress });
export const Health = z.object({ ok: z.boolean(), docker: z.boolean(), userns: z.boolean(), sessions: z.number(), terminals: z.number() });

/** the standard error responses of a route, for the OpenAPI document */
export function errors(...codes: number[]): Record<number, Record<string, unknown>> {
  const out: Record<number, Record<string, unknown>> = {};
  for (const c of codes) out[c] = json(ErrorBody);
  return out;
}
