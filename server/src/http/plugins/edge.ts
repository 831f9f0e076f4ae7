// The edge of the HTTP surface, before any route: OpenAPI and its documentation page, the Host
// guard, the WebSocket server, and every error as `{error, message}`.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceError } from '../../sessions/service.js';
import { installHostGuard, type HostPolicy } from '../hosts.js';
import { MAX_FRAME_BYTES } from '../ws.js';

function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return err.message;
  const where = [err.validationContext ?? 'request', ...v.instancePath.split('/').filter(Boolean)].join('.');
  const p = v.params as Record<string, unknown>;
  if (v.keyword === 'required') return `${where}.${String(p.missingProperty)} is required`;
  if (v.keyword === 'additionalProperties') return `${where}.${String(p.additionalProperty)} is not a known field`;
  if (v.keyword === 'pattern') return `${where} is malformed (must match ${String(p.pattern)})`;
  return `${where} ${v.message ?? 'is invalid'}`;
}

export const edgePlugin = fp<{ hostPolicy?: HostPolicy }>(
  async (app, opts) => {
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: 'netdojo', version: '0.1.0', description: 'Hands-on lab platform: sessions, checks, terminals' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    installHostGuard(app, opts.hostPolicy ?? {});
    await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME_BYTES } });

    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof ServiceError) {
        if (err.retryAfterSeconds) reply.header('retry-after', String(err.retryAfterSeconds));
        if (err.status >= 500) req.log.error({ err: err.message }, err.code);
        return reply.code(err.status).send({ error: err.code, message: err.message });
      }
      if (err.validation) return reply.code(400).send({ error: 'bad_request', message: validationMessage(err) });
      const status = err.statusCode ?? 500;
      if (status < 500) {
        const code = err.code === 'FST_ERR_CTP_INVALID_JSON' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'bad_json' : status === 413 ? 'too_large' : 'bad_request';
        return reply.code(status).send({ error: code, message: err.message });
      }
      req.log.error({ err }, 'internal error');
      return reply.code(500).send({ error: 'internal', message: 'internal server error' });
    });
    app.setNotFoundHandler((req, reply) => {
      return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });
  },
  { name: 'edge', fastify: '5.x' },
);
