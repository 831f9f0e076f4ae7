export { KindProvider, clusterName, scopePrefix, CLUSTER_PREFIX, KIND_MISSING, type KindProviderOptions } from './provider.js';
export { KindSandbox, NODE_KUBECONFIG, NODE_FILES_DIR } from './sandbox.js';
export { execaRunner, type CliRunner, type CliResult } from './cli.js';

import { KindProvider, type KindProviderOptions } from './provider.js';
/** Registry contract (server/src/sandbox/providers.ts): the kind provider from plain options. */
export function createKindProvider(opts?: Record<string, unknown>): KindProvider {
  return new KindProvider((opts ?? {}) as KindProviderOptions);
}
