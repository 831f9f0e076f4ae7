// The Docker engine as the server sees it (engine/facts.ts through sessions/host.ts): whether
// sandboxes may be created at all (the user namespace gate), what /api/health reports, and loud
// warnings at start when the engine cannot isolate or limit a sandbox.
import fp from 'fastify-plugin';
import { engineProbe, type EngineStatus } from '../../sessions/host.js';

export interface EngineGate {
  status(): Promise<EngineStatus>;
  /** the operator allows sandboxes on an engine without a user namespace */
  readonly allowNoUserns: boolean;
  /** why sandboxes are refused right now, or undefined */
  refusal(): Promise<string | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    engine: EngineGate;
  }
}

export const enginePlugin = fp<{ allowNoUserns: boolean }>(
  async (app, opts) => {
    const status = engineProbe();
    const gate: EngineGate = {
      status,
      allowNoUserns: opts.allowNoUserns,
      async refusal() {
        const s = await status();
        if (!s.docker) return `the Docker engine does not answer: ${s.error ?? 'unknown error'}`;
        if (!s.userns && !opts.allowNoUserns) {
          return 'the Docker engine runs without a user namespace (userns-remap), so sandboxes would be root on the host; start it with userns-remap or pass --allow-no-userns for a single trusted user';
        }
        return undefined;
      },
    };
    app.decorate('engine', gate);

    const engine = await status();
    if (engine.docker && engine.diskQuota === false) {
      app.log.warn(
        `!!! the Docker engine's storage driver (${engine.storageDriver ?? 'unknown'}) cannot limit a sandbox's disk: a learner can fill this host's disk up to the watchdog's next look; run infra/docker-engine.sh for a btrfs data root with quotas !!!`,
      );
    }
    if (!engine.userns && opts.allowNoUserns) {
      app.log.warn('DANGER: the Docker engine has no user namespace and --allow-no-userns is set: every learner is root on this host. Only for a single trusted user.');
    }
  },
  { name: 'engine', fastify: '5.x' },
);
