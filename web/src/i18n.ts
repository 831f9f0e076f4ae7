// UI strings in English and Korean, and the learner's current locale.
// The locale defaults to the browser's language and is remembered in localStorage.

import type { Locale, Text } from '../../server/src/protocol/http.js';

export type { Locale, Text };

const en = {
  skipToContent: 'Skip to content',
  language: 'Language',
  catalogTitle: 'Labs',
  catalogIntro: 'Hands-on labs in container and Kubernetes networking. Each lab gives you a private sandbox and a real terminal.',
  loading: 'Loading…',
  loadError: 'Could not load: {msg}',
  retry: 'Try again',
  serverStatus: 'This server',
  dockerOk: 'Docker available',
  dockerMissing: 'Docker not available',
  usernsOk: 'sandboxes isolated by user namespaces',
  usernsMissing: 'no user-namespace isolation',
  levelBeginner: 'Beginner',
  levelIntermediate: 'Intermediate',
  levelAdvanced: 'Advanced',
  minutes: '{n} min',
  hosts: '{n} hosts',
  oneHost: '1 host',
  requires: 'Needs',
  unavailable: 'Unavailable',
  unavailableReason: 'Cannot run on this server: {reason}',
  start: 'Start lab',
  startNamed: 'Start lab: {title}',
  resume: 'Resume',
  resumeNamed: 'Resume lab: {title}',
  kindWarning: 'Runs a kind cluster whose nodes are privileged: only for your own machine or CI.',
  trackLinux: 'Linux networking',
  trackDocker: 'Docker networking',
  trackKubernetes: 'Kubernetes networking',
  trackCalico: 'Calico',
  trackByHand: 'Kubernetes networking by hand',
  noLabs: 'No labs are installed on this server.',
  labNotFound: 'There is no lab named “{id}”.',
  backToCatalog: 'All labs',
  startIntro: 'Starting creates a private sandbox for you. Your progress is kept in this browser.',
  starting: 'Starting your sandbox…',
  terminalHere: 'Your terminal opens here once the lab starts.',
  startFailed: 'The sandbox could not start: {msg}',
  steps: 'Steps',
  stepOf: 'Step {n} of {total}',
  progressLabel: '{done} of {total} steps done',
  stepDone: 'done',
  stepCurrent: 'current step',
  stepLocked: 'locked: finish the previous steps first',
  stepRedo: 'done before the restart: to do again',
  redoNotice: 'You completed this step before restarting at an earlier step; its state is not in this sandbox, so do it again (or restart at this step).',
  hint: 'Hint',
  hintLevel: 'Hint {n} of {total}',
  anotherHint: 'Another hint',
  restartStep: 'Restart at this step',
  restartStepLabel: 'Restart the sandbox at step {n}: {title}',
  restartConfirm: 'Replace your sandbox with a fresh one at the start of step {n}? What you typed in the terminals is lost; steps from {n} on are to be done again (your record of completing them is kept).',
  restarting: 'Restarting your sandbox at step {n}…',
  restartedAt: 'Sandbox restarted at step {n}.',
  restartFailed: 'The sandbox could not be restarted; your old one is still running: {msg}',
  check: 'Check',
  checking: 'Checking…',
  checkLabel: 'Check this step',
  solve: 'Solve this step',
  solveConfirm: 'Run the reference solution for this step in your sandbox?',
  solving: 'Solving…',
  solveOutput: 'What the solution ran',
  solveFailed: 'The solution did not finish cleanly.',
  next: 'Next step',
  prev: 'Previous step',
  checkResults: 'Check results',
  notChecked: 'Not checked yet',
  pass: 'passed',
  fail: 'failed',
  allPassed: 'All {n} checks passed.',
  someFailed: '{failed} of {n} checks failed.',
  expectedActual: 'Expected / actual',
  expected: 'Expected',
  actual: 'Actual',
  stepLockedError: 'This step is still locked: finish the previous steps first.',
  labComplete: 'Lab complete: every step passed. Well done!',
  runInTerminal: 'Run',
  runLabel: 'Run in the terminal: {cmd}',
  runOnHost: 'Run on {host}',
  terminals: 'Terminals',
  terminalHelp: 'Tab completes commands in the terminal. Press F6 to move to the lab steps, Shift+F6 to the terminal tabs.',
  terminalFor: 'Terminal on {host}',
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  disconnected: 'disconnected',
  shellExited: 'shell exited (code {code})',
  shellEnded: 'shell ended',
  reconnect: 'Reconnect',
  sessionTimer: 'Session time left',
  expiresIn: '{time} left',
  lessThanMinute: '< 1 min',
  expiresSoon: 'Your session ends in {time}. Save anything you need.',
  sessionEnded: 'This session has ended (it expired or was removed).',
  startNew: 'Start a new session',
  endLab: 'End lab',
  endConfirm: 'End this lab and delete its sandbox?',
  error: 'Something went wrong: {msg}',
  unauthorized: 'This browser no longer holds a valid key for the session.',
  symptoms: 'Symptoms reported in your sandbox',
};

