// `netdojo serve`: the platform server (API, terminals, web UI) on one port.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import { DEFAULTS } from '../http/defaults.js';
import { parseTrustProxy, type TrustProxy } from '../http/client.js';
import { UserError } from '../util/errors.js';
import { loggerOptions } from '../util/log.js';

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** "90", "90s", "15m", "2h" → milliseconds */
export function duration(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a duration (e.g. 90s, 15m, 2h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : unit === 'h' ? n * 3_600_000 : n * 86_400_000;
  if (ms <= 0) throw new InvalidArgumentError('a duration must be positive');
  return ms;
}

function checkUrl(v: string): string {
  try {
    const u = new URL(v.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return u.toString();
  } catch {
    throw new InvalidArgumentError(`--public-url: "${v}" is not an http(s) URL`);
  }
}

/** "512M", "1G", "2GiB", "1073741824" → bytes */
export function size(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a size (e.g. 512M, 1G)`);
  const n = Math.round(Number(m[1]) * 1024 ** 'BKMGT'.indexOf((m[2] || 'B').toUpperCase()));
  if (n < 16 * 1024 * 1024) throw new InvalidArgumentError('a disk quota must be at least 16M');
  return n;
}

const env = (name: string): string | undefined => process.env[`NETDOJO_${name}`] || undefined;

export interface PoolLabs {
  labs: string[];
  /** labs given with a count (`netns-veth=30`); the others keep --pool's size */
  sizes: Record<string, number>;
}

/** "netns-veth=30,linux-routing=5,netns-bridge" → the labs to pool and their sizes */
export function poolLabs(v: string): PoolLabs {
  const out: PoolLabs = { labs: [], sizes: {} };
  for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(?:=(\d+))?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`"${part}" is not a lab id or lab=count (e.g. netns-veth=30)`);
    const id = m[1]!;
    if (m[3] !== undefined) {
      const n = Number(m[3]);
      if (n > 1000) throw new InvalidArgumentError(`${id}=${n}: a lab's pool size must be from 0 to 1000`);
      out.sizes[id] = n;
    }
    if (!out.labs.includes(id)) out.labs.push(id);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the platform server: HTTP API, browser terminals and the web UI')
    .addHelpText('after', '\nEnvironment:\n  NETDOJO_OPERATOR_TOKEN  bearer token of the operator API (GET/POST /api/pool: announce a class so that the warm pool fills for it); unset: that API answers 403\n')
    .option('--port <n>', 'TCP port to listen on (env NETDOJO_PORT)', int('--port', 0, 65535), Number(env('PORT') ?? 8080))
    .option('--host <addr>', 'address to listen on (env NETDOJO_HOST)', env('HOST') ?? '127.0.0.1')
    .option('--data <dir>', 'directory for the session database (env NETDOJO_DATA)', env('DATA') ?? 'data')
    .option('--labs <dir...>', 'lab folders to offer (env NETDOJO_LABS, comma-separated)', env('LABS')?.split(',') ?? ['labs'])
    .option('--web <dir>', 'the built web UI to serve at / (env NETDOJO_WEB)', env('WEB') ?? 'web/dist')
    .option('--max-sessions <n>', 'concurrent sessions at most (env NETDOJO_MAX_SESSIONS)', int('--max-sessions', 1, 10_000), Number(env('MAX_SESSIONS') ?? DEFAULTS.maxSessions))
    .addOption(new Option('--ttl <duration>', 'lifetime of a session, e.g. 2h (env NETDOJO_TTL)').argParser(duration).default(duration(env('TTL') ?? '2h'), env('TTL') ?? '2h'))
    .addOption(
      new Option('--idle-timeout <duration>', 'end a session after this long without activity (env NETDOJO_IDLE_TIMEOUT)').argParser(duration).default(duration(env('IDLE_TIMEOUT') ?? '30m'), env('IDLE_TIMEOUT') ?? '30m'),
    )
    .option('--rate <n>', 'session creations per client per minute, 0 = unlimited (env NETDOJO_RATE)', int('--rate', 0, 100_000), Number(env('RATE') ?? DEFAULTS.createPerMinute))
    .addOption(new Option('--reap-interval <duration>', 'how often expired and idle sessions are ended').argParser(duration).default(DEFAULTS.reaperIntervalMs, '15s'))
    .addOption(new Option('--terminal-grace <duration>', 'how long a shell outlives its closed browser socket').argParser(duration).default(5 * 60_000, '5m'))
    .addOption(
      new Option('--disk-quota <size>', "disk quota of each sandbox host's writable layer, e.g. 1G (env NETDOJO_DISK_QUOTA)")
        .argParser(size)
        .default(size(env('DISK_QUOTA') ?? '1G'), env('DISK_QUOTA') ?? '1G'),
    )
    .addOption(
      new Option('--docker-disk-quota <size>', "disk a Docker-inside host's /var/lib/docker may use before its session is ended (env NETDOJO_DOCKER_DISK_QUOTA)")
        .argParser(size)
        .default(size(env('DOCKER_DISK_QUOTA') ?? '2G'), env('DOCKER_DISK_QUOTA') ?? '2G'),
    )
    .addOption(
      new Option('--retention <duration>', 'how long ended sessions (progress, check history) are kept, e.g. 30d (env NETDOJO_RETENTION)')
        .argParser(duration)
        .default(duration(env('RETENTION') ?? '30d'), env('RETENTION') ?? '30d'),
    )
    .option('--pool <n>', 'warm pool: ready sandboxes kept per pooled lab, 0 = none (env NETDOJO_POOL)', int('--pool', 0, 50), Number(env('POOL') ?? 1))
    .option(
      '--pool-labs <ids>',
      'comma-separated labs to pool, each with an optional size, e.g. netns-veth=30,linux-routing (env NETDOJO_POOL_LABS); default: every cheap lab (one docker host, no Docker inside)',
      poolLabs,
      env('POOL_LABS') ? poolLabs(env('POOL_LABS')!) : undefined,
    )
    .option('--allow-no-userns', 'allow sandboxes on an engine without userns-remap (learners are root on the host: single trusted user only)', env('ALLOW_NO_USERNS') === '1')
    .option(
      '--trust-proxy <hops|addresses>',
      'behind reverse proxies: how many (e.g. 1) or which (comma-separated addresses/CIDRs) may set X-Forwarded-For (env NETDOJO_TRUST_PROXY)',
      parseTrustProxy,
      env('TRUST_PROXY') ? parseTrustProxy(env('TRUST_PROXY')!) : undefined,
    )
    .option(
      '--max-sessions-per-client <n>',
      'live sessions one client (IPv4 address, IPv6 /64) may hold, 0 = unlimited (env NETDOJO_MAX_SESSIONS_PER_CLIENT)',
      int('--max-sessions-per-client', 0, 10_000),
      Number(env('MAX_SESSIONS_PER_CLIENT') ?? DEFAULTS.maxSessionsPerClient),
    )
    .option(
      '--public-url <url...>',
      'URL(s) learners reach the server at, e.g. https://labs.example.org; other Host names get 421 (env NETDOJO_PUBLIC_URL, comma-separated)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map(checkUrl)],
      env('PUBLIC_URL')?.split(',').map(checkUrl),
    )
    .option('--log-level <level>', 'pino log level: fatal, error, warn, info, debug (human-readable on a terminal, JSON lines otherwise; env NETDOJO_LOG_FORMAT=pretty|json forces one)', env('LOG_LEVEL') ?? 'info')
    .action(async (o: {
      port: number; host: string; data: string; labs: string[]; web: string; maxSessions: number; ttl: number; idleTimeout: number;
      rate: number; reapInterval: number; terminalGrace: number; allowNoUserns: boolean; trustProxy?: TrustProxy; logLevel: string;
      maxSessionsPerClient: number; publicUrl?: string[]; diskQuota: number; dockerDiskQuota: number; retention: number;
      pool: number; poolLabs?: PoolLabs;
    }) => {
      // loaded here so that other subcommands do not pay for (or depend on) the server's modules
      const { build } = await import('../http/app.js');
      const app = await build({
        dataDir: resolve(o.data),
        labs: o.labs.map((l) => resolve(l)),
        webDir: resolve(o.web),
        maxSessions: o.maxSessions,
        ttlMs: o.ttl,
        idleMs: o.idleTimeout,
        createPerMinute: o.rate,
        createBurst: Math.max(1, o.rate),
        allowNoUserns: o.allowNoUserns,
        reaperIntervalMs: o.reapInterval,
        disk: { writableBytes: o.diskQuota, dindBytes: o.dockerDiskQuota },
        retentionMs: o.retention,
        terminal: { graceMs: o.terminalGrace },
        pool: { size: o.pool, ...(o.poolLabs ? { labs: o.poolLabs.labs, sizes: o.poolLabs.sizes } : {}) },
        // an environment variable, not an option: a token in argv is visible to every user of the host (ps)
        operatorToken: env('OPERATOR_TOKEN'),
        trustProxy: o.trustProxy ?? false,
        maxSessionsPerClient: o.maxSessionsPerClient,
        hostPolicy: { listen: o.host, publicUrls: o.publicUrl ?? [] },
        logger: loggerOptions(o.logLevel),
      }).catch((err: unknown) => {
        throw new UserError(`cannot start the server: ${err instanceof Error ? err.message : String(err)}`);
      });
      const stop = async (signal: string) => {
        app.log.info({ signal }, 'shutting down (sessions and their sandboxes are kept for the next start; the warm pool is drained)');
        await app.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      try {
        await app.listen({ port: o.port, host: o.host });
      } catch (err) {
        await app.close().catch(() => undefined);
        throw new UserError(`cannot listen on ${o.host}:${o.port}: ${err instanceof Error ? err.message : String(err)}`);
      }
      app.log.info({ labs: app.catalog.all().length, data: resolve(o.data) }, 'netdojo serve is ready');
    });
}
