import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Locale } from '../../labs/schema.js';
import type { SessionService } from '../../sessions/service.js';
import { clientKey } from '../client.js';
import { CheckBody, CheckResponse, CreatedSession, CreateSessionBody, errors, json, SessionBody, SessionParams, SolveResponse, StepParams } from '../schemas.js';
import type { z } from 'zod';

const security = [{ bearer: [] }];

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export function sessionRoutes(app: FastifyInstance, service: SessionService): void {
  const authed = (req: FastifyRequest<{ Params: { id: string } }>) => {
    const row = service.authorize(req.params.id, bearer(req));
    service.touch(row.id);
    return row;
  };

  app.post<{ Body: z.infer<typeof CreateSessionBody> }>(
    '/api/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: "start a session: creates the lab's sandbox and returns the token that opens it",
        body: json(CreateSessionBody),
        response: { 201: json(CreatedSession), ...errors(400, 404, 429, 500, 503) },
      },
    },
    async (req, reply) => {
      const { row, token } = await service.create(req.body.lab, (req.body.locale ?? 'en') as Locale, clientKey(req.ip));
      reply.code(201);
      return { id: row.id, token, lab: row.labId, hosts: row.hosts, expiresAt: new Date(row.expiresAt).toISOString() };
    },
  );

  app.get<{ Params: z.infer<typeof SessionParams> }>(
    '/api/sessions/:id',
    { schema: { tags: ['sessions'], summary: 'state, progress and check history', security, params: json(SessionParams), response: { 200: json(SessionBody), ...errors(400, 401, 404) } } },
    async (req) => service.view(authed(req)),
  );

  app.delete<{ Params: z.infer<typeof SessionParams> }>(
    '/api/sessions/:id',
    { schema: { tags: ['sessions'], summary: 'end the session and remove its sandbox', security, params: json(SessionParams), response: { 204: { type: 'null' }, ...errors(400, 401, 404) } } },
    async (req, reply) => {
      const row = authed(req);
      await service.end(row.id, 'ended by the learner');
      reply.code(204).send();
    },
  );

  app.post<{ Params: z.infer<typeof StepParams>; Body: z.infer<typeof CheckBody> }>(
    '/api/sessions/:id/steps/:step/check',
    {
      schema: {
        tags: ['sessions'],
        summary: "run the step's checks on the live sandbox",
        security,
        params: json(StepParams),
        body: json(CheckBody),
        response: { 200: json(CheckResponse), ...errors(400, 401, 404, 409, 410) },
      },
    },
    async (req) => {
      const row = authed(req);
      return service.check(row, req.params.step, (req.body?.locale ?? row.locale) as Locale);
    },
  );

  app.post<{ Params: z.infer<typeof StepParams> }>(
    '/api/sessions/:id/steps/:step/solve',
    {
      schema: {
        tags: ['sessions'],
        summary: "run the step's reference solution in the sandbox",
        security,
        params: json(StepParams),
        response: { 200: json(SolveResponse), ...errors(400, 401, 404, 409, 410) },
      },
    },
    async (req) => service.solve(authed(req), req.params.step),
  );
}
