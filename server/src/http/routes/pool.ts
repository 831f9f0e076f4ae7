// GET/POST /api/pool: an operator (the instructor) reads the warm pool and announces a class before
// it starts, so that its learners find ready sandboxes. Guarded by the operator token the server
// was started with (NETDOJO_OPERATOR_TOKEN); without one, these routes answer 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { PoolAnnounceBody, PoolLabState, PoolState } from '../../protocol/http.js';
import { PoolError, type WarmPool } from '../../sessions/pool.js';
import { ServiceError, type SessionService } from '../../sessions/service.js';
import { hashToken, tokenMatches } from '../../sessions/tokens.js';
import { errors, json } from '../schemas.js';
import { bearer } from './sessions.js';

/** at most this far ahead may a class be announced */
export const MAX_ANNOUNCE_MS = 7 * 24 * 3_600_000;

/** throws 403 when the server has no operator token, 401 when the request does not carry it */
export function operatorGuard(operatorToken: string | undefined): (req: FastifyRequest) => void {
  const hash = operatorToken ? hashToken(operatorToken) : undefined;
  return (req) => {
    if (!hash) throw new ServiceError(403, 'operator_disabled', 'operator actions are off on this server: start it with NETDOJO_OPERATOR_TOKEN set');
    const token = bearer(req);
    if (!token) throw new ServiceError(401, 'unauthorized', 'this is an operator action: send the operator token (Authorization: Bearer <token>)');
    if (!tokenMatches(token, hash)) throw new ServiceError(401, 'unauthorized', 'the token is not the operator token');
  };
}

export function poolRoutes(app: FastifyInstance, pool: WarmPool, service: SessionService, operatorToken: string | undefined): void {
  const guard = operatorGuard(operatorToken);
  app.get(
    '/api/pool',
    {
      schema: {
        tags: ['operator'],
        summary: 'the warm pool: each pooled lab with the size aimed at now, its ready and warming sandboxes, and an announced class\'s end (operator token)',
        security: [{ bearer: [] }],
        response: { 200: json(PoolState), ...errors(401, 403) },
      },
    },
    async (req) => {
      guard(req);
      return { labs: pool.state() };
    },
  );
  app.post<{ Body: z.infer<typeof PoolAnnounceBody> }>(
    '/api/pool',
    {
      schema: {
        tags: ['operator'],
        summary:
          'announce a class (operator token): keep `size` ready sandboxes of `lab` until `until`, then go back to the configured size; size 0 ends the announcement. Refills run a few at a time and stop while the machine is short of memory',
        security: [{ bearer: [] }],
        body: json(PoolAnnounceBody),
        response: { 200: json(PoolLabState), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      guard(req);
      const { lab, size, until } = req.body;
      const end = Date.parse(until);
      const now = Date.now();
      if (size > 0 && end <= now) throw new ServiceError(400, 'bad_request', 'body.until is in the past');
      if (end - now > MAX_ANNOUNCE_MS) throw new ServiceError(400, 'bad_request', `body.until is more than ${MAX_ANNOUNCE_MS / 86_400_000} days ahead`);
      const max = service.config.maxSessions;
      if (size > max) throw new ServiceError(400, 'bad_request', `body.size ${size} is more than the server's --max-sessions (${max}): the class could not start anyway`);
      try {
        return pool.announce(lab, size, end);
      } catch (err) {
        if (err instanceof PoolError) throw new ServiceError(err.code === 'lab_not_found' ? 404 : 409, err.code, err.message);
        throw err;
      }
    },
  );
}
