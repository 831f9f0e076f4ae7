// The provider registry: one instance per provider name, made with the registry's scope and options,
// and one capability cache (issue 15): a good result is kept for CAPS_TTL_MS, a failed probe is not.
import { describe, expect, it } from 'vitest';
import { DockerProvider } from './docker/provider.js';
import { KindProvider } from './kind/provider.js';
import { CAPS_TTL_MS, ProviderRegistry } from './registry.js';
import type { Capabilities, Provider } from './types.js';

/** a provider whose capabilities() answers from a script and counts the calls */
function scripted(answers: Capabilities[]): Provider & { calls: number } {
  const p = { name: 'docker' as const, calls: 0, capabilities: async () => answers[Math.min(p.calls++, answers.length - 1)]! };
  return p as unknown as Provider & { calls: number };
}

const good: Capabilities = { has: { docker: true }, missing: {} };
const failed: Capabilities = { has: { docker: false }, missing: { docker: 'the Docker engine does not answer (x)' }, probeError: 'the Docker engine does not answer (x)' };

describe('ProviderRegistry', () => {
  it('makes one instance per name, with its scope and options', async () => {
    const registry = new ProviderRegistry({ scope: 'reg-test', allowNoUserns: true, kind: { stateDir: '/tmp/netdojo-reg-test-kind' } });
    const docker = await registry.get('docker');
    expect(docker).toBeInstanceOf(DockerProvider);
    expect(await registry.get('docker')).toBe(docker);
    const kind = (await registry.get('kind')) as KindProvider;
    expect(kind).toBeInstanceOf(KindProvider);
    expect(kind.scope).toBe('reg-test');
    expect(kind.stateDir).toBe('/tmp/netdojo-reg-test-kind');
    expect(registry.scope).toBe('reg-test');
    await expect(registry.get('nope' as 'docker')).rejects.toThrow(/unknown provider "nope"/);
  });

  it('of(): only the providers given', async () => {
    const p = scripted([good]);
    const registry = ProviderRegistry.of(p);
    expect(await registry.get('docker')).toBe(p);
    await expect(registry.get('kind')).rejects.toThrow('only the docker provider was given');
    await expect(registry.capabilities('kind')).rejects.toThrow('only the docker provider was given');
  });

  it('keeps capabilities for CAPS_TTL_MS, shares a probe in flight, and does not keep a failed probe', async () => {
    let now = 1_000_000;
    const p = scripted([failed, failed, good, good]);
    const registry = ProviderRegistry.of(p, { now: () => now });
    expect(await registry.capabilities('docker')).toBe(failed);
    // a failed probe says more about the probe than about the host: the next call probes again
    expect(await registry.capabilities('docker')).toBe(failed);
    expect(p.calls).toBe(2);
    const [a, b] = await Promise.all([registry.capabilities('docker'), registry.capabilities('docker')]);
    expect(a).toBe(good);
    expect(b).toBe(good);
    expect(p.calls).toBe(3);
    now += CAPS_TTL_MS - 1;
    expect(await registry.capabilities('docker')).toBe(good);
    expect(p.calls).toBe(3);
    now += 2;
    await registry.capabilities('docker');
    expect(p.calls).toBe(4);
  });
});
