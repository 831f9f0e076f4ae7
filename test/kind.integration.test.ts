// The kubernetes track for real: needs kind, Docker and kubectl, a registry for images (or images
// preloaded) and the vendored manifests (infra/kind/vendor-manifests.mjs). Where kind is missing
// the suite is skipped and says why.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { KindProvider } from '../server/src/sandbox/kind/provider.js';

const caps = await new KindProvider().capabilities();
const reason = caps.missing.kind;
if (reason) console.log(`kind integration suite skipped: ${reason}`);

describe.skipIf(Boolean(reason))('kubernetes track on kind (integration)', () => {
  it('replays every lab of labs/kubernetes: checks fail before each solve and pass after', async () => {
    const res = await execa('./bin/netdojo.mjs', ['replay', 'labs/kubernetes'], { reject: false, all: true, timeout: 3_600_000 });
    console.log(res.all);
    expect(res.all).not.toMatch(/^SKIP/m);
    expect(res.exitCode).toBe(0);
  }, 3_600_000);

  it('leaves no netdojo- cluster behind', async () => {
    const res = await execa('kind', ['get', 'clusters'], { reject: false, all: true });
    expect(String(res.all).split('\n').filter((l) => l.startsWith('netdojo-'))).toEqual([]);
  });
});
