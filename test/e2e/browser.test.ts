// End to end in a real browser: the built web UI served by the real server, a real
// sandbox, a real shell. Headless Chromium (playwright-core) walks a learner through
// netns-veth: catalog → start → type the first step's commands → Check is green →
// reload keeps progress and terminal → a network blip resumes the terminal → ko; then a stuck
// learner: hint levels, results re-rendered in Korean, restarting a step; and a run block of a
// multi-host lab (linux-routing) switching to its host's tab.
// Screenshots land in docs/screenshots/ for the README.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { LabDetail, LabSummary, Text } from '../../server/src/protocol/http.js';
import { freePort } from '../../server/src/util/net.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.NETDOJO_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'docs/screenshots');
const LAB = 'netns-veth';
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };


let server: ResultPromise | undefined;
let serverLog = '';
let base = '';
let dataDir = '';
let profileDir = '';
let context: BrowserContext | undefined;
const created: Array<{ id: string; token: string }> = [];

/** What crossed the terminal sockets, seen from a proxy between page and server. */
const wire = {
  sockets: [] as WebSocketRoute[],
  auths: [] as Array<{ resumeFrom: number | null }>,
  readies: [] as number[],
  acks: [] as number[],
};

const en = (t: Text) => (typeof t === 'string' ? t : t.en);


async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(base + path, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function waitForServer(): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server?.exitCode != null) throw new Error(`netdojo serve exited (${server.exitCode}):\n${serverLog.slice(-3000)}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`netdojo serve did not answer on ${base} within 90 s:\n${serverLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The commands of a step: its ```… run fences (or, failing that, its shell fences). */
function commandsOf(markdown: string): Array<{ host: string | null; lines: string[] }> {
  const blocks = [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```/gm)].map((m) => ({ info: m[1]!.trim().split(/\s+/), body: m[2]! }));
  const run = blocks.filter((b) => b.info.includes('run'));
  const chosen = run.length ? run : blocks.filter((b) => /^(bash|sh|shell|console)$/.test(b.info[0] ?? ''));
  return chosen.map((b) => ({
    host: b.info.find((w) => w.startsWith('host='))?.slice(5) ?? null,
    lines: b.body.split('\n').filter((l) => l.trim() !== ''),
  }));
}

const terminalText = (page: Page) => page.locator('.term-panel:not([hidden]) .xterm-rows').innerText();

async function waitForTerminalText(page: Page, needle: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (n) => (document.querySelector('.term-panel:not([hidden]) .xterm-rows')?.textContent ?? '').includes(n),
    needle,
    { timeout, polling: 100 },
  );
}

/** Waits for the visible terminal to be connected; a sandbox that failed to start fails at once. */
/** Waits until `line` was echoed and the shell shows its prompt again (like a learner would). */
async function waitForPrompt(page: Page, line: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (l) => {
      const rows = [...document.querySelectorAll('.term-panel:not([hidden]) .xterm-rows > div')].map((r) => (r.textContent ?? '').trimEnd());
      const text = rows.join('\n');
      const last = rows.filter((r) => r.trim() !== '').pop() ?? '';
      return text.includes(l.trim()) && /[#$]$/.test(last);
    },
    line,
    { timeout, polling: 100 },
  );
}

async function waitConnected(page: Page, timeout = 120_000): Promise<void> {
  const el = await page.waitForSelector('.tab[aria-selected="true"][data-status="connected"], .start-box .error', { timeout });
  if (await el.evaluate((e) => e.classList.contains('error'))) throw new Error(`the lab did not start: ${await el.innerText()}`);
}

/** A screenshot with the steps pane at its top, or scrolled so that `reveal` is in view. */
async function shot(page: Page, name: string, reveal?: string): Promise<void> {
  await page.evaluate((sel) => {
    if (sel) document.querySelector(sel)?.scrollIntoView({ block: 'end' });
    else document.querySelector('.steps-pane')?.scrollTo(0, 0);
  }, reveal);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, name) });
}

