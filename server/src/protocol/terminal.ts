// The terminal WebSocket's messages (docs/dev/API.md), both directions. Binary frames carry raw
// terminal bytes (input one way, output the other); text frames carry these JSON messages.
import { z } from 'zod';

export const TerminalSize = { cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) };

/** client → server, the first message: the token never travels in the URL (which lands in logs) */
export const AuthMessage = z.strictObject({
  type: z.literal('auth'),
  token: z.string().min(1).max(256),
  cols: TerminalSize.cols.optional(),
  rows: TerminalSize.rows.optional(),
  /** the byte offset the client has received up to (null or absent: a fresh screen) */
  resumeFrom: z.number().int().min(0).nullable().optional(),
  /** several shells per host; default "main" */
  terminal: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).optional(),
});
export type AuthMessage = z.infer<typeof AuthMessage>;

export const ResizeMessage = z.strictObject({ type: z.literal('resize'), ...TerminalSize });
export type ResizeMessage = z.infer<typeof ResizeMessage>;
/** the client has rendered output up to this byte offset (flow control) */
export const AckMessage = z.strictObject({ type: z.literal('ack'), offset: z.number().int().min(0) });
export type AckMessage = z.infer<typeof AckMessage>;

/** client → server after auth */
export const ClientControl = z.discriminatedUnion('type', [ResizeMessage, AckMessage]);
export type ClientControl = z.infer<typeof ClientControl>;
export type ClientMessage = AuthMessage | ClientControl;

/** server → client: the shell is attached; output continues at `offset` */
export const ReadyMessage = z.strictObject({
  type: z.literal('ready'),
  offset: z.number().int().min(0),
  /** "new": a new shell whose offsets start over; "resumed": the same shell as before */
  shell: z.enum(['new', 'resumed']),
});
export type ReadyMessage = z.infer<typeof ReadyMessage>;
/** server → client: the shell exited (code unknown: null) */
export const ExitMessage = z.strictObject({ type: z.literal('exit'), code: z.number().int().nullable() });
export type ExitMessage = z.infer<typeof ExitMessage>;
/** server → client: why the socket is about to close */
export const ErrorMessage = z.strictObject({ type: z.literal('error'), message: z.string() });
export type ErrorMessage = z.infer<typeof ErrorMessage>;

export const ServerControl = z.discriminatedUnion('type', [ReadyMessage, ExitMessage, ErrorMessage]);
export type ServerControl = z.infer<typeof ServerControl>;

/** "path: reason" of a failed parse, for the close reason */
export function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `${i.path.length ? i.path.join('.') : 'message'}: ${i.message}` : 'invalid message';
}

export type Parsed<T> = { ok: true; message: T } | { ok: false; json: boolean; reason: string };

/** parses a text frame as one of `schema`'s messages */
export function parseFrame<T>(schema: z.ZodType<T>, text: string): Parsed<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, json: false, reason: 'not JSON' };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, message: parsed.data } : { ok: false, json: true, reason: firstIssue(parsed.error) };
}
