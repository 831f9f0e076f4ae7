// Route schemas: JSON Schema (draft-07) derived from the protocol's zod types, for fastify's
// validator, its serializer and the OpenAPI document at /docs.
import { z } from 'zod';
import { ErrorBody, Id } from '../protocol/http.js';
import { SESSION_ID_PATTERN } from '../sessions/tokens.js';

export function json(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

// the bodies are the wire protocol's (server/src/protocol/), shared with the web client
export { CheckBody, CheckResponse, CreatedSession, CreateSessionBody, ErrorBody, Health, LabDetail, LabSummary, SessionInfo as SessionBody, SolveResponse, Text } from '../protocol/http.js';

export const LabParams = z.object({ id: Id });
export const SessionParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)) });
export const StepParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)), step: Id });
export const TerminalParams = z.object({ id: z.string().regex(new RegExp(SESSION_ID_PATTERN)), host: z.string().min(1).max(31).regex(/^[a-z][a-z0-9-]*$/) });

/** the standard error responses of a route, for the OpenAPI document */
export function errors(...codes: number[]): Record<number, Record<string, unknown>> {
  const out: Record<number, Record<string, unknown>> = {};
  for (const c of codes) out[c] = json(ErrorBody);
  return out;
}
