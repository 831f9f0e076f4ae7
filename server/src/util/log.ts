// The server's log format: human-readable (pino-pretty) when stdout is a terminal, one JSON
// object per line otherwise (files, journald, log shippers). NETDOJO_LOG_FORMAT=pretty|json
// overrides the guess.
import type { LoggerOptions } from 'pino';

export type LogFormat = 'pretty' | 'json';

export function logFormat(stdout: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const forced = env.NETDOJO_LOG_FORMAT;
  if (forced === 'pretty' || forced === 'json') return forced;
  return stdout.isTTY ? 'pretty' : 'json';
}

/** pino (and fastify `logger`) options for this format */
export function loggerOptions(level: string, format: LogFormat = logFormat()): LoggerOptions {
  if (format === 'json') return { level };
  return {
    level,
    transport: {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  };
}
