// Capability probing against the real engine and kernel of this machine.
import { afterEach, describe, expect, it } from 'vitest';
import { probeCapabilities, unmet } from './capabilities.js';
import { docker } from './docker/client.js';

describe('capabilities', () => {
  afterEach(() => {
    delete process.env.NETDOJO_INTERNET;
  });

  it('probes kernel features inside a sandbox container and explains what is missing', async () => {
    const caps = await probeCapabilities();
    expect(caps.has.docker).toBe(true);
    expect(caps.probeError).toBeUndefined();
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

describe('a probe that cannot run', () => {
  it('says so in probeError, so that the registry does not keep the result (issue 13)', async () => {
    // an image that does not exist: the kernel probe cannot start, as when the engine is not ready
    const caps = await probeCapabilities({ image: 'netdojo/no-such-image-for-test' });
    expect(caps.probeError).toMatch(/^cannot probe the kernel: cannot start a probe container from netdojo\/no-such-image-for-test/);
    expect(caps.missing['kernel:veth']).toMatch(/^cannot probe the kernel/);
    expect(caps.has.docker).toBe(true);
  }, 60_000);
});