export type Key = keyof typeof en;

const ko: Record<Key, string> = {
  skipToContent: '본문으로 건너뛰기',
  language: '언어',
  catalogTitle: '실습',
  catalogIntro: '컨테이너와 쿠버네티스 네트워킹 실습입니다. 실습마다 나만의 샌드박스와 실제 터미널이 주어집니다.',
  loading: '불러오는 중…',
  loadError: '불러오지 못했습니다: {msg}',
  retry: '다시 시도',
  serverStatus: '이 서버',
  dockerOk: 'Docker 사용 가능',
  dockerMissing: 'Docker 사용 불가',
  usernsOk: '사용자 네임스페이스로 샌드박스 격리',
  usernsMissing: '사용자 네임스페이스 격리 없음',
  levelBeginner: '입문',
  levelIntermediate: '중급',
  levelAdvanced: '고급',
  minutes: '{n}분',
  hosts: '호스트 {n}개',
  oneHost: '호스트 1개',
  requires: '필요',
  unavailable: '사용 불가',
  unavailableReason: '이 서버에서 실행할 수 없습니다: {reason}',
  start: '실습 시작',
  startNamed: '실습 시작: {title}',
  resume: '이어하기',
  resumeNamed: '실습 이어하기: {title}',
  kindWarning: '노드가 특권 컨테이너인 kind 클러스터를 사용합니다. 내 컴퓨터나 CI에서만 사용하세요.',
  trackLinux: '리눅스 네트워킹',
  trackDocker: 'Docker 네트워킹',
  trackKubernetes: '쿠버네티스 네트워킹',
  trackCalico: 'Calico',
  trackByHand: '손으로 만드는 쿠버네티스 네트워킹',
  noLabs: '이 서버에 설치된 실습이 없습니다.',
  labNotFound: '“{id}” 실습이 없습니다.',
  backToCatalog: '실습 목록',
  startIntro: '시작하면 나만의 샌드박스가 만들어집니다. 진행 상황은 이 브라우저에 저장됩니다.',
  starting: '샌드박스를 준비하는 중…',
  terminalHere: '실습을 시작하면 여기에 터미널이 열립니다.',
  startFailed: '샌드박스를 시작하지 못했습니다: {msg}',
  steps: '단계',
  stepOf: '{total}단계 중 {n}단계',
  progressLabel: '{total}단계 중 {done}단계 완료',
  stepDone: '완료',
  stepCurrent: '현재 단계',
  stepLocked: '잠김: 앞 단계를 먼저 마치세요',
  stepRedo: '다시 시작 전에 완료함: 다시 해야 함',
  redoNotice: '앞 단계부터 다시 시작하기 전에 이 단계를 완료했습니다. 지금 샌드박스에는 그 상태가 없으니 다시 하거나, 이 단계부터 다시 시작하세요.',
  hint: '힌트',
  hintLevel: '힌트 {total}개 중 {n}번째',
  anotherHint: '힌트 더 보기',
  restartStep: '이 단계부터 다시 시작',
  restartStepLabel: '{n}단계부터 샌드박스 다시 시작: {title}',
  restartConfirm: '{n}단계 시작 시점의 새 샌드박스로 바꿀까요? 터미널에서 입력한 내용은 사라지고, {n}단계부터는 다시 해야 합니다(완료 기록은 남습니다).',
  restarting: '{n}단계부터 샌드박스를 다시 시작하는 중…',
  restartedAt: '샌드박스를 {n}단계부터 다시 시작했습니다.',
  restartFailed: '샌드박스를 다시 시작하지 못했습니다. 기존 샌드박스는 그대로 실행 중입니다: {msg}',
  check: '확인',
  checking: '확인하는 중…',
  checkLabel: '이 단계 확인하기',
  solve: '이 단계 풀기',
  solveConfirm: '이 단계의 모범 답안을 샌드박스에서 실행할까요?',
  solving: '푸는 중…',
  solveOutput: '답안이 실행한 내용',
  solveFailed: '답안이 정상적으로 끝나지 않았습니다.',
  next: '다음 단계',
  prev: '이전 단계',
  checkResults: '확인 결과',
  notChecked: '아직 확인하지 않음',
  pass: '통과',
  fail: '실패',
  allPassed: '검사 {n}개를 모두 통과했습니다.',
  someFailed: '검사 {n}개 중 {failed}개가 실패했습니다.',
  expectedActual: '기대값 / 실제값',
  expected: '기대값',
  actual: '실제값',
  stepLockedError: '아직 잠긴 단계입니다. 앞 단계를 먼저 마치세요.',
  labComplete: '실습 완료: 모든 단계를 통과했습니다. 수고하셨습니다!',
  runInTerminal: '실행',
  runLabel: '터미널에서 실행: {cmd}',
  runOnHost: '{host}에서 실행',
  terminals: '터미널',
  terminalHelp: '터미널에서 Tab은 명령어 자동 완성입니다. F6을 누르면 실습 단계로, Shift+F6을 누르면 터미널 탭으로 이동합니다.',
  terminalFor: '{host} 터미널',
  connecting: '연결 중…',
  connected: '연결됨',
  reconnecting: '다시 연결하는 중…',
  disconnected: '연결 끊김',
  shellExited: '셸 종료 (코드 {code})',
  shellEnded: '셸 종료됨',
  reconnect: '다시 연결',
  sessionTimer: '세션 남은 시간',
  expiresIn: '{time} 남음',
  lessThanMinute: '1분 미만',
  expiresSoon: '세션이 {time} 후에 끝납니다. 필요한 내용을 저장하세요.',
  sessionEnded: '세션이 끝났습니다 (만료되었거나 삭제됨).',
  startNew: '새 세션 시작',
  endLab: '실습 끝내기',
  endConfirm: '실습을 끝내고 샌드박스를 삭제할까요?',
  error: '문제가 발생했습니다: {msg}',
  unauthorized: '이 브라우저에 세션 키가 더 이상 유효하지 않습니다.',
  symptoms: '내 샌드박스에서 보고된 증상',
};

