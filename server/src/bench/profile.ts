// Where a cold start's time goes: the docker provider's phases for the bench lab, timed in this
// process from the provider's own progress messages, then a login shell's first byte. Run beside
// the cold-start figure so that its "why" can say which phase costs what.
import { DockerProvider } from '../sandbox/docker/provider.js';
import { loadLabs } from '../labs/loader.js';
import { ms, round, summary } from './stats.js';
import type { Ctx } from './types.js';

export async function coldProfile(ctx: Ctx, labId: string, n: number): Promise<Record<string, number>> {
  const { labs } = await loadLabs([ctx.labsDir]);
  const entry = labs.find((l) => l.lab.id === labId);
  if (!entry) throw new Error(`lab ${labId} not found under ${ctx.labsDir}`);
  const provider = new DockerProvider({ scope: `${ctx.scopePrefix}-profile` });
  const phases: Record<string, number[]> = { networksMs: [], hostsCreatedAndStartedMs: [], addressesMs: [], terminalMs: [], totalMs: [] };
  for (let i = 0; i < n; i++) {
    const marks: Array<[string, number]> = [];
    const t0 = process.hrtime.bigint();
    const sandbox = await provider.create(entry.lab, {
      sessionId: `${ctx.scopePrefix}-p${i}`,
      labDir: entry.dir,
      onProgress: (m) => marks.push([m, ms(t0)]),
    });
    try {
      const at = (re: RegExp) => marks.find(([m]) => re.test(m))?.[1] ?? NaN;
      const hosts = at(/^creating \d+ host/);
      const addresses = at(/^configuring addresses/);
      const ready = at(/^ready/);
      phases.networksMs!.push(hosts);
      phases.hostsCreatedAndStartedMs!.push(addresses - hosts);
      phases.addressesMs!.push(ready - addresses);
      const t1 = process.hrtime.bigint();
      const term = await sandbox.attach(sandbox.hosts[0]!, { cols: 80, rows: 24 });
      await new Promise<void>((resolve) => term.stream.once('data', () => resolve()));
      phases.terminalMs!.push(ms(t1));
      phases.totalMs!.push(ms(t0));
      await term.close();
    } finally {
      await provider.destroy(sandbox.ref);
    }
  }
  return Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, round(summary(xs).p50, 0)]));
}
