// The shells of every session (terminal/bridge.ts); closed at shutdown, after the sessions stop
// changing and the warm pool drained (onClose runs in the reverse order of registration).
import fp from 'fastify-plugin';
import { DEFAULT_BRIDGE, TerminalHub, type BridgeOptions } from '../../terminal/bridge.js';

declare module 'fastify' {
  interface FastifyInstance {
    terminals: TerminalHub;
  }
}

export const terminalsPlugin = fp<{ terminal?: Partial<BridgeOptions> }>(
  async (app, opts) => {
    const hub = new TerminalHub({ ...DEFAULT_BRIDGE, ...opts.terminal });
    app.decorate('terminals', hub);
    app.addHook('onClose', async () => hub.closeAll());
  },
  { name: 'terminals', fastify: '5.x' },
);
