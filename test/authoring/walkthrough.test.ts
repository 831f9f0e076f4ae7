// The instructor's walk-through, with only the README and docs/authoring.md: scaffold a lab, turn
// it into the guide's two-host lab (ping + http), iterate with `netdojo dev` through its stdin,
// replay it green; then --step/--keep/rm, Ctrl-C in dev, and a TTY shell in dev. Real Docker;
// every object this file creates carries its own scope label and is removed in afterAll.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, dockerObjects, Driven, ENV, guideBlock, netdojo, removeScope, SCOPE } from './helpers.js';

const labs = mkdtempSync(join(tmpdir(), 'netdojo-walk-'));
const dir = join(labs, 'linux/two-hosts');
const file = join(dir, 'lab.yaml');

afterAll(() => {
  removeScope();
  expect(dockerObjects('netdojo.scope', SCOPE)).toEqual([]);
  rmSync(labs, { recursive: true, force: true });
});

describe('walk-through: new → edit as the guide says → validate → dev → replay', () => {
  beforeAll(async () => {
    const made = await netdojo(['new', 'linux/two-hosts', '--labs', labs]);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`created ${file}`);
  });

  it('the scaffold validates (strict: not even a warning) and replays green as generated', async () => {
    const v = await netdojo(['validate', '--strict', dir]);
    expect(v.stdout).toContain('1 lab valid, 0 with errors');
    expect(v.code).toBe(0);
    const r = await netdojo(['replay', dir]);
    expect(r.stdout).toMatch(/PASS\s+two-hosts/);
    expect(r.stdout).toContain('before solve: FAIL ✓');
    expect(r.code).toBe(0);
  }, 240_000);

  it('refuses to overwrite it', async () => {
    const again = await netdojo(['new', 'linux/two-hosts', '--labs', labs]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists \(use --force/);
  });

  it('the guide\'s two-host version validates', async () => {
    const scaffold = readFileSync(file, 'utf8');
    // "Keep the top of the file … and replace everything from `environment:` to the end with:"
    writeFileSync(file, scaffold.slice(0, scaffold.indexOf('\nenvironment:') + 1) + guideBlock('walkthrough:lab.yaml'));
    const v = await netdojo(['validate', '--strict', dir]);
    expect(v.stdout).toContain('1 lab valid, 0 with errors');
    expect(v.code).toBe(0);
  });

  it('netdojo dev: check fails, solve, check passes, a typo is caught on save, replay --from is green, quit removes all', async () => {
    const dev = Driven.start(['dev', dir]);
    try {
      await dev.waitFor(/ready: 2 step\(s\); the current step is address-web/);
      const session = (await dev.waitFor(/sandbox (dev-[0-9a-f]+) ready/))[1]!;
      expect(dockerObjects('netdojo.session', session).length).toBeGreaterThan(0);

      await dev.run('check', /check address-web: 0\/1 pass/);
      expect(dev.out).toMatch(/✗ client-pings-web: .*10\.0\.0\.20/);
      expect(dev.out).toContain('hint:     Add the address on web');
      await dev.run('solve', /solve address-web: done/);
      await dev.run('check address-web', /check address-web: 1\/1 pass/);

      // a typo while the session runs: reported with its line, the last valid version stays
      const good = readFileSync(file, 'utf8');
      const from = dev.out.length;
      let from2 = from;
      writeFileSync(file, good.replace('    solve:\n      - { host: web, background: true', '    solvee:\n      - { host: web, background: true'));
      try {
        await dev.waitFor(/lab\.yaml:\d+:\d+: error: unknown field 'solvee' in step 'serve' \(did you mean 'solve'\?\)/, 20_000, from);
        await dev.waitFor(/1 error\(s\); still using the last valid version/, 5_000, from);
      } finally {
        from2 = dev.out.length;
        writeFileSync(file, good);
      }
      await dev.waitFor(/lab\.yaml: valid, 2 step\(s\); reloaded/, 20_000, from2);

      await dev.run('check serve', /check serve: 0\/1 pass/);
      await dev.run('solve serve', /solve serve: done/);
      // the server starts in the background: a check typed at once may beat it, as for a learner
      for (let tries = 1; (await dev.run('check serve', /check serve: (\d)\/1 pass/))[1] !== '1'; tries++) {
        if (tries >= 10) throw new Error(`check serve never passed after the solve:\n${dev.out.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await dev.run('steps', /2\. serve \(solved\)/);
      await dev.run('shell web', /shell needs a terminal/);
      await dev.run('replay --from address-web', /replay from address-web: (PASSED|FAILED)/, 180_000);
      expect(dev.out).toContain('replay from address-web: PASSED (2 step(s))');
      const second = [...dev.out.matchAll(/sandbox (dev-[0-9a-f]+) ready/g)].map((m) => m[1]!);
      expect(second.length).toBe(2); // the replay started from a fresh sandbox
      expect(dockerObjects('netdojo.session', session)).toEqual([]);

      dev.send('quit');
      expect(await dev.exited).toBe(0);
      expect(dev.out).toContain(`removed sandbox ${second[1]}`);
      expect(dockerObjects('netdojo.session', second[1]!)).toEqual([]);
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 300_000);

  it('replay is green', async () => {
    const r = await netdojo(['replay', dir]);
    expect(r.stdout).toMatch(/PASS\s+two-hosts/);
    expect(r.stdout).toMatch(/labs: 1 passed, 0 failed/);
    expect(r.code).toBe(0);
  }, 240_000);

  it('replay --step --keep leaves a failing sandbox up with a way in and out; netdojo rm removes it', async () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace('bodyMatches: "Hostname: web"', 'bodyMatches: "Hostname: nope"'));
    const r = await netdojo(['replay', dir, '--step', 'serve', '--keep']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('serve/client-gets-page after solve: FAIL');
    expect(r.stdout).not.toContain('address-web/client-pings-web before solve'); // fast-forwarded, not judged
    const session = /sandbox (replay-[0-9a-f]+) was left up/.exec(r.stdout)?.[1];
    expect(session).toBeDefined();
    expect(r.stdout).toContain(`docker exec -it netdojo-${session}-client bash`);
    expect(r.stdout).toContain(`netdojo rm ${session}`);
    expect(dockerObjects('netdojo.session', session!).length).toBeGreaterThan(0);

    const rm = await netdojo(['rm', session!]);
    expect(rm.stdout).toMatch(new RegExp(`removed ${session} \\(\\d+ objects\\)`));
    expect(rm.code).toBe(0);
    expect(dockerObjects('netdojo.session', session!)).toEqual([]);
    const again = await netdojo(['rm', session!]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no sandbox with session id ${session}`);

    const bad = await netdojo(['replay', dir, '--step', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no step 'nope' in lab two-hosts (steps: address-web, serve)");
  }, 240_000);

  it('Ctrl-C (SIGINT) in netdojo dev removes the sandbox', async () => {
    const dev = Driven.start(['dev', dir]);
    try {
      const session = (await dev.waitFor(/sandbox (dev-[0-9a-f]+) ready/))[1]!;
      await dev.waitFor(/ready: 2 step/);
      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(130);
      expect(dev.out).toContain(`removed sandbox ${session}`);
      expect(dockerObjects('netdojo.session', session)).toEqual([]);
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 120_000);

  it('shell <host> in netdojo dev is a real TTY into the host (node-pty), and comes back to the prompt', async () => {
    const pty = await import('node-pty');
    const p = pty.spawn(process.execPath, [CLI, 'dev', dir], { cols: 100, rows: 30, env: ENV as Record<string, string> });
    let out = '';
    p.onData((d) => (out += d));
    const exited = new Promise<number>((r) => p.onExit((e) => r(e.exitCode)));
    const waitFor = async (re: RegExp, ms = 90_000) => {
      const until = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > until) throw new Error(`terminal never showed ${re}; got:\n${out.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/dev two-hosts \[address-web\]> /);
      p.write('shell web\r');
      await waitFor(/shell on web/);
      await waitFor(/root@web:/);
      p.write('echo MARK-$((6*7)) $(hostname) $(tty)\r');
      await waitFor(/MARK-42 web \/dev\/pts\/\d+/);
      p.write('exit\r');
      await waitFor(/back from web/);
      p.write('quit\r');
      expect(await exited).toBe(0);
      expect(out).toMatch(/removed sandbox dev-[0-9a-f]+/);
    } finally {
      p.kill('SIGKILL');
    }
  }, 150_000);
});
