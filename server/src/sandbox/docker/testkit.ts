// Helpers for the docker provider's integration tests (real Docker).
import { randomBytes } from 'node:crypto';
import { Lab, type LabInput } from '../../labs/schema.js';
import type { TerminalStream } from '../types.js';

export function testLab(id: string, environment: LabInput['environment']): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id,
    title: id,
    track: 'test',
    level: 'beginner',
    minutes: 1,
    environment,
    steps: [{ id: 's', title: 's', text: 's', solve: [{ run: 'true' }], checks: [{ id: 'c', shell: { run: 'true' } }] }],
  });
}

/** A session id no other test run uses. */
export const testSession = (tag: string) => `t-${tag}-${randomBytes(3).toString('hex')}`;

/** Collects a terminal's output and waits for a pattern in it. */
export function terminalReader(term: TerminalStream) {
  let text = '';
  term.stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return {
    get text() {
      return text;
    },
    async waitFor(re: RegExp, ms = 10_000): Promise<string> {
      const until = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > until) throw new Error(`terminal output never matched ${re}; got: ${JSON.stringify(text.slice(-500))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return text;
    },
  };
}
