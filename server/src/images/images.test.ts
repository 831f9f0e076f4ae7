// The image builder: content hash and the up-to-date skip, against the real engine.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImages, imageStates, selectImages } from './build.js';
import { IMAGES } from './catalog.js';
import { contentHash } from './hash.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'netdojo-img-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('content hash', () => {
  it('changes with a file, an exec bit or the base image id, and nothing else', async () => {
    const dir = path.join(tmp, 'ctx');
    cpSync(IMAGES[0]!.dir, dir, { recursive: true });
    const h1 = await contentHash(dir, 'sha256:base1');
    expect(h1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await contentHash(dir, 'sha256:base1')).toBe(h1);
    expect(await contentHash(dir, 'sha256:base2')).not.toBe(h1);
    writeFileSync(path.join(dir, 'extra'), 'x');
    const h2 = await contentHash(dir, 'sha256:base1');
    expect(h2).not.toBe(h1);
    writeFileSync(path.join(dir, 'extra'), 'x', { mode: 0o755 });
    rmSync(path.join(dir, 'extra'));
    writeFileSync(path.join(dir, 'extra'), 'x', { mode: 0o755 });
    expect(await contentHash(dir, 'sha256:base1')).not.toBe(h2);
  });
});

describe('image builder', () => {
  it('orders netbox before dind and rejects unknown names', () => {
    expect(selectImages(['dind', 'netbox']).map((i) => i.name)).toEqual(['netbox', 'dind']);
    expect(() => selectImages(['nope'])).toThrow(/unknown image nope/);
  });

  it('skips images whose content hash label matches (run after `netdojo images build`)', async () => {
    const lines: string[] = [];
    const outcomes = await buildImages([], { onProgress: (l) => lines.push(l) });
    // a stale image is rebuilt here; a second call must then skip every one
    const again = await buildImages([], { onProgress: (l) => lines.push(l) });
    expect(again.map((o) => o.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(again.map((o) => o.imageId)).toEqual(outcomes.map((o) => o.imageId));
    expect(lines.filter((l) => /up to date/.test(l)).length).toBeGreaterThanOrEqual(3);
    const states = await imageStates();
    expect(states.map((s) => [s.tag, s.present, s.upToDate])).toEqual([
      ['netdojo/netbox', true, true],
      ['netdojo/inner', true, true],
      ['netdojo/dind', true, true],
    ]);
  }, 600_000);
});
