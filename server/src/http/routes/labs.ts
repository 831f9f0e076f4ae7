import type { FastifyInstance } from 'fastify';
import type { Catalog, CatalogEntry } from '../../sessions/catalog.js';
import { ServiceError } from '../../sessions/service.js';
import { errors, json, LabDetail, LabParams, LabSummary } from '../schemas.js';
import { z } from 'zod';

function summary(e: CatalogEntry) {
  const { lab } = e;
  return {
    id: lab.id,
    track: lab.track,
    title: lab.title,
    ...(lab.description !== undefined ? { description: lab.description } : {}),
    level: lab.level,
    minutes: lab.minutes,
    requires: lab.requires,
    hosts: lab.environment.hosts.map((h) => h.name),
    provider: lab.environment.provider,
    available: e.available,
    ...(e.unavailableReason ? { unavailableReason: e.unavailableReason } : {}),
  };
}

export function labRoutes(app: FastifyInstance, catalog: Catalog): void {
  app.get('/api/labs', { schema: { tags: ['labs'], summary: 'every lab and whether this server can run it', response: { 200: json(z.array(LabSummary)) } } }, async () => {
    await catalog.refresh();
    return catalog.all().map(summary);
  },
  );

  app.get<{ Params: z.infer<typeof LabParams> }>(
    '/api/labs/:id',
    { schema: { tags: ['labs'], summary: 'one lab with its steps (no setup or solution scripts)', params: json(LabParams), response: { 200: json(LabDetail), ...errors(400, 404) } } },
    async (req) => {
      await catalog.refresh();
      const e = catalog.get(req.params.id);
      if (!e) throw new ServiceError(404, 'lab_not_found', `no lab with id "${req.params.id}"`);
      return {
        ...summary(e),
        steps: e.lab.steps.map((s) => ({
          id: s.id,
          title: s.title,
          text: s.text,
          ...(s.hint !== undefined ? { hint: s.hint } : {}),
          // titles and hints in every locale: the page re-renders its last results when the learner switches language
          checks: s.checks.map((c) => ({ id: c.id, ...(c.title !== undefined ? { title: c.title } : {}), ...(c.hint !== undefined ? { hint: c.hint } : {}) })),
        })),
      };
    },
  );
}
