// POST /api/sessions/:id/steps/:step/restart: a fresh sandbox fast-forwarded to the start of an
// unlocked step replaces the session's sandbox (progress kept; the session continues under a new id).
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { RestartResponse } from '../../protocol/http.js';
import type { SessionService } from '../../sessions/service.js';
import { errors, json, StepParams } from '../schemas.js';
import { bearer } from './sessions.js';

export function restartRoute(app: FastifyInstance, service: SessionService): void {
  app.post<{ Params: z.infer<typeof StepParams> }>(
    '/api/sessions/:id/steps/:step/restart',
    {
      schema: {
        tags: ['sessions'],
        summary:
          'replace the sandbox with a fresh one at the start of this step (lab setup, then setup and solve of the steps before it); progress is kept, the session continues under the returned id with the same token, and on failure the old sandbox stays',
        security: [{ bearer: [] }],
        params: json(StepParams),
        response: { 200: json(RestartResponse), ...errors(400, 401, 404, 409, 410, 500) },
      },
    },
    async (req) => {
      const row = service.authorize(req.params.id, bearer(req));
      service.touch(row.id);
      return service.restart(row, req.params.step);
    },
  );
}
