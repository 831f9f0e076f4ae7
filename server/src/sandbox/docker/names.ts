// Names and labels of the Docker objects of a sandbox.
import { createHash } from 'node:crypto';

export const LABEL = {
  session: 'labctl.session',
  lab: 'labctl.lab',
  host: 'labctl.host',
  network: 'labctl.network',
  provider: 'labctl.provider',
  created: 'labctl.created',
  /** which labctl instance owns the sandbox (list() only sees its own scope) */
  scope: 'labctl.scope',
} as const;

/** The network used when a lab declares none. */
export const DEFAULT_NETWORK = 'default';

export const containerName = (session: string, host: string) => `labctl-${session}-${host}`;
export const networkName = (session: string, net: string) => `labctl-${session}-${net}`;
export const dockerVolumeName = (session: string, host: string) => `labctl-${session}-${host}-docker`;

/**
 * Linux bridge name of a sandbox network (≤ 15 chars). The `lcb` prefix lets one host firewall rule
 * (see hostrules.ts) cover the bridges of every sandbox.
 */
export const bridgeName = (session: string, net: string) =>
  `lcb${createHash('sha256').update(`${session}/${net}`).digest('hex').slice(0, 12)}`;

export const BRIDGE_PREFIX = 'lcb';
