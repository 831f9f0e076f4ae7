// POST /api/sessions/:id/steps/:step/restart: a fresh sandbox fast-forwarded to the start of an
// unlocked step replaces the session's sandbox (the session continues under a new id); and
// …/restart/prepare, called when the restart confirmation opens, so that one is prepared meanwhile.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { RestartPrepareResponse, RestartResponse } from '../../protocol/http.js';
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
  app.post<{ Params: z.infer<typeof StepParams> }>(
    '/api/sessions/:id/steps/:step/restart/prepare',
    {
      schema: {
        tags: ['sessions'],
        summary:
          'the restart menu of this step is open: a sandbox is brought to the step meanwhile (kept 2 minutes), so that the restart, once confirmed, only swaps it in',
        security: [{ bearer: [] }],
        params: json(StepParams),
        response: { 202: json(RestartPrepareResponse), ...errors(400, 401, 404, 409, 410) },
      },
    },
    async (req, reply) => {
      const row = service.authorize(req.params.id, bearer(req));
      service.touch(row.id);
      return reply.code(202).send(service.prepareRestart(row, req.params.step));
    },
  );
}