const tables: Record<Locale, Record<Key, string>> = { en, ko };
const STORAGE_KEY = 'netdojo.locale';

function initialLocale(): Locale {
  const saved = safeGet(STORAGE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    const base = (l ?? '').toLowerCase().split('-')[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

let current: Locale = initialLocale();
const listeners = new Set<(l: Locale) => void>();

export function locale(): Locale {
  return current;
}

export function setLocale(l: Locale): void {
  if (l === current) return;
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

export function onLocaleChange(fn: (l: Locale) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A UI string with `{name}` placeholders filled in. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const s = tables[current][key] ?? en[key];
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Lab text in the current locale, falling back to English. */
export function tx(text: Text | undefined | null): string {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return (current !== 'en' ? text[current] : undefined) ?? text.en;
}

export function levelLabel(level: string): string {
  const key = ({ beginner: 'levelBeginner', intermediate: 'levelIntermediate', advanced: 'levelAdvanced' } as const)[level];
  return key ? t(key) : level;
}

export function trackLabel(track: string): string {
  const key = (
    { linux: 'trackLinux', docker: 'trackDocker', 'k8s-by-hand': 'trackByHand', kubernetes: 'trackKubernetes', calico: 'trackCalico' } as const
  )[track];
  return key ? t(key) : track.charAt(0).toUpperCase() + track.slice(1);
}

export function formatRemaining(ms: number): string {
  if (ms < 60_000) return t('lessThanMinute');
  const min = Math.floor(ms / 60_000);
  if (min < 60) return t('minutes', { n: min });
  const h = Math.floor(min / 60);
  const m = min % 60;
  return current === 'ko' ? `${h}시간 ${m}분` : `${h} h ${m} min`;
}

/** Exposed for the tests that check both tables carry every key. */
export const strings = tables;
