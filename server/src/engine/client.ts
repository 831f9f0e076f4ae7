// The one Docker client of the process (DOCKER_HOST and friends are honoured by docker-modem).
import Docker from 'dockerode';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** true when a Docker API error is "not found" (removal of something already gone). */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** Reads a stream to its end as one Buffer (dockerode hands out a Buffer directly when not following). */
export async function readAll(stream: NodeJS.ReadableStream | Buffer): Promise<Buffer> {
  if (Buffer.isBuffer(stream)) return stream;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
