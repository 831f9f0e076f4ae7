// kind's cluster configuration (kind.x-k8s.io/v1alpha4) as zod, and its generation from a
// lab's `environment.cluster`. Every generated config is parsed by this schema before use.
import { stringify } from 'yaml';
import { z } from 'zod';
import type { KindCluster } from '../labs/schema.js';

const PortMapping = z.strictObject({
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(0).max(65535).optional(),
  listenAddress: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
});

const Mount = z.strictObject({
  hostPath: z.string(),
  containerPath: z.string(),
  readOnly: z.boolean().optional(),
  selinuxRelabel: z.boolean().optional(),
  propagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
});

const Patch6902 = z.strictObject({
  group: z.string(),
  version: z.string(),
  kind: z.string(),
  patch: z.string(),
});

export const KindNodeConfig = z.strictObject({
  role: z.enum(['control-plane', 'worker']),
  image: z.string().optional(),
  labels: z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'a label key'), z.string().max(63)).optional(),
  extraMounts: z.array(Mount).optional(),
  extraPortMappings: z.array(PortMapping).optional(),
  kubeadmConfigPatches: z.array(z.string()).optional(),
  kubeadmConfigPatchesJSON6902: z.array(Patch6902).optional(),
});

const cidr = z.cidrv4().or(z.cidrv6());

export const KindClusterConfig = z
  .strictObject({
    kind: z.literal('Cluster'),
    apiVersion: z.literal('kind.x-k8s.io/v1alpha4'),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(50).optional(),
    featureGates: z.record(z.string(), z.boolean()).optional(),
    runtimeConfig: z.record(z.string(), z.string()).optional(),
    networking: z
      .strictObject({
        ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).optional(),
        apiServerPort: z.number().int().min(0).max(65535).optional(),
        apiServerAddress: z.string().optional(),
        podSubnet: cidr.optional(),
        serviceSubnet: cidr.optional(),
        disableDefaultCNI: z.boolean().optional(),
        kubeProxyMode: z.enum(['iptables', 'ipvs', 'nftables', 'none']).optional(),
        dnsSearch: z.array(z.string()).optional(),
      })
      .optional(),
    nodes: z.array(KindNodeConfig).min(1).optional(),
    kubeadmConfigPatches: z.array(z.string()).optional(),
    kubeadmConfigPatchesJSON6902: z.array(Patch6902).optional(),
    containerdConfigPatches: z.array(z.string()).optional(),
    containerdConfigPatchesJSON6902: z.array(z.string()).optional(),
  })
  .superRefine((c, ctx) => {
    const nodes = c.nodes ?? [{ role: 'control-plane' as const }];
    if (!nodes.some((n) => n.role === 'control-plane')) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'a kind cluster needs at least one control-plane node' });
    }
    const ports = new Map<string, number>();
    nodes.forEach((n, i) =>
      n.extraPortMappings?.forEach((m, j) => {
        if (!m.hostPort) return;
        const key = `${m.listenAddress ?? '0.0.0.0'}:${m.hostPort}/${m.protocol ?? 'TCP'}`;
        if (ports.has(key)) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, 'extraPortMappings', j, 'hostPort'], message: `host port ${key} is mapped twice` });
        }
        ports.set(key, i);
      }),
    );
  });
export type KindClusterConfig = z.infer<typeof KindClusterConfig>;

export interface GenerateOptions {
  /** 'free': every hostPort becomes 0 (kind picks a free port) on 127.0.0.1, so that many
   *  sessions' clusters can run side by side; 'as-written': the lab's host ports, as in CI. */
  hostPorts?: 'free' | 'as-written';
  /** node image (kindest/node:vX) for every node; kind's default when unset */
  image?: string;
}

/** Node names as the sandbox exposes them: control-plane, control-plane2 …, worker, worker2 … (kind's own suffixes). */
export function kindNodeNames(cluster: KindCluster): string[] {
  const count = { 'control-plane': 0, worker: 0 };
  return cluster.nodes.map((n) => {
    count[n.role] += 1;
    return count[n.role] === 1 ? n.role : `${n.role}${count[n.role]}`;
  });
}

export function kindConfigObject(cluster: KindCluster, opts: GenerateOptions = {}): KindClusterConfig {
  const networking: NonNullable<KindClusterConfig['networking']> = {};
  if (cluster.disableDefaultCNI) networking.disableDefaultCNI = true;
  if (cluster.podSubnet) networking.podSubnet = cluster.podSubnet;
  if (cluster.serviceSubnet) networking.serviceSubnet = cluster.serviceSubnet;
  if (cluster.kubeProxyMode) networking.kubeProxyMode = cluster.kubeProxyMode;
  const config: KindClusterConfig = {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    nodes: cluster.nodes.map((n) => {
      const node: z.infer<typeof KindNodeConfig> = { role: n.role };
      if (opts.image) node.image = opts.image;
      if (n.labels && Object.keys(n.labels).length > 0) node.labels = { ...n.labels };
      if (n.extraPortMappings?.length) {
        node.extraPortMappings = n.extraPortMappings.map((m) =>
          opts.hostPorts === 'as-written'
            ? { ...m }
            : { containerPort: m.containerPort, hostPort: 0, listenAddress: '127.0.0.1', ...(m.protocol ? { protocol: m.protocol } : {}) },
        );
      }
      return node;
    }),
  };
  if (Object.keys(networking).length > 0) config.networking = networking;
  return KindClusterConfig.parse(config);
}

/** The YAML written to `--config`: validated against kind's v1alpha4 schema first. */
export function generateKindConfig(cluster: KindCluster, opts: GenerateOptions = {}): string {
  return stringify(kindConfigObject(cluster, opts));
}
