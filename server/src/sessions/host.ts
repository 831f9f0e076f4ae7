// What the Docker engine says about itself: is it up, and does it isolate with a user namespace?
import Docker from 'dockerode';

export interface EngineStatus {
  docker: boolean;
  userns: boolean;
  error?: string;
}

export function engineProbe(cacheMs = 15_000): () => Promise<EngineStatus> {
  const docker = new Docker();
  let cached: { at: number; status: EngineStatus } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.status;
    let status: EngineStatus;
    try {
      const info = (await docker.info()) as { SecurityOptions?: string[] };
      status = { docker: true, userns: (info.SecurityOptions ?? []).some((o) => o.includes('name=userns')) };
    } catch (err) {
      status = { docker: false, userns: false, error: err instanceof Error ? err.message : String(err) };
    }
    cached = { at: Date.now(), status };
    return status;
  };
}
