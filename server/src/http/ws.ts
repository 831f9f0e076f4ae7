// WS /api/sessions/:id/terminals/:host — the terminal protocol of docs/dev/API.md.
// The token comes in the first message (never in the URL, which lands in logs). Any protocol
// violation closes only this socket, with a code and a reason.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { ServiceError, type SessionService } from '../sessions/service.js';
import { AckBeyondSentError, TerminalLimitError, type Terminal, type TerminalClient, type TerminalHub } from '../terminal/bridge.js';
import { AuthMessage as Auth, ClientControl as Control, firstIssue as issue, type ErrorMessage } from '../protocol/terminal.js';
import { json, TerminalParams } from './schemas.js';
import type { SessionRow } from '../sessions/store.js';

export const MAX_FRAME_BYTES = 64 * 1024;
/** a socket must authenticate this soon after it opens */
export const AUTH_TIMEOUT_MS = 5_000;
/** sockets one client may hold open before they authenticate */
export const MAX_UNAUTHENTICATED_PER_CLIENT = 8;
const MAX_PENDING_FRAMES = 256;

export function terminalRoute(app: FastifyInstance, service: SessionService, hub: TerminalHub, clientOf: (req: FastifyRequest) => string = (req) => req.ip): void {
  const unauthenticated = new Map<string, number>();
  app.get<{ Params: z.infer<typeof TerminalParams> }>(
    '/api/sessions/:id/terminals/:host',
    {
      websocket: true,
      schema: {
        tags: ['terminals'],
        summary: 'WebSocket terminal into one host of the session (protocol: docs/dev/API.md)',
        params: json(TerminalParams),
      },
    },
    (socket: WebSocket, req) => {
      const { id, host } = req.params;
      const log = req.log.child({ session: id, host });
      let phase: 'auth' | 'opening' | 'open' | 'closed' = 'auth';
      let terminal: Terminal | undefined;
      let authed: SessionRow | undefined;
      const pending: Array<{ data: Buffer; binary: boolean }> = [];
      const who = clientOf(req);
      let counted = false;
      const authDone = () => {
        if (!counted) return;
        counted = false;
        const n = (unauthenticated.get(who) ?? 1) - 1;
        if (n > 0) unauthenticated.set(who, n);
        else unauthenticated.delete(who);
      };

      const close = (code: number, reason: string) => {
        if (phase === 'closed') return;
        phase = 'closed';
        clearTimeout(authTimer);
        authDone();
        if (terminal) terminal.detach(client);
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason.slice(0, 120));
      };
      const protocolError = (reason: string) => {
        log.info({ reason }, 'terminal protocol error');
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', message: reason } satisfies ErrorMessage));
        close(1008, reason);
      };
      const client: TerminalClient = {
        sendData: (data, written) => {
          if (socket.readyState === socket.OPEN) socket.send(data, { binary: true }, written ? () => written() : undefined);
        },
        bufferedAmount: () => socket.bufferedAmount,
        sendControl: (msg) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
        },
        close: (code, reason) => {
          terminal = undefined; // the terminal let go of this client already
          if (code !== 1000 || !authed) return close(code, reason);
          // the shell exited: if it died with its sandbox, say why (the session ends with it). The
          // exit message went out already; a loaded engine may call the container running for
          // seconds after its processes are gone, so look for up to 10 s before closing plainly.
          const row = authed;
          void (async () => {
            for (let i = 0; i < 20; i++) {
              try {
                await service.requireRunning(row);
              } catch (err) {
                if (err instanceof ServiceError && err.status === 410) return close(4410, err.message);
              }
              await new Promise((r) => setTimeout(r, 500));
            }
            close(code, reason);
          })();
        },
      };
      const authTimer = setTimeout(() => close(4401, 'unauthorized: no auth message'), AUTH_TIMEOUT_MS);
      if ((unauthenticated.get(who) ?? 0) >= MAX_UNAUTHENTICATED_PER_CLIENT) {
        log.info({ client: who }, 'too many unauthenticated terminal sockets');
        close(4429, 'too many terminal sockets awaiting authentication from this client');
        return;
      }
      unauthenticated.set(who, (unauthenticated.get(who) ?? 0) + 1);
      counted = true;

      const handle = (data: Buffer, binary: boolean) => {
        if (!terminal) return;
        if (binary) {
          terminal.input(data);
          service.touch(id);
          return;
        }
        let msg: z.infer<typeof Control>;
        try {
          const parsed = Control.safeParse(JSON.parse(data.toString('utf8')));
          if (!parsed.success) return protocolError(`bad control message: ${issue(parsed.error)}`);
          msg = parsed.data;
        } catch {
          return protocolError('a text frame must be JSON');
        }
        if (msg.type === 'ack') {
          try {
            terminal.ack(msg.offset);
          } catch (err) {
            if (err instanceof AckBeyondSentError) return protocolError(err.message);
            throw err;
          }
        } else terminal.resize({ cols: msg.cols, rows: msg.rows }).catch((err: unknown) => log.warn({ err: String(err) }, 'resize failed'));
      };

      const authenticate = async (data: Buffer) => {
        let auth: z.infer<typeof Auth>;
        try {
          const parsed = Auth.safeParse(JSON.parse(data.toString('utf8')));
          if (!parsed.success) return protocolError(`the first message must be {"type":"auth",…}: ${issue(parsed.error)}`);
          auth = parsed.data;
        } catch {
          return protocolError('the first message must be a JSON auth message');
        }
        clearTimeout(authTimer);
        authDone();
        phase = 'opening';
        try {
          const row = service.authorize(id, auth.token);
          authed = row;
          const sandbox = service.sandboxOf(row);
          if (!row.hosts.includes(host)) return close(4404, `no host "${host}" in this session`);
          const size = { cols: auth.cols ?? 80, rows: auth.rows ?? 24 };
          const opened = await hub.open(id, host, auth.terminal ?? 'main', () => sandbox.attach(host, size));
          if ((phase as string) === 'closed') return; // the socket went away while the shell started
          terminal = opened.terminal;
          if (terminal.exited) return close(1001, 'the session ended'); // ended while the shell started
          service.touch(id);
          terminal.attach(client, auth.resumeFrom ?? null, opened.fresh);
          // a re-attached screen may hold only the replay: make full-screen programs draw it again
          if (!opened.fresh) terminal.redraw(size).catch((err: unknown) => log.warn({ err: String(err) }, 'resize failed'));
          phase = 'open';
          for (const p of pending.splice(0)) handle(p.data, p.binary);
        } catch (err) {
          if (err instanceof ServiceError) {
            const code = err.status === 404 ? 4404 : err.status === 401 ? 4401 : err.status === 410 ? 4410 : 4409;
            return close(code, code === 4401 ? 'unauthorized' : err.message);
          }
          if (err instanceof TerminalLimitError) return close(4429, err.message);
          try {
            // a shell that cannot start in a dead sandbox: the reason, not Docker's 409
            await service.requireRunning(service.authorize(id, auth.token));
          } catch (e) {
            if (e instanceof ServiceError && e.status === 410) return close(4410, e.message);
          }
          log.error({ err: String(err) }, 'cannot open terminal');
          close(1011, 'the terminal could not be opened');
        }
      };

      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (phase === 'auth') {
          if (isBinary) return protocolError('the first message must be a JSON auth message');
          void authenticate(buf);
        } else if (phase === 'opening') {
          if (pending.length >= MAX_PENDING_FRAMES) return protocolError('too many messages before the terminal was ready');
          pending.push({ data: buf, binary: isBinary });
        } else if (phase === 'open') handle(buf, isBinary);
      });
      socket.on('close', () => {
        if (terminal) terminal.detach(client);
        terminal = undefined;
        phase = 'closed';
        clearTimeout(authTimer);
        authDone();
      });
      socket.on('error', (err) => log.info({ err: err.message }, 'terminal socket error'));
    },
  );
}
