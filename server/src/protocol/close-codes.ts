// WebSocket close codes of the terminal protocol. Plain constants (no zod) so that the web client
// can import them as values.
export const TerminalClose = {
  /** the page closed the terminal */
  normal: 1000,
  /** the session ended while the shell was starting */
  goingAway: 1001,
  /** a protocol violation: malformed, oversized or unexpected frame */
  protocol: 1008,
  /** the server could not open the shell */
  internal: 1011,
  /** no (or a wrong) token */
  unauthorized: 4401,
  /** no such session or host */
  notFound: 4404,
  /** the session is not ready (still starting, or busy) */
  conflict: 4409,
  /** the session has ended */
  gone: 4410,
  /** too many terminals */
  tooMany: 4429,
} as const;
export type TerminalCloseCode = (typeof TerminalClose)[keyof typeof TerminalClose];

/** closes after which reconnecting cannot help */
export const FATAL_CLOSE_CODES: readonly number[] = [TerminalClose.unauthorized, TerminalClose.notFound, TerminalClose.gone];
