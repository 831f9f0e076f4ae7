// `netdojo dev`'s `restart <step>`: a fresh sandbox at the start of the step (lab setup, setup +
// solve of the steps before it, the step's setup), as a learner's "Restart at this step". Real Docker;
// everything carries this file's scope label and is removed in afterAll.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/src/labs/paths.js';
import { dockerObjects, Driven, removeScope, SCOPE } from './helpers.js';

const LAB = join(REPO_ROOT, 'test/api/fixtures/labs/srv-netns');

afterAll(() => {
  removeScope();
  expect(dockerObjects('netdojo.scope', SCOPE)).toEqual([]);
});

describe('netdojo dev: restart <step>', () => {
  it('replaces the sandbox with one fast-forwarded to the step', async () => {
    const dev = Driven.start(['dev', LAB]);
    try {
      await dev.waitFor(/ready: 2 step\(s\); the current step is make-ns/);
      const first = (await dev.waitFor(/sandbox (dev-[0-9a-f]+) ready/))[1]!;
      await dev.run('restart', /restart takes <step>/);
      await dev.run('restart nope', /no step 'nope' \(steps: make-ns, make-veth\)/);
      await dev.run('restart make-veth', /sandbox restarted at step 2 \(make-veth\)|FAILED/, 180_000);
      expect(dev.out).toContain('sandbox restarted at step 2 (make-veth)');
      expect(dev.out).toContain('fast-forward make-ns:');
      expect(dev.out).toMatch(/✓ setup of make-veth on host: touch \/root\/step2-setup-ran/);
      const second = [...dev.out.matchAll(/sandbox (dev-[0-9a-f]+) ready/g)].map((m) => m[1]!);
      expect(second).toHaveLength(2);
      expect(dockerObjects('netdojo.session', first), 'the old sandbox is removed').toEqual([]);
      // step 1 is solved in the new sandbox, step 2 is not
      await dev.run('check make-ns', /check make-ns: 1\/1 pass/);
      await dev.run('check make-veth', /check make-veth: 0\/1 pass/);
      dev.send('quit');
      expect(await dev.exited).toBe(0);
      expect(dockerObjects('netdojo.session', second[1]!)).toEqual([]);
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 300_000);
});
