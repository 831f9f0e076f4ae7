// Names and labels of the Docker objects of a sandbox.
import { createHash } from 'node:crypto';

export const LABEL = {
  session: 'netdojo.session',
  lab: 'netdojo.lab',
  host: 'netdojo.host',
  network: 'netdojo.network',
  provider: 'netdojo.provider',
  created: 'netdojo.created',
  /** which netdojo instance owns the sandbox (list() only sees its own scope) */
  scope: 'netdojo.scope',
  /** who started the process that made it ($NETDOJO_ORIGIN, e.g. one test run): lets a leak check count only its own */
  origin: 'netdojo.origin',
} as const;

/** The origin label, when $NETDOJO_ORIGIN is set. */
export const originLabel = (): Record<string, string> =>
  process.env.NETDOJO_ORIGIN ? { [LABEL.origin]: process.env.NETDOJO_ORIGIN } : {};

/** The network used when a lab declares none. */
export const DEFAULT_NETWORK = 'default';

export const containerName = (session: string, host: string) => `netdojo-${session}-${host}`;
export const networkName = (session: string, net: string) => `netdojo-${session}-${net}`;
export const dockerVolumeName = (session: string, host: string) => `netdojo-${session}-${host}-docker`;

/**
 * Linux bridge name of a sandbox network (≤ 15 chars). The `lcb` prefix lets one host firewall rule
 * (see hostrules.ts) cover the bridges of every sandbox.
 */
export const bridgeName = (session: string, net: string) =>
  `lcb${createHash('sha256').update(`${session}/${net}`).digest('hex').slice(0, 12)}`;

export const BRIDGE_PREFIX = 'lcb';
