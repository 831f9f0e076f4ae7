// Typed client for the platform's HTTP API (docs/dev/API.md).
// The bodies are the protocol module's types (type-only: the bundle carries no zod).
import type { CheckResponse, CheckResult, CreatedSession, Health, LabDetail, LabSummary, Locale, RestartPrepareResponse, RestartResponse, SessionInfo, SolveResponse } from '../../server/src/protocol/http.js';

export type { CheckResponse, CheckResult, CreatedSession, Health, LabDetail, LabSummary, Progress, RestartResponse, SessionInfo, SolveResponse, StepInfo } from '../../server/src/protocol/http.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    /* a proxy's HTML error page: reported below with the status */
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? 'http', e.message ?? `${res.status} ${res.statusText}`);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  labs: () => request<LabSummary[]>('GET', '/api/labs'),
  lab: (id: string) => request<LabDetail>('GET', `/api/labs/${enc(id)}`),
  health: () => request<Health>('GET', '/api/health'),
  createSession: (lab: string, locale: Locale) => request<CreatedSession>('POST', '/api/sessions', { body: { lab, locale } }),
  session: (id: string, token: string) => request<SessionInfo>('GET', `/api/sessions/${enc(id)}`, { token }),
  deleteSession: (id: string, token: string) => request<void>('DELETE', `/api/sessions/${enc(id)}`, { token }),
  check: (id: string, token: string, step: string, locale: Locale) =>
    request<CheckResponse>('POST', `/api/sessions/${enc(id)}/steps/${enc(step)}/check`, { token, body: { locale } }),
  solve: (id: string, token: string, step: string) =>
    request<SolveResponse>('POST', `/api/sessions/${enc(id)}/steps/${enc(step)}/solve`, { token }),
  restart: (id: string, token: string, step: string) =>
    request<RestartResponse>('POST', `/api/sessions/${enc(id)}/steps/${enc(step)}/restart`, { token }),
  /** the restart confirmation is on screen: the server prepares a sandbox meanwhile */
  prepareRestart: (id: string, token: string, step: string) =>
    request<RestartPrepareResponse>('POST', `/api/sessions/${enc(id)}/steps/${enc(step)}/restart/prepare`, { token }),
};
