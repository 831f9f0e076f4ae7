export const DEFAULTS = {
  maxSessions: 20,
  ttlMs: 2 * 60 * 60_000,
  idleMs: 30 * 60_000,
  createPerMinute: 6,
  createBurst: 6,
  maxSessionsPerClient: 3,
  retentionMs: 30 * 24 * 60 * 60_000,
  reaperIntervalMs: 15_000,
};
