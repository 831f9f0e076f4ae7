// The host-rules helper (real Docker): one helper container per process applies the rules for every
// sandbox, carries the origin label, and removes itself once its process is gone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { docker } from './client.js';
import { hostRulesScript } from './hostrules.js';

const dir = mkdtempSync(path.join(tmpdir(), 'netdojo-hostrules-'));
const origin = `hostrules-test-${process.pid}-${Date.now()}`;
const mine = () => docker().listContainers({ all: true, filters: { label: [`netdojo.origin=${origin}`] } });

afterAll(async () => {
  for (const c of await mine()) await docker().getContainer(c.Id).remove({ force: true }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

it('serialises concurrent applications and refuses a bridge name that is not one', () => {
  const script = hostRulesScript(['lcb0123456789ab']);
  expect(script).toMatch(/^flock 9$/m);
  expect(script).toContain('echo 8 > /proc/sys/net/ipv4/conf/lcb0123456789ab/arp_ignore');
  expect(() => hostRulesScript(['x; rm -rf /'])).toThrow(/not a bridge name/);
});

it('applies the rules from one labelled helper per process, which removes itself when that process exits', async () => {
  const child = path.join(dir, 'child.mts');
  writeFileSync(
    child,
    [
      `import { ensureHostRules } from ${JSON.stringify(path.resolve(import.meta.dirname, 'hostrules.ts'))};`,
      `import { DEFAULT_IMAGE } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../images/catalog.ts'))};`,
      `import { docker } from ${JSON.stringify(path.resolve(import.meta.dirname, 'client.ts'))};`,
      'await Promise.all([ensureHostRules(DEFAULT_IMAGE), ensureHostRules(DEFAULT_IMAGE)]);',
      'await ensureHostRules(DEFAULT_IMAGE);',
      `const cs = await docker().listContainers({ all: true, filters: { label: ['netdojo.origin=${origin}'] } });`,
      'console.log(JSON.stringify(cs.map((c) => ({ state: c.State, labels: c.Labels }))));',
    ].join('\n'),
  );
  const r = await execa(process.execPath, ['--import', 'tsx', child], { env: { NETDOJO_ORIGIN: origin }, reject: false, cwd: path.resolve(import.meta.dirname, '../../../..') });
  expect(r.exitCode, r.stderr).toBe(0);
  const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Array<{ state: string; labels: Record<string, string> }>;
  // three applications, one helper, running while its process lived
  expect(seen).toEqual([{ state: 'running', labels: expect.objectContaining({ 'netdojo.helper': 'hostrules', 'netdojo.origin': origin, 'netdojo.provider': 'docker' }) }]);
  const until = Date.now() + 30_000;
  while ((await mine()).length && Date.now() < until) await new Promise((ok) => setTimeout(ok, 250));
  expect(await mine()).toEqual([]);
}, 120_000);
