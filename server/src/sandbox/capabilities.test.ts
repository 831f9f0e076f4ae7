// Capability probing against the real engine and kernel of this machine.
import { afterEach, describe, expect, it } from 'vitest';
import { CAPS_RETRY_MS, CAPS_TTL_MS, probeCapabilities, probeFailed, resetCapabilities, unmet } from './capabilities.js';
import { docker } from './docker/client.js';

describe('capabilities', () => {
  afterEach(() => {
    delete process.env.NETDOJO_INTERNET;
    resetCapabilities();
  });

  it('probes kernel features inside a sandbox container and explains what is missing', async () => {
    const caps = await probeCapabilities();
    expect(caps.has.docker).toBe(true);
    // built into this machine's kernel (docs/dev/architecture.md, "The machines")
    for (const f of ['vxlan', 'bridge', 'veth', 'netns']) expect(caps.has[`kernel:${f}`], caps.missing[`kernel:${f}`]).toBe(true);
    // the probe really ran: a feature it tried has a verdict either way, and unmet ones carry the command's error
    for (const [req, ok] of Object.entries(caps.has)) if (!ok) expect(caps.missing[req]).toBeTruthy();
    if (!caps.has['kernel:ipip']) expect(caps.missing['kernel:ipip']).toMatch(/^the kernel has no IPIP support \(ip link add t0 type ipip .* failed: .+\)$/);
    expect(caps.has.internet).toBe(false);
    expect(caps.missing.internet).toMatch(/no internet access on this host/);
    // our probe container is gone (other processes on this engine may be probing at the same time)
    const left = await docker().listContainers({ all: true, filters: { name: [`netdojo-capprobe-${process.pid}-`] } });
    expect(left).toEqual([]);
  }, 60_000);

  it('caches the result per process', async () => {
    const first = await probeCapabilities();
    expect(await probeCapabilities()).toBe(first);
  }, 60_000);

  it('reports kind and internet requirements in words', async () => {
    process.env.NETDOJO_INTERNET = '1';
    const caps = await probeCapabilities();
    expect(caps.has.internet).toBe(true);
    const reasons = unmet(caps, ['docker', 'kind', 'kernel:nosuchthing']);
    expect(reasons.docker).toBeUndefined();
    if (!caps.has.kind) expect(reasons.kind).toBe('kind is not installed (not on PATH)');
    expect(reasons['kernel:nosuchthing']).toMatch(/cannot probe the kernel feature "nosuchthing"/);
  }, 60_000);
});

describe('capability cache (issue 13: a failure was cached for the life of the process)', () => {
  afterEach(() => resetCapabilities());

  it('retries a failed probe after CAPS_RETRY_MS, keeps a good one for CAPS_TTL_MS', async () => {
    let now = 1_000_000;
    const clock = () => now;
    // an image that does not exist: the kernel probe cannot start, as when the engine is not ready
    const broken = { image: 'netdojo/no-such-image-for-test', now: clock };
    const first = await probeCapabilities(broken);
    expect(probeFailed(first)).toBe(true);
    expect(first.missing['kernel:veth']).toMatch(/^cannot probe the kernel/);
    now += CAPS_RETRY_MS - 1;
    expect(await probeCapabilities(broken)).toBe(first);
    now += 2;
    const retried = await probeCapabilities(broken);
    expect(retried).not.toBe(first);

    const good = await probeCapabilities({ now: clock });
    expect(probeFailed(good)).toBe(false);
    now += CAPS_TTL_MS - 1;
    expect(await probeCapabilities({ now: clock })).toBe(good);
    now += 2;
    expect(await probeCapabilities({ now: clock })).not.toBe(good);
  }, 180_000);
});
