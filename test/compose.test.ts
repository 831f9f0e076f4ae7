// docker-compose.yml is checked with Debian's Compose tool (installed by .ci/run): it must parse,
// build the server from infra/, mount the host's Docker socket, keep data on a volume, and point
// the server at that volume.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');

describe('docker-compose.yml', () => {
  it('is valid for the Compose tool and runs the platform with the socket and a data volume', () => {
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8' });
    const config = parse(out) as {
      services: Record<string, { build: { dockerfile: string }; volumes: string[]; environment?: Record<string, string>; ports: string[] }>;
      volumes: Record<string, unknown>;
    };
    const svc = config.services.netdojo!;
    expect(svc.build.dockerfile).toBe('infra/server/Dockerfile');
    expect(svc.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:rw');
    const dataMount = svc.volumes.find((v) => v.startsWith('netdojo-data:'));
    expect(dataMount).toBeDefined();
    expect(Object.keys(config.volumes)).toContain('netdojo-data');
    const dataDir = dataMount!.split(':')[1];
    const dockerfile = readFileSync(resolve(ROOT, 'infra/server/Dockerfile'), 'utf8');
    expect(`${dockerfile}\n${JSON.stringify(svc.environment ?? {})}`).toContain(`NETDOJO_DATA=${dataDir}`);
  });
});
