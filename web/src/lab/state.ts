// What the lab page knows, shared by its parts: the session controller changes it, the steps
// pane, the terminal tabs and the clock render it.
import type { CheckResponse, LabDetail, Progress, SessionInfo } from '../api.js';
import type { StoredSession } from '../store.js';
import type { HintsShown } from './hints.js';

export type Phase = 'loading' | 'missing' | 'idle' | 'starting' | 'ready' | 'ended' | 'error';

export interface LabState {
  readonly labId: string;
  lab: LabDetail | null;
  phase: Phase;
  errorText: string;
  /** id and token (kept in localStorage per lab, so a reload resumes the same sandbox) */
  session: StoredSession | null;
  info: SessionInfo | null;
  progress: Progress;
  /** the step shown (may be behind the current one) */
  viewIndex: number;
  busy: 'check' | 'solve' | 'restart' | null;
  results: Map<string, CheckResponse>;
  solveOutput: Map<string, { ok: boolean; output: string }>;
  /** an error of the last check or solve, shown above the results */
  stepNotice: string | null;
  /** what happened to the sandbox (a restart), shown above the step */
  sandboxNotice: string | null;
  /** how many levels of each hint the learner has revealed */
  hintsShown: HintsShown;
}

export function initialState(labId: string, session: StoredSession | null): LabState {
  return {
    labId,
    lab: null,
    phase: 'loading',
    errorText: '',
    session,
    info: null,
    progress: { currentStep: null, completed: [], redo: [] },
    viewIndex: 0,
    busy: null,
    results: new Map(),
    solveOutput: new Map(),
    stepNotice: null,
    sandboxNotice: null,
    hintsShown: new Map(),
  };
}

/** Index of the first step not yet completed (steps.length when all are done). */
export function currentIndex(s: LabState): number {
  if (!s.lab) return 0;
  const { progress, lab } = s;
  if (progress.currentStep) {
    const i = lab.steps.findIndex((st) => st.id === progress.currentStep);
    if (i >= 0) return i;
  }
  const done = new Set(progress.completed);
  const i = lab.steps.findIndex((st) => !done.has(st.id));
  return i === -1 ? lab.steps.length : i;
}

export const isDone = (s: LabState, id: string): boolean => s.progress.completed.includes(id);
/** completed once, reopened by a restart at an earlier step: to do again (may still be restarted at) */
export const isRedo = (s: LabState, id: string): boolean => (s.progress.redo ?? []).includes(id);
