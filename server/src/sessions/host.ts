// What the Docker engine says about itself: is it up, and does it isolate with a user namespace?
import { engineFacts } from '../engine/facts.js';

export interface EngineStatus {
  docker: boolean;
  userns: boolean;
  /** the storage driver enforces per-container disk quotas (StorageOpt size) */
  diskQuota?: boolean;
  storageDriver?: string;
  error?: string;
}

/** the engine's state for the gate and /api/health, from the shared engine facts (engine/facts.ts) */
export function engineProbe(cacheMs = 15_000): () => Promise<EngineStatus> {
  return async () => {
    const facts = await engineFacts({ maxAgeMs: cacheMs });
    return facts.reachable ? { docker: true, userns: facts.userns, diskQuota: facts.diskQuota, storageDriver: facts.storageDriver } : { docker: false, userns: false, error: facts.error };
  };
}
