// Session ids and tokens. Tokens are 256 random bits, stored only as sha256, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_ID_PATTERN = '^[a-f0-9]{24}$';
const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);

export const newSessionId = (): string => randomBytes(12).toString('hex');
export const newToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
export const isSessionId = (id: string): boolean => SESSION_ID_RE.test(id);

/** constant time in the token's content: both sides are fixed-length digests */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
