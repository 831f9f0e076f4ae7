// What to tell an author about a sandbox left up after a failure (`replay --keep`, `netdojo dev`).
import type { LabRun } from '../runner/types.js';
import { containerName, LABEL } from '../sandbox/docker/names.js';
import type { ProviderName } from '../sandbox/types.js';

/** The shell command that removes every Docker object of a session (what `netdojo rm` does). */
export function dockerRemoveCommand(sessionId: string): string {
  const f = `--filter label=${LABEL.session}=${sessionId}`;
  return `docker rm -f $(docker ps -aq ${f}); docker network rm $(docker network ls -q ${f}); docker volume rm $(docker volume ls -q ${f})`;
}

/** Lines: how to get a shell into each host of a kept sandbox and how to remove it. */
export function keptHelp(sessionId: string, hosts: string[], provider: ProviderName = 'docker'): string[] {
  const lines = [`sandbox ${sessionId} was left up`];
  if (provider === 'docker') {
    lines.push('  a shell into a host:');
    for (const h of hosts) lines.push(`    docker exec -it ${containerName(sessionId, h)} bash`);
  }
  lines.push('  remove it when done:', `    netdojo rm ${sessionId}`);
  if (provider === 'docker') lines.push(`    or: ${dockerRemoveCommand(sessionId)}`);
  return lines;
}

export function keptRunHelp(run: LabRun, hosts: string[], provider: ProviderName = 'docker'): string {
  return run.kept && run.sessionId ? `${keptHelp(run.sessionId, hosts, provider).join('\n')}\n` : '';
}