describe('learner web UI in headless Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set NETDOJO_CHROMIUM`);
    }
    await execa('npm', ['run', 'build:web'], { cwd: ROOT, timeout: 180_000 });
    if (!existsSync(join(ROOT, 'web/dist/index.html'))) throw new Error('npm run build:web produced no web/dist/index.html');
    mkdirSync(SHOTS, { recursive: true });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'netdojo-e2e-data-'));
    server = execa(join(ROOT, 'bin/netdojo.mjs'), ['serve', '--port', String(port), '--data', dataDir, '--log-level', 'info'], {
      cwd: ROOT,
      reject: false,
      all: true,
      env: { NETDOJO_RATE: '0' },
    });
    server.all?.on('data', (b: Buffer) => (serverLog = (serverLog + b.toString()).slice(-20_000)));
    await waitForServer();

    profileDir = mkdtempSync(join(tmpdir(), 'netdojo-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: WIDE,
      locale: 'en-US',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // Every terminal socket goes through this proxy so the test can read the protocol
    // and cut the connection like a network blip would.
    await context.routeWebSocket(/\/api\/sessions\/[^/]+\/terminals\//, (ws) => {
      const upstream = ws.connectToServer();
      wire.sockets.push(ws);
      ws.onMessage((m) => {
        if (typeof m === 'string') {
          const msg = JSON.parse(m) as { type: string; resumeFrom?: number | null; offset?: number };
          if (msg.type === 'auth') wire.auths.push({ resumeFrom: msg.resumeFrom ?? null });
          if (msg.type === 'ack') wire.acks.push(msg.offset!);
        }
        upstream.send(m);
      });
      upstream.onMessage((m) => {
        if (typeof m === 'string') {
          const msg = JSON.parse(m) as { type: string; offset?: number };
          if (msg.type === 'ready') wire.readies.push(msg.offset!);
        }
        ws.send(m);
      });
    });
    context.on('response', async (res) => {
      if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/api/sessions' && res.status() === 201) {
        const body = (await res.json()) as { id: string; token: string };
        created.push({ id: body.id, token: body.token });
      }
    });
  }, 240_000);

  afterAll(async () => {
    const problems: string[] = [];
    for (const s of created) {
      const res = await fetch(`${base}/api/sessions/${s.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } }).catch(
        (e: Error) => ({ ok: false, status: 0, statusText: e.message }),
      );
      if (!res.ok && res.status !== 404) problems.push(`DELETE session ${s.id}: ${res.status} ${res.statusText}`);
    }
    await context?.close().catch(() => undefined);
    if (server && server.exitCode == null) {
      server.kill('SIGTERM');
      const exited = await Promise.race([server.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
      if (!exited) server.kill('SIGKILL');
    }
    // Nothing labelled with our sessions may be left on the engine.
    for (const s of created) {
      const { stdout, failed } = await execa('docker', ['ps', '-aq', '--filter', `label=netdojo.session=${s.id}`], { reject: false });
      if (!failed && stdout.trim()) {
        problems.push(`containers left for session ${s.id}: ${stdout.trim().split('\n').join(' ')}`);
        await execa('docker', ['rm', '-f', ...stdout.trim().split('\n')], { reject: false });
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    if (problems.length) throw new Error(problems.join('\n'));
  }, 120_000);

  it('walks a learner through netns-veth: catalog, terminal, checks, reload, blip, Korean', async () => {
    const page = await context!.newPage();
    onTestFailed(async () => {
      // What the learner saw, and what the server said, to make a failure readable.
      const dir = join(ROOT, 'test-results');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'browser-failure.png') }).catch(() => undefined);
      const seen = await page.locator('main').innerText().catch(() => '(no page)');
      console.error(`--- page text (screenshot: test-results/browser-failure.png) ---\n${seen.slice(0, 3000)}`);
      console.error(`--- netdojo serve log (tail) ---\n${serverLog.slice(-4000)}`);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const labs = await api<LabSummary[]>('/api/labs');
    const lab = await api<LabDetail>(`/api/labs/${LAB}`);
    expect(lab.available, `netns-veth must be runnable here: ${lab.unavailableReason ?? ''}`).toBe(true);

    // Nothing may come from outside the server.
    const foreign: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (!['http:', 'ws:', 'data:'].includes(u.protocol) || (u.protocol !== 'data:' && u.host !== new URL(base).host)) foreign.push(r.url());
    });

    // ---- catalog: every lab, unavailable ones with their reason --------------------
    await page.goto(base + '/');
    const card = page.locator(`.card[data-lab="${LAB}"]`);
    await card.waitFor();
    await expect(card.locator('h3').innerText()).resolves.toBe(en(lab.title));
    expect(await page.locator('.card').count()).toBe(labs.length);
    for (const l of labs.filter((x) => !x.available)) {
      const c = page.locator(`.card[data-lab="${l.id}"]`);
      expect(await c.getAttribute('class')).toContain('unavailable');
      expect(await c.locator('.reason').innerText()).toContain(l.unavailableReason ?? '');
      expect(await c.locator('button').isDisabled()).toBe(true);
    }
    await shot(page, 'catalog-wide.png');
    await page.screenshot({ path: join(SHOTS, 'catalog-wide-full.png'), fullPage: true });
    await page.setViewportSize(NARROW);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await shot(page, 'catalog-narrow.png');
    await page.setViewportSize(WIDE);

    // ---- start the lab -------------------------------------------------------------
    await card.getByRole('link', { name: /Start lab/ }).click();
    await page.waitForURL(`${base}/labs/${LAB}`);
    await waitConnected(page);
    await expect(page.locator('.timer').innerText()).resolves.toMatch(/\d+ (min|h)|< 1 min/);
    const first = lab.steps[0]!;
    await expect(page.locator('#step-title').innerText()).resolves.toBe(en(first.title));
    // Steps unlock in order: only the first one is open.
    const links = page.locator('.step-list .step-link');
    expect(await links.count()).toBe(lab.steps.length);
    for (let i = 1; i < lab.steps.length; i++) expect(await links.nth(i).isDisabled(), `step ${i + 1} is locked`).toBe(true);
    const stored = await page.evaluate((k) => localStorage.getItem(k), `netdojo.session.${LAB}`);
    expect(stored, 'the session is remembered in localStorage').toBeTruthy();
    const sessionId = (JSON.parse(stored!) as { id: string }).id;
    expect(created.map((c) => c.id)).toContain(sessionId);

    // Check before doing anything: every check must say what is missing.
    const checkButton = page.getByRole('button', { name: 'Check this step' });
    const boxes = () =>
      page.evaluate(() =>
        ['.step-actions', '.step-actions .check', '.step-actions .solve', '.results .summary', '.result-list .result']
          .map((sel) => document.querySelector(sel)!.getBoundingClientRect())
          .map((r) => [Math.round(r.top), Math.round(r.left), Math.round(r.width)]),
      );
    const before = await boxes();
    expect(await page.locator('.result').count(), 'every check has its row before the first Check').toBe(first.checks.length);
    await checkButton.click();
    await page.waitForSelector('.results .summary.fail', { timeout: 60_000 });
    expect(await boxes(), 'no layout shift when check results arrive').toEqual(before);
    expect(await page.locator('.result.fail').count()).toBeGreaterThan(0);
    const failMessage = await page.locator('.result.fail .result-message').first().innerText();
    expect(failMessage.trim().length, 'a failed check explains itself').toBeGreaterThan(0);

    // ---- type the first step's commands with the keyboard -----------------------------
    const blocks = commandsOf(en(first.text));
    expect(blocks.length, 'the first step shows its commands').toBeGreaterThan(0);
    for (const block of blocks) {
      if (block.host && block.host !== (await page.locator('.tab[aria-selected="true"] .tab-label').innerText())) {
        await page.getByRole('tab', { name: new RegExp(`^\\s*${block.host}\\b`) }).click();
        await waitConnected(page);
      }
      await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
      for (const line of block.lines) {
        await page.keyboard.type(line + '\n', { delay: 5 });
        await waitForPrompt(page, line);
      }
      await page.keyboard.type('echo typed-$((40+2))\n', { delay: 5 });
      await waitForTerminalText(page, 'typed-42');
    }
    expect(await terminalText(page)).toContain(blocks[0]!.lines[0]!.trim().slice(0, 20));

    // Keyboard only: F6 leaves the terminal (Tab belongs to the shell) for the Check button.
    await page.keyboard.press('F6');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Check this step');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.results .summary.pass, .results .summary.fail', { timeout: 60_000 });
    const failing = await page.locator('.result.fail').allInnerTexts();
    expect(failing, `checks still failing after the step's commands:\n${failing.join('\n')}`).toEqual([]);
    expect(await page.locator('.result.pass').count()).toBe(first.checks.length);
    expect(await page.getByRole('button', { name: /Next step/ }).isEnabled()).toBe(true);
    expect(await page.locator('.step-list .step-link').first().getAttribute('class')).toContain('done');
    await shot(page, 'lab-wide.png', '.results');

    // ---- flow control: a burst of output arrives whole and is acknowledged --------------
    await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
    const acksBefore = wire.acks.length;
    await page.keyboard.type('seq 1 400000; echo burst-$((6*7))-done\n');
    await waitForTerminalText(page, 'burst-42-done', 90_000);
    expect(wire.acks.length, 'the client acknowledged the output').toBeGreaterThan(acksBefore);
    const lastAck = wire.acks[wire.acks.length - 1]!;
    expect(lastAck, 'acks cover the burst (~2.7 MB)').toBeGreaterThan(2_500_000);
    expect(wire.acks.every((a, i) => i === 0 || a >= wire.acks[i - 1]!), 'acks only move forward').toBe(true);
    await page.keyboard.type('clear; echo after-burst-$((1+1))\n');
    await waitForTerminalText(page, 'after-burst-2');

    // ---- reload: same session, progress and terminal still there ------------------------
    await page.reload();
    await waitConnected(page);
    expect(await page.evaluate((k) => localStorage.getItem(k), `netdojo.session.${LAB}`)).toBe(stored);
    await expect(page.locator('.step-list .step-link').first().getAttribute('class')).resolves.toContain('done');
    await expect(page.locator('.progress').getAttribute('aria-valuenow')).resolves.toBe('1');
    const second = lab.steps[1];
    if (second) await expect(page.locator('#step-title').innerText()).resolves.toBe(en(second.title));
    await waitForTerminalText(page, 'after-burst-2');
    expect(created.length, 'the reload did not start a second sandbox').toBe(1);

    // ---- a network blip: the terminal reconnects and resumes where it was ----------------
    await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
    await page.keyboard.type('echo before-blip-$((2+3))\n');
    await waitForTerminalText(page, 'before-blip-5');
    const authsBefore = wire.auths.length;
    const live = wire.sockets[wire.sockets.length - 1]!;
    await live.close({ code: 4000, reason: 'simulated network blip' });
    await page.waitForSelector('.tab[aria-selected="true"]:not([data-status="connected"])', { timeout: 10_000 }).catch(() => undefined);
    await waitConnected(page, 30_000);
    expect(wire.auths.length).toBeGreaterThan(authsBefore);
    const resume = wire.auths[wire.auths.length - 1]!.resumeFrom;
    expect(typeof resume, 'the reconnect asks to resume from an offset').toBe('number');
    expect(wire.readies[wire.readies.length - 1], 'the server resumed at that offset').toBe(resume);
    const screenBefore = await terminalText(page);
    expect(screenBefore.split('before-blip-5').length - 1, 'nothing was replayed twice').toBe(1);
    await page.keyboard.type('echo after-blip-$((3+4))\n');
    await waitForTerminalText(page, 'after-blip-7');

    // ---- click-to-run: a code block of step 1 types itself into the terminal -------------
    await page.keyboard.type('clear\n');
    await page.locator('.step-list .step-link').first().click();
    await expect(page.locator('#step-title').innerText()).resolves.toBe(en(first.title));
    const runButtons = page.locator('.step .run-button');
    expect(await runButtons.count(), 'run fences become Run buttons').toBe(commandsOf(en(first.text)).length);
    const probe = page.locator('.run-wrap').filter({ hasText: 'ip -n red link' }).locator('.run-button');
    if ((await probe.count()) > 0) {
      await probe.first().click();
      await waitForTerminalText(page, 'LOOPBACK');
    } else {
      await runButtons.first().click();
      await waitForPrompt(page, commandsOf(en(first.text))[0]!.lines[0]!);
    }
    if (second) {
      await page.locator('.step-list .step-link').nth(1).click();
      await expect(page.locator('#step-title').innerText()).resolves.toBe(en(second.title));
    }

    // ---- narrow screen ------------------------------------------------------------------
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await expect(page.locator('.term-panel:not([hidden]) .xterm-screen').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Check this step' }).isVisible()).resolves.toBe(true);
    await shot(page, 'lab-narrow.png');

    // ---- Korean ------------------------------------------------------------------------
    await page.getByRole('button', { name: '한국어' }).click();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ko');
    await expect(page.getByRole('button', { name: '이 단계 확인하기' }).innerText()).resolves.toBe('확인');
    await expect(page.locator('.progress-text').innerText()).resolves.toMatch(/단계 완료/);
    const koTitle = typeof lab.title === 'string' ? undefined : lab.title.ko;
    if (koTitle) await expect(page.locator('#lab-title').innerText()).resolves.toBe(koTitle);
    await shot(page, 'lab-narrow-ko.png');
    await page.setViewportSize(WIDE);
    await shot(page, 'lab-wide-ko.png');
    await page.reload();
    await waitConnected(page);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ko');
    await expect(page.locator('.timer').innerText()).resolves.toMatch(/\d+분 남음|1분 미만/);

    // ---- a stuck learner: "Solve this step" runs the reference solution ------------------
    if (second) {
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: '이 단계 풀기' }).click();
      await page.waitForSelector('.results .summary.pass, .results .summary.fail', { timeout: 90_000 });
      expect(await page.locator('.result.fail').allInnerTexts()).toEqual([]);
      expect(await page.locator('.result.pass').count()).toBe(second.checks.length);
      await expect(page.locator('.progress').getAttribute('aria-valuenow')).resolves.toBe('2');
    }

    expect(pageErrors, 'no errors in the page').toEqual([]);
    expect(foreign, 'nothing fetched from outside the server').toEqual([]);
  }, 420_000);

  it('a stuck learner: hint levels, results in the new language, restarting a step; run blocks land on their host', async () => {
    const page = await context!.newPage();
    onTestFailed(async () => {
      const dir = join(ROOT, 'test-results');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'browser-failure-2.png') }).catch(() => undefined);
      console.error(`--- page text ---\n${(await page.locator('main').innerText().catch(() => '(no page)')).slice(0, 3000)}`);
      console.error(`--- netdojo serve log (tail) ---\n${serverLog.slice(-4000)}`);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const lab = await api<LabDetail>(`/api/labs/${LAB}`);
    const first = lab.steps[0]!;
    const stepHint = first.hint;
    expect(Array.isArray(stepHint) && stepHint.length, 'netns-veth step 1 has a graduated hint').toBeGreaterThanOrEqual(2);
    const levels = (stepHint as Text[]).map(en);
    const redHint = first.checks.find((c) => c.id === 'red-exists')!.hint as Text[];
    expect(Array.isArray(redHint), 'red-exists has a graduated hint').toBe(true);

    // a fresh session of netns-veth, in English
    await page.goto(base + '/');
    await page.evaluate((k) => localStorage.removeItem(k), `netdojo.session.${LAB}`);
    await page.locator('#lang-switch button[data-locale="en"]').click();
    await page.goto(`${base}/labs/${LAB}`);
    await page.locator('.start-box .btn').click();
    await waitConnected(page);

    // ---- the step's hint: hidden, then one level per press --------------------------------
    const stepHintBox = page.locator('.step-hint');
    expect(await stepHintBox.locator('.hint-level').count(), 'the step hint starts hidden').toBe(0);
    await stepHintBox.getByRole('button', { name: 'Hint' }).click();
    await expect(stepHintBox.locator('.hint-level').count()).resolves.toBe(1);
    await expect(stepHintBox.locator('.hint-label').innerText()).resolves.toBe(`Hint 1 of ${levels.length}`);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('hint-level')), 'focus moves to the level shown').toBe(true);
    await stepHintBox.getByRole('button', { name: 'Another hint' }).click();
    await expect(stepHintBox.locator('.hint-level').count()).resolves.toBe(2);
    expect(await stepHintBox.locator('.hint-level').nth(1).innerText()).toContain(levels[1]!.replace(/`/g, '').slice(0, 20));
    expect(await stepHintBox.locator('.hint-level').nth(1).innerText()).not.toContain(levels[2]!.replace(/`/g, ''));

    // ---- a failed check offers its hint's first level, then the next one ------------------
    await page.getByRole('button', { name: 'Check this step' }).click();
    await page.waitForSelector('.results .summary.fail', { timeout: 60_000 });
    const redResult = page.locator('.result[data-check="red-exists"]');
    await expect(redResult.locator('.hint-level').count()).resolves.toBe(1);
    expect(await redResult.locator('.hint-level').first().innerText()).toContain(en(redHint[0]!).replace(/`/g, '').slice(0, 20));
    await redResult.getByRole('button', { name: 'Another hint' }).click();
    await expect(redResult.locator('.hint-level').count()).resolves.toBe(2);
    expect(await redResult.getByRole('button', { name: 'Another hint' }).count(), 'no more levels to reveal').toBe(0);
    await shot(page, 'lab-hints.png', '.result[data-check="red-exists"]');

    // ---- the language switch shows the same results again in Korean -----------------------
    const redTitle = first.checks.find((c) => c.id === 'red-exists')!.title!;
    await expect(redResult.locator('.result-title').innerText()).resolves.toContain(en(redTitle));
    await page.getByRole('button', { name: '한국어' }).click();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ko');
    const ko = (t: Text) => (typeof t === 'string' ? t : (t.ko ?? t.en));
    await expect(redResult.locator('.result-title').innerText()).resolves.toContain(ko(redTitle));
    await expect(redResult.locator('.hint-level').count()).resolves.toBe(2);
    expect(await redResult.locator('.hint-level').first().innerText()).toContain(ko(redHint[0]!).replace(/`/g, '').slice(0, 12));
    await expect(redResult.locator('.hint-label').first().innerText()).resolves.toBe(`힌트 ${redHint.length}개 중 1번째`);
    await expect(page.locator('.results .summary.fail').innerText()).resolves.toMatch(/실패/);
    await page.locator('#lang-switch button[data-locale="en"]').click();
    await expect(redResult.locator('.result-title').innerText()).resolves.toContain(en(redTitle));

    // ---- finish step 1 with its Run buttons, leave a mark, then restart at step 2 ----------
    for (const button of await page.locator('.step .run-button').all()) {
      await button.click();
      await page.waitForTimeout(300);
    }
    await waitForTerminalText(page, 'blue');
    await page.getByRole('button', { name: 'Check this step' }).click();
    await page.waitForSelector('.results .summary.pass', { timeout: 60_000 });
    await page.getByRole('button', { name: /Next step/ }).click();
    await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
    await page.keyboard.type('touch /root/learner-mark; echo marked-$((5*5))\n', { delay: 5 });
    await waitForTerminalText(page, 'marked-25');
    const before = JSON.parse((await page.evaluate((k) => localStorage.getItem(k), `netdojo.session.${LAB}`))!) as { id: string; token: string };

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: /^Restart the sandbox at step 2/ }).click();
    await page.waitForSelector('.sandbox-notice:has-text("Sandbox restarted at step 2.")', { timeout: 120_000 });
    await waitConnected(page);
    await waitForTerminalText(page, '[Sandbox restarted at step 2.]');
    const after = JSON.parse((await page.evaluate((k) => localStorage.getItem(k), `netdojo.session.${LAB}`))!) as { id: string; token: string };
    created.push(after);
    expect(after.id, 'the page follows the session to its new sandbox').not.toBe(before.id);
    expect(after.token).toBe(before.token);
    await expect(page.locator('.progress').getAttribute('aria-valuenow')).resolves.toBe('1');
    await expect(page.locator('#step-title').innerText()).resolves.toBe(en(lab.steps[1]!.title));
    await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
    await page.keyboard.type('ip netns; test -e /root/learner-mark && echo mark-$((0+1))-kept || echo fresh-$((6*7))\n', { delay: 5 });
    await waitForTerminalText(page, 'fresh-42');
    const screen = await terminalText(page);
    expect(screen).toMatch(/red/);
    expect(screen).not.toContain('mark-1-kept');
    await shot(page, 'lab-restart.png');
    const old = await fetch(`${base}/api/sessions/${before.id}`, { headers: { authorization: `Bearer ${before.token}` } }).then((r) => r.json() as Promise<{ status: string }>);
    expect(old.status).toBe('ended');

    // restarted from elsewhere (the API, another tab): the page follows the session to its new sandbox
    const viaApi = await api<{ id: string }>(`/api/sessions/${after.id}/steps/${first.id}/restart`, { method: 'POST', headers: { authorization: `Bearer ${after.token}` } });
    created.push({ id: viaApi.id, token: after.token });
    await page.waitForSelector('.sandbox-notice:has-text("Sandbox restarted at step 1.")', { timeout: 60_000 });
    await waitConnected(page);
    await waitForTerminalText(page, '[Sandbox restarted at step 1.]');
    const followed = JSON.parse((await page.evaluate((k) => localStorage.getItem(k), `netdojo.session.${LAB}`))!) as { id: string };
    expect(followed.id).toBe(viaApi.id);
    await page.locator('.term-panel:not([hidden]) .xterm-screen').click();
    await page.keyboard.type('echo namespaces-$(ip netns | wc -l)-here\n', { delay: 5 });
    await waitForTerminalText(page, 'namespaces-0-here');

    // ---- a multi-host lab: a run block switches to its host's tab, then types there -------
    const multi = await api<LabDetail>('/api/labs/linux-routing');
    expect(multi.hosts.length).toBeGreaterThan(1);
    await page.goto(`${base}/labs/linux-routing`);
    await page.locator('.start-box .btn').click();
    await waitConnected(page);
    const firstBlock = commandsOf(en(multi.steps[0]!.text))[0]!;
    expect(firstBlock.host, 'every run block of a multi-host lab names its host').toBeTruthy();
    const other = multi.hosts.find((h) => h !== firstBlock.host)!;
    await page.getByRole('tab', { name: new RegExp(`^\\s*${other}\\b`) }).click();
    await expect(page.locator('.tab[aria-selected="true"] .tab-label').innerText()).resolves.toBe(other);
    await page.locator('.step .run-wrap').first().locator('.run-button').click();
    await expect(page.locator('.tab[aria-selected="true"] .tab-label').innerText()).resolves.toBe(firstBlock.host);
    await waitConnected(page);
    await waitForPrompt(page, firstBlock.lines[firstBlock.lines.length - 1]!);
    expect(await terminalText(page)).toContain(firstBlock.lines[0]!);
    await shot(page, 'lab-run-host.png');
    // typed into that host's terminal only, not the one that was active
    await page.getByRole('tab', { name: new RegExp(`^\\s*${other}\\b`) }).click();
    await expect(page.locator('.tab[aria-selected="true"] .tab-label').innerText()).resolves.toBe(other);
    expect(await terminalText(page)).not.toContain(firstBlock.lines[0]!);
    const multiSession = JSON.parse((await page.evaluate(() => localStorage.getItem('netdojo.session.linux-routing')))!) as { id: string; token: string };
    expect(created.map((c) => c.id)).toContain(multiSession.id);

    expect(pageErrors, 'no errors in the page').toEqual([]);
  }, 420_000);
});
