import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tarOf } from './tar.js';

const dir = mkdtempSync(join(tmpdir(), 'netdojo-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tarOf', () => {
  it('packs a folder owned by root, keeping modes, nesting and symlinks (read back with tar)', async () => {
    mkdirSync(join(dir, 'src/conf'), { recursive: true });
    writeFileSync(join(dir, 'src/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(dir, 'src/conf/a.conf'), 'x=1\n', { mode: 0o600 });
    symlinkSync('conf/a.conf', join(dir, 'src/link'));
    writeFileSync(join(dir, 'out.tar'), await tarOf(join(dir, 'src')));
    const listing = execFileSync('tar', ['-tvf', join(dir, 'out.tar'), '--numeric-owner'], { encoding: 'utf8' });
    const line = (name: string) => listing.split('\n').find((l) => l.split(/\s+/)[5] === name) ?? '';
    expect(line('run.sh')).toMatch(/^-rwxr-xr-x 0\/0 /);
    expect(line('conf/a.conf')).toMatch(/^-rw------- 0\/0 /);
    expect(line('link')).toMatch(/^l\S+ 0\/0 .* link -> conf\/a\.conf$/); // a symlink's own mode means nothing on Linux
    expect(line('conf')).toMatch(/^d/);
    mkdirSync(join(dir, 'x'));
    execFileSync('tar', ['-xf', join(dir, 'out.tar'), '-C', join(dir, 'x')]);
    expect(execFileSync('sh', [join(dir, 'x/run.sh')], { encoding: 'utf8' })).toBe('hi\n');
  });
});
