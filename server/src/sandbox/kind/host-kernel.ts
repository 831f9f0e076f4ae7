// kind nodes share the host's kernel and cannot load modules of their own accord, so a kind lab's
// `kernel:<feature>` requirement is met when the module is loaded (or built in) on this machine.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** requirement feature → kernel module(s) any one of which provides it */
export const KERNEL_MODULES: Record<string, string[]> = {
  ipip: ['ipip'],
  gre: ['ip_gre'],
  vxlan: ['vxlan'],
  bridge: ['bridge'],
  veth: ['veth'],
  macvlan: ['macvlan'],
  ipvlan: ['ipvlan'],
  dummy: ['dummy'],
  wireguard: ['wireguard'],
  ipvs: ['ip_vs'],
  nftables: ['nf_tables'],
};

/** `kernel:<feature>` → true, or the reason in words, read from /sys/module. */
export function kernelFeatures(sysModule = '/sys/module'): { has: Record<string, boolean>; missing: Record<string, string> } {
  const has: Record<string, boolean> = {};
  const missing: Record<string, string> = {};
  for (const [feature, modules] of Object.entries(KERNEL_MODULES)) {
    const req = `kernel:${feature}`;
    has[req] = modules.some((m) => existsSync(join(sysModule, m)));
    if (!has[req]) missing[req] = `the ${modules[0]} kernel module is not loaded on this machine (kind nodes use the host's kernel): sudo modprobe ${modules[0]}`;
  }
  // network namespaces are what kind itself runs on
  has['kernel:netns'] = true;
  return { has, missing };
}
