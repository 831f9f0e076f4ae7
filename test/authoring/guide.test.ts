// The authoring docs cannot drift: docs/reference.md is what the generator writes now; the guide's
// labs validate (and its worked example replays green on Docker); what the guide quotes from the
// runner is what the runner says; every lab and the VS Code settings point editors at the schema.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLabName, scaffoldText } from '../../server/src/authoring/scaffold.js';
import { referenceIsCurrent, renderReference } from '../../server/src/authoring/reference.js';
import { findLabFiles, REPO_ROOT, SCHEMA_FILE } from '../../server/src/labs/paths.js';
import { parseLab } from '../../server/src/labs/loader.js';
import { CHECK_KINDS } from '../../server/src/labs/schema.js';
import { dockerObjects, GUIDE, guideBlock, netdojo, removeScope, SCOPE } from './helpers.js';

const tmp = join(tmpdir(), `netdojo-guide-${process.pid}`);
afterAll(() => {
  removeScope();
  expect(dockerObjects('netdojo.scope', SCOPE)).toEqual([]);
  rmSync(tmp, { recursive: true, force: true });
});

/** Parses `text` as if it were labs/<track>/<id>/lab.yaml in a scratch catalog. */
function parseAs(track: string, id: string, text: string) {
  const file = join(tmp, track, id, 'lab.yaml');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { file, ...parseLab(text, file) };
}

describe('netdojo new', () => {
  it('generates a lab with no problem at all, schema line first', () => {
    const text = scaffoldText('linux', 'my-lab', '../../../schema/lab.schema.json');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schema/lab.schema.json');
    const { lab, problems } = parseAs('linux', 'my-lab', text);
    expect(problems).toEqual([]);
    expect(lab?.steps[0]).toMatchObject({ setup: [expect.anything()], solve: [expect.anything()] });
    expect(lab?.title).toEqual({ en: 'My lab', ko: 'My lab' });
  });
  it('rejects names that are not <track>/<id>', () => {
    expect(() => parseLabName('my-lab')).toThrow(/expected <track>\/<id>/);
    expect(() => parseLabName('linux/My_Lab')).toThrow(/invalid id 'My_Lab'/);
    expect(parseLabName('k8s/x-1/')).toEqual({ track: 'k8s', id: 'x-1' });
  });
});

describe('docs/reference.md', () => {
  it('is what `netdojo docs --write` generates now', async () => {
    expect(await referenceIsCurrent(), 'docs/reference.md is stale: run ./bin/netdojo.mjs docs --write').toBe(true);
  });
  it('has every check kind with a real failure message', () => {
    const ref = renderReference();
    for (const kind of CHECK_KINDS) expect(ref).toMatch(new RegExp(`## \`${kind}\` check[\\s\\S]*?> ✗ \\S`));
  });
  it('`netdojo docs --check` agrees', async () => {
    const r = await netdojo(['docs', '--check']);
    expect(r.stdout).toContain('docs/reference.md is up to date');
    expect(r.code).toBe(0);
  });
});

describe('docs/authoring.md', () => {
  const guide = readFileSync(GUIDE, 'utf8');
  it('links only to anchors that exist', () => {
    const ref = renderReference();
    const anchors = (md: string) => new Set([...md.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
    const own = anchors(guide);
    const theirs = anchors(ref);
    for (const [, target] of guide.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [path, hash] = target!.split('#');
      if (!path) expect(own, `#${hash}`).toContain(hash);
      else if (path === 'reference.md') hash && expect(theirs, target).toContain(hash);
      else expect(existsSync(resolve(dirname(GUIDE), path)), target).toBe(true);
    }
  });
  it('quotes the runner\'s own messages', () => {
    const runner = ['server/src/runner/replay.ts', 'server/src/steps/lifecycle.ts', 'server/src/steps/variants.ts'].map((f) => readFileSync(join(REPO_ROOT, f), 'utf8')).join('\n');
    for (const phrase of ['passed before the solve — it proves nothing', 'still fails after the solve', 'fast-forward', 'the solve is not repeatable', 'fix it or declare repeatable: false', 'not caught: every check passes after this wrong', 'a correct solution is rejected']) {
      expect(guide).toContain(phrase);
      expect(runner).toContain(phrase);
    }
  });
  it('its worked example validates without a warning', () => {
    const { problems, lab } = parseAs('linux', 'netns-port-forward', guideBlock('example:port-forward').replace('$schema=../../../schema', `$schema=${dirname(SCHEMA_FILE)}`));
    expect(problems).toEqual([]);
    expect(lab?.environment.hosts.map((h) => h.name)).toEqual(['gw', 'client']);
  });
  it('its worked example replays green on Docker', async () => {
    const dir = join(tmp, 'replay/linux/netns-port-forward');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lab.yaml'), guideBlock('example:port-forward').replace('$schema=../../../schema', `$schema=${dirname(SCHEMA_FILE)}`));
    const r = await netdojo(['replay', dir]);
    expect(r.stdout).toContain('default-route/client-reaches-gw before solve: PASS ✓'); // passesBeforeSolve
    expect(r.stdout).toContain('port-forward/client-gets-red before solve: FAIL ✓');
    expect(r.stdout).toMatch(/PASS\s+netns-port-forward/);
    expect(r.code).toBe(0);
  }, 240_000);
});

describe('editor support', () => {
  it('.vscode/settings.json maps labs/**/lab.yaml to the published schema', () => {
    const settings = JSON.parse(readFileSync(join(REPO_ROOT, '.vscode/settings.json'), 'utf8')) as { 'yaml.schemas': Record<string, string[]> };
    const entries = Object.entries(settings['yaml.schemas']);
    expect(entries).toContainEqual(['./schema/lab.schema.json', ['labs/**/lab.yaml']]);
    for (const [schema] of entries) expect(existsSync(join(REPO_ROOT, schema))).toBe(true);
  });
  it('every lab in labs/ starts with a $schema line that resolves to the schema', async () => {
    const { files } = await findLabFiles([join(REPO_ROOT, 'labs')]);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const first = readFileSync(f, 'utf8').split('\n')[0]!;
      const ref = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
      expect(ref, f).toBeDefined();
      expect(resolve(dirname(f), ref!), f).toBe(SCHEMA_FILE);
    }
  });
  it('the schema completes and rejects: fields have descriptions, unknown fields are not allowed', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['apiVersion', 'environment', 'steps']));
  });
});

