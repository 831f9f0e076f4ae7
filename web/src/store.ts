// The learner's session for each lab, kept in localStorage so a reload resumes it.
export interface StoredSession {
  id: string;
  token: string;
  expiresAt: string;
}

const key = (lab: string) => `netdojo.session.${lab}`;

export function loadSession(lab: string): StoredSession | null {
  try {
    const raw = localStorage.getItem(key(lab));
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof s.id !== 'string' || typeof s.token !== 'string') return null;
    return { id: s.id, token: s.token, expiresAt: typeof s.expiresAt === 'string' ? s.expiresAt : '' };
  } catch {
    return null;
  }
}

export function saveSession(lab: string, s: StoredSession): void {
  try {
    localStorage.setItem(key(lab), JSON.stringify(s));
  } catch {
    /* storage full or disabled: the session still works until the page closes */
  }
}

export function forgetSession(lab: string): void {
  try {
    localStorage.removeItem(key(lab));
  } catch {
    /* nothing stored */
  }
}
