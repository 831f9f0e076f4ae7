export { KindProvider, clusterName, scopePrefix, CLUSTER_PREFIX, KIND_MISSING, type KindProviderOptions } from './provider.js';
export { KindSandbox, NODE_KUBECONFIG, NODE_FILES_DIR } from './sandbox.js';
export { execaRunner, type CliRunner, type CliResult } from './cli.js';
