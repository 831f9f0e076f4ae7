// `netdojo dev <lab>`: the author's inner loop. One live sandbox; the lab file is re-validated on
// every save; a prompt runs one step's checks or solve, a replay from a step, or a shell into a
// host (a real TTY in the same terminal). Everything is torn down on quit, EOF, Ctrl-C or SIGTERM.
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { defaultHostOf } from '../checks/index.js';
import type { CheckResult } from '../checks/types.js';
import { parseLab } from '../labs/loader.js';
import { displayPath } from '../labs/paths.js';
import { textIn, type Lab, type Locale, type LoadedLab } from '../labs/schema.js';
import { formatProblem } from '../labs/source.js';
import { unmetRequirement } from '../runner/replay.js';
import type { ActionsResult } from '../steps/actions.js';
import { bringToStep, checkStep, proveStep, runLabSetup, runSolve, runStepSetup, type StepContext } from '../steps/lifecycle.js';
import { emptyVariantRun, proveVariant, variantsOf } from '../steps/variants.js';
import { allFaults, labWithFaults } from '../steps/faults.js';
import type { ProviderRegistry } from '../sandbox/registry.js';
import type { Provider, Sandbox, SandboxRef } from '../sandbox/types.js';
import { UserError } from '../util/errors.js';
import { keptHelp } from './kept.js';

export interface DevOptions {
  loaded: LoadedLab;
  /** where the sandbox's provider and what this host can run come from */
  providers: ProviderRegistry;
  input?: NodeJS.ReadStream | NodeJS.ReadableStream;
  output?: NodeJS.WriteStream | NodeJS.WritableStream;
  locale?: Locale;
  /** poll interval while a check is retried after a solve (replay) */
  pollMs?: number;
}

export const DEV_HELP = [
  'commands (a step defaults to the current one, a host to the first one):',
  '  check [step]              run the step\'s checks against the live sandbox',
  '  solve [step]              run the step\'s solve (the steps before it are solved first)',
  '  replay [--from step]      the replay rules (fail, solve, pass, solve again) from the current step (or from',
  '                            step: a fresh sandbox when it is already solved)',
  '  try <step> <variant>      prove one near-miss or alternative of the step in a second, fresh sandbox brought',
  '                            to the start of the step (lab setup, setup + solve of the steps before, the step\'s',
  '                            setup), as replay does; this sandbox is not touched, the second one is removed after',
  '  shell [host]              a shell into the host, in this terminal (exit or Ctrl-D returns here)',
  '  steps                     list the steps and where the sandbox is',
  '  reset                     a fresh sandbox (lab setup and the first step\'s setup run again)',
  '  restart <step>            a fresh sandbox at the start of the step (lab setup, setup + solve of the steps',
  '                            before it, its setup), as the lab page\'s "Restart at this step" does',
  '  help                      this list',
  '  quit                      remove the sandbox and exit (also Ctrl-C, Ctrl-D)',
];

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const mark = (r: CheckResult) => (r.pass ? '✓' : '✗');


/** each loaded lab with every fault of its troubleshooting steps injected (reloaded labs get a new entry) */
const withAllFaults = new WeakMap<LoadedLab, Lab>();

export class DevSession {
  private loaded: LoadedLab;
  private readonly out: NodeJS.WritableStream;
  private readonly input: NodeJS.ReadableStream;
  private readonly locale: Locale;
  private readonly pollMs: number;
  private provider?: Provider;
  private sandbox?: Sandbox;
  private ref?: SandboxRef;
  /** index of the first step whose solve has not run in this sandbox */
  private next = 0;
  private readonly setupDone = new Set<string>();
  private rl?: Interface;
  private watcher?: FSWatcher;
  private queue: string[] = [];
  private busy = false;
  private closing?: Promise<void>;
  private inShell = false;
  private envChanged = false;
  private done!: () => void;
  /** aborted on quit: stops retries and action lists that are under way */
  private readonly abort = new AbortController();
  /** the second sandbox of a `try` under way, removed on quit */
  private trying?: { provider: Provider; ref: SandboxRef };
  readonly finished = new Promise<void>((r) => (this.done = r));

  constructor(private readonly opts: DevOptions) {
    this.loaded = opts.loaded;
    this.out = opts.output ?? process.stdout;
    this.input = opts.input ?? process.stdin;
    this.locale = opts.locale ?? 'en';
    this.pollMs = opts.pollMs ?? 500;
  }

  private get lab(): Lab {
    // a troubleshooting step is authored with every fault injected, as replay proves it
    let lab = withAllFaults.get(this.loaded);
    if (!lab) withAllFaults.set(this.loaded, (lab = labWithFaults(this.loaded.lab, allFaults(this.loaded.lab))));
    return lab;
  }

  private say(line = ''): void {
    const tty = (this.out as NodeJS.WriteStream).isTTY && this.rl && !this.busy && !this.inShell;
    this.out.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
    if (tty) this.rl!.prompt(true);
  }

  private get promptText(): string {
    const step = this.lab.steps[this.next]?.id ?? 'done';
    return `dev ${this.lab.id} [${step}]> `;
  }

  /** Creates the sandbox, then reads commands until quit; resolves when everything is removed. */
  async run(): Promise<void> {
    const onSignal = (sig: NodeJS.Signals) => void this.quit(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143, sig);
    // SIGHUP: the terminal went away (window closed) — the sandbox must not outlive it
    for (const sig of SIGNALS) process.on(sig, onSignal);
    try {
      this.watchFile();
      await this.createSandbox();
      if (!this.closing) {
        this.say(`ready: ${this.lab.steps.length} step(s); the current step is ${this.lab.steps[0]!.id}. Type help for the commands.`);
        this.openPrompt();
      }
      await this.finished;
    } finally {
      for (const sig of SIGNALS) process.off(sig, onSignal);
    }
  }

  exitCode = 0;

  // ---- the prompt ----

  private openPrompt(): void {
    const terminal = Boolean((this.input as NodeJS.ReadStream).isTTY && (this.out as NodeJS.WriteStream).isTTY);
    const rl = createInterface({ input: this.input, output: this.out, terminal, prompt: this.promptText });
    this.rl = rl;
    rl.on('line', (line) => {
      this.queue.push(line);
      void this.drain();
    });
    rl.on('SIGINT', () => void this.quit(130, 'SIGINT'));
    rl.on('close', () => {
      if (this.rl !== rl) return; // closed on purpose (shell)
      this.rl = undefined;
      // EOF (Ctrl-D, or the end of piped input): finish what was typed, then quit
      this.queue.push('quit');
      void this.drain();
    });
    rl.prompt();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && !this.closing) {
        const line = this.queue.shift()!.trim();
        if (line) {
          try {
            await this.command(line);
          } catch (err) {
            this.say(`error: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
    } finally {
      this.busy = false;
    }
    if (this.rl && !this.closing) {
      this.rl.setPrompt(this.promptText);
      this.rl.prompt();
    }
  }

  private async command(line: string): Promise<void> {
    const [cmd, ...args] = line.split(/\s+/);
    switch (cmd) {
      case 'check':
        return this.check(this.stepIndex(args[0]));
      case 'solve':
        return this.solve(this.stepIndex(args[0]));
      case 'replay': {
        let from: string | undefined;
        for (let i = 0; i < args.length; i++) {
          if (args[i] === '--from') from = args[++i];
          else if (args[i]!.startsWith('--from=')) from = args[i]!.slice(7);
          else if (!args[i]!.startsWith('-') && from === undefined) from = args[i];
          else throw new UserError(`replay takes [--from <step>], not '${args[i]}'`);
        }
        return this.replay(from === undefined ? this.next : this.stepIndex(from));
      }
      case 'try':
        if (args.length !== 2) throw new UserError('try takes <step> <variant> (the ids of a step and of one of its near-misses or alternatives)');
        return this.tryVariant(this.stepIndex(args[0]), args[1]!);
      case 'shell':
        return this.shell(args[0]);
      case 'steps':
      case 'status':
        return this.steps();
      case 'reset':
        return this.reset();
      case 'restart':
        if (args.length !== 1 || !args[0]) throw new UserError('restart takes <step> (the id of the step to start from)');
        return this.restart(this.stepIndex(args[0]));
      case 'help':
      case '?':
        for (const l of DEV_HELP) this.say(l);
        return;
      case 'quit':
      case 'exit':
      case 'q':
        return this.quit(0);
      default:
        this.say(`unknown command '${cmd}'; type help`);
    }
  }

  private stepIndex(id: string | undefined): number {
    if (id === undefined) {
      if (this.next >= this.lab.steps.length) throw new UserError('every step is solved; name a step, or reset');
      return this.next;
    }
    const i = this.lab.steps.findIndex((s) => s.id === id);
    if (i < 0) throw new UserError(`no step '${id}' (steps: ${this.lab.steps.map((s) => s.id).join(', ')})`);
    return i;
  }

  // ---- the sandbox ----

  private async createSandbox(): Promise<void> {
    const lab = this.lab;
    this.provider = await this.opts.providers.get(lab.environment.provider);
    const unmet = unmetRequirement(lab, await this.opts.providers.capabilities(lab.environment.provider));
    if (unmet) throw new UserError(`this machine cannot run ${lab.id}: ${unmet}`);
    const sessionId = `dev-${randomBytes(5).toString('hex')}`;
    this.ref = { provider: this.provider.name, sessionId, labId: lab.id };
    this.say(`creating sandbox ${sessionId} (${lab.environment.hosts.map((h) => h.name).join(', ') || lab.environment.provider}) …`);
    const t0 = Date.now();
    const sandbox = await this.provider.create(lab, { sessionId, labDir: this.loaded.dir, onProgress: (m) => this.say(`  ${m}`) });
    this.ref = sandbox.ref;
    if (this.closing) {
      await this.provider.destroy(sandbox.ref).catch(() => {});
      return;
    }
    this.sandbox = sandbox;
    this.next = 0;
    this.setupDone.clear();
    this.envChanged = false;
    this.say(`sandbox ${sessionId} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    if (lab.setup.length) this.printActions('lab setup', await runLabSetup(this.ctx()));
    await this.ensureSetup(0);
  }

  private async destroySandbox(): Promise<void> {
    const { provider, ref } = this;
    this.sandbox = undefined;
    this.ref = undefined;
    if (!provider || !ref) return;
    await provider.destroy(ref);
    const left = await provider.leftovers(ref.sessionId);
    if (left.length) {
      this.say(`could not remove everything of ${ref.sessionId}: ${left.join(', ')}`);
      for (const l of keptHelp(ref.sessionId, this.lab.environment.hosts.map((h) => h.name), provider.name).slice(-3)) this.say(l);
    } else this.say(`removed sandbox ${ref.sessionId}`);
  }

  private need(): Sandbox {
    if (!this.sandbox) throw new UserError('there is no sandbox (reset creates one)');
    return this.sandbox;
  }

  private printActions(what: string, res: ActionsResult): boolean {
    for (const a of res.actions) {
      const where = a.netns ? `${a.host} (netns ${a.netns})` : a.host;
      const ok = a.exitCode === 0 && !a.timedOut;
      this.say(`  ${ok ? '✓' : '✗'} ${what} on ${where}: ${a.command}`);
      for (const l of [a.stdout, a.stderr].filter(Boolean).join('\n').split('\n').filter(Boolean)) this.say(`      ${l}`);
    }
    if (!res.ok) this.say(`  ${what} failed: ${res.error}`);
    return res.ok;
  }

  private async ensureSetup(i: number): Promise<boolean> {
    const step = this.lab.steps[i];
    if (!step || this.setupDone.has(step.id)) return true;
    this.setupDone.add(step.id);
    return !step.setup.length || this.printActions(`setup of ${step.id}`, await runStepSetup(this.ctx(), step));
  }

  /** The step's solve ran in this sandbox: the next step becomes the current one. */
  private async solved(i: number): Promise<void> {
    if (i < this.next) return;
    this.next = i + 1;
    await this.ensureSetup(this.next);
  }

  private async solveOne(i: number): Promise<boolean> {
    const step = this.lab.steps[i]!;
    if (!(await this.ensureSetup(i))) return false;
    const ok = this.printActions(`solve of ${step.id}`, await runSolve(this.ctx(), step));
    if (ok) await this.solved(i);
    return ok;
  }

  private ctx(sandbox = this.need()): StepContext {
    return { lab: this.lab, sandbox, locale: this.locale, signal: this.abort.signal, pollMs: this.pollMs };
  }

  private printResult(r: CheckResult, verbose: boolean): void {
    this.say(`  ${mark(r)} ${r.id}: ${r.message}`);
    if (!r.pass && verbose) {
      this.say(`      expected: ${r.expected}`);
      for (const [i, l] of r.actual.split('\n').entries()) this.say(`      ${i === 0 ? 'actual:   ' : '          '}${l}`);
      const hints = r.hints ?? (r.hint ? [r.hint] : []);
      if (hints.length === 1) this.say(`      hint:     ${hints[0]}`);
      else hints.forEach((h, n) => this.say(`      hint ${n + 1}/${hints.length}: ${h}`));
    }
  }

  // ---- commands ----

  async check(i: number): Promise<void> {
    const step = this.lab.steps[i]!;
    if (i > this.next) this.say(`note: the steps before ${step.id} are not solved in this sandbox (solve ${step.id} fast-forwards)`);
    await this.ensureSetup(i);
    this.say(`check ${step.id}:`);
    const results = await checkStep(this.ctx(), step);
    for (const r of results) this.printResult(r, true);
    const passed = results.filter((r) => r.pass).length;
    this.say(`check ${step.id}: ${passed}/${results.length} pass`);
  }

  async solve(i: number): Promise<void> {
    for (let j = this.next; j < i; j++) {
      this.say(`fast-forward ${this.lab.steps[j]!.id}:`);
      if (!(await this.solveOne(j))) return this.say(`solve ${this.lab.steps[i]!.id}: stopped, an earlier step's solve failed`);
    }
    this.say(`solve ${this.lab.steps[i]!.id}:`);
    const ok = await this.solveOne(i);
    this.say(`solve ${this.lab.steps[i]!.id}: ${ok ? 'done' : 'FAILED'}`);
  }

  /** The replay rules of `netdojo replay` (the step lifecycle), from step `from` on, in this sandbox (fresh if needed). */
  async replay(from: number): Promise<void> {
    const steps = this.lab.steps;
    if (from >= steps.length) return this.say('every step is solved: replay --from <step>, or reset');
    if (from < this.next || this.envChanged) {
      this.say(`replay from ${steps[from]!.id}: that step is already solved here, starting from a fresh sandbox`);
      await this.reset();
    }
    for (let j = this.next; j < from; j++) {
      this.say(`fast-forward ${steps[j]!.id}:`);
      if (!(await this.solveOne(j))) return this.say(`replay: FAILED (fast-forward of ${steps[j]!.id})`);
    }
    const failures: string[] = [];
    for (let i = from; i < steps.length && !this.closing; i++) {
      const step = steps[i]!;
      if (!(await this.ensureSetup(i))) {
        failures.push(`step ${step.id}: setup failed`);
        break;
      }
      this.say(`replay ${step.id}: before the solve (each check must fail)`);
      const proof = await proveStep(this.ctx(), step, {
        setup: false,
        hooks: {
          phase: (phase) => {
            if (phase === 'solve') this.say(`replay ${step.id}: solve`);
            if (phase === 'after') this.say(`replay ${step.id}: after the solve (each check must pass)`);
            if (phase === 'again') this.say(`replay ${step.id}: solve again (each check must still pass; repeatable: false opts out)`);
          },
          actions: (what, res) => this.printActions(`${what === 'again' ? 'second solve' : what} of ${step.id}`, res),
          check: (phase, cr, r) => {
            if (phase === 'after') return this.printResult(r, true);
            const bad = r.pass && !cr.passesBeforeSolve;
            this.say(`  ${bad ? '✗' : '✓'} ${cr.id}: ${r.pass ? 'PASS' : 'FAIL'}${bad ? ' — it passes before the solve, so it proves nothing (passesBeforeSolve: true opts out)' : ''}: ${r.message}`);
          },
          again: (again) => {
            if (again.status === 'passed') this.say('  ✓ the solve is repeatable');
            else for (const r of again.checks ?? []) if (!r.pass) this.printResult(r, true);
          },
        },
      });
      if (proof.run.solve?.ok) await this.solved(i);
      failures.push(...proof.failures);
      if (!proof.proceed) break;
    }
    if (failures.length) {
      this.say(`replay from ${steps[from]!.id}: FAILED`);
      for (const f of failures) this.say(`  ✗ ${f}`);
    } else this.say(`replay from ${steps[from]!.id}: PASSED (${steps.length - from} step(s))`);
  }

  /** One near-miss or alternative, from a second fresh sandbox brought to the start of its step. */
  async tryVariant(i: number, id: string): Promise<void> {
    const variants = variantsOf(this.loaded.lab.steps[i]!);
    const v = variants.find((x) => x.spec.id === id);
    // a fault's variant: that fault alone is injected (as in replay)
    const lab = v?.fault ? labWithFaults(this.loaded.lab, { ...allFaults(this.loaded.lab), [this.loaded.lab.steps[i]!.id]: [v.fault] }) : this.lab;
    const step = lab.steps[i]!;
    if (!v) throw new UserError(`step ${step.id} has no near-miss or alternative '${id}'${variants.length ? ` (it has: ${variants.map((x) => x.spec.id).join(', ')})` : ''}`);
    const provider = this.provider;
    if (!provider) throw new UserError('there is no provider yet');
    const sessionId = `dev-${randomBytes(5).toString('hex')}`;
    const name = `${step.id}/${id}`;
    this.say(`try ${name} (${v.kind}): a fresh sandbox ${sessionId}, brought to the start of ${step.id} …`);
    let ref: SandboxRef = { provider: provider.name, sessionId, labId: this.lab.id };
    this.trying = { provider, ref };
    try {
      const sandbox = await provider.create(this.lab, { sessionId, labDir: this.loaded.dir, signal: this.abort.signal });
      ref = sandbox.ref;
      this.trying = { provider, ref };
      const ctx = { ...this.ctx(sandbox), lab };
      const ready = await bringToStep(ctx, i);
      if (!ready.ok) return this.say(`try ${name}: FAILED: could not bring the sandbox to ${step.id}: ${ready.error}`);
      const run = await proveVariant(ctx, step, v, emptyVariantRun(step, v, this.locale));
      if (run.solve) this.printActions(`${v.kind} ${id}`, run.solve);
      for (const r of run.checks) this.printResult(r, true);
      this.say(run.status === 'passed' ? `try ${name}: PASSED (${v.kind === 'near-miss' ? run.reason : 'every check passes'})` : `try ${name}: FAILED: ${run.reason}`);
    } finally {
      this.trying = undefined;
      await provider.destroy(ref).catch((err: unknown) => this.say(`could not remove ${sessionId}: ${err instanceof Error ? err.message : String(err)}`));
      const left = await provider.leftovers(sessionId).catch(() => [] as string[]);
      this.say(left.length ? `could not remove everything of ${sessionId}: ${left.join(', ')}` : `removed sandbox ${sessionId}`);
    }
  }

  async steps(): Promise<void> {
    this.lab.steps.forEach((s, i) => {
      const state = i < this.next ? 'solved' : i === this.next ? 'current' : '';
      const variants = variantsOf(s).map((v) => v.spec.id);
      this.say(`  ${i + 1}. ${s.id}${state ? ` (${state})` : ''} — ${textIn(s.title, this.locale)} [${s.checks.length} check(s)${variants.length ? `; try: ${variants.join(', ')}` : ''}]`);
    });
  }

  async reset(): Promise<void> {
    await this.destroySandbox();
    await this.createSandbox();
  }

  /** A fresh sandbox at the start of step `i`: lab setup, setup + solve of each step before it, its setup. */
  async restart(i: number): Promise<void> {
    const step = this.lab.steps[i]!;
    await this.reset();
    for (let j = 0; j < i && !this.closing; j++) {
      this.say(`fast-forward ${this.lab.steps[j]!.id}:`);
      if (!(await this.solveOne(j))) return this.say(`restart at ${step.id}: FAILED (the solve of ${this.lab.steps[j]!.id} failed)`);
    }
    if (!(await this.ensureSetup(i))) return this.say(`restart at ${step.id}: FAILED (its setup failed)`);
    this.say(`sandbox restarted at step ${i + 1} (${step.id})`);
  }

  /** A TTY shell into `host`: raw mode on stdin, piped to Sandbox.attach, until the shell exits. */
  async shell(hostArg?: string): Promise<void> {
    const sandbox = this.need();
    const host = hostArg ?? defaultHostOf(this.lab, sandbox);
    if (!sandbox.hosts.includes(host)) throw new UserError(`no host '${host}' (hosts: ${sandbox.hosts.join(', ')})`);
    const stdin = this.input as NodeJS.ReadStream;
    const stdout = this.out as NodeJS.WriteStream;
    if (!stdin.isTTY || !stdout.isTTY) {
      const name = this.ref ? keptHelp(this.ref.sessionId, [host], this.provider?.name).find((l) => l.includes('docker exec')) : undefined;
      throw new UserError(`shell needs a terminal (stdin is not a TTY)${name ? `; from another terminal: ${name.trim()}` : ''}`);
    }
    const term = await sandbox.attach(host, { cols: stdout.columns || 80, rows: stdout.rows || 24 });
    this.say(`shell on ${host} — exit or Ctrl-D to come back`);
    // the prompt's readline must not see the keystrokes meant for the shell
    const rl = this.rl;
    this.rl = undefined;
    this.inShell = true;
    rl?.close();
    const onResize = () => void term.resize({ cols: stdout.columns, rows: stdout.rows }).catch(() => {});
    const onData = (d: Buffer) => term.stream.write(d);
    const onOut = (d: Buffer) => stdout.write(d);
    try {
      stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.resume();
      stdout.on('resize', onResize);
      term.stream.on('data', onOut);
      await new Promise<void>((resolve) => {
        term.stream.once('end', resolve);
        term.stream.once('close', resolve);
        term.stream.once('error', resolve);
        void this.finished.then(resolve);
      });
    } finally {
      stdin.off('data', onData);
      stdout.off('resize', onResize);
      term.stream.off('data', onOut);
      stdin.setRawMode(false);
      await term.close().catch(() => {});
      this.inShell = false;
    }
    if (!this.closing) {
      this.out.write('\n');
      this.say(`back from ${host}`);
      this.openPrompt();
    }
  }

  /** Removes the sandbox (once) and ends the session. */
  quit(code = 0, why?: string): Promise<void> {
    this.closing ??= (async () => {
      this.exitCode = code;
      this.abort.abort();
      if (why) this.out.write(`\n${why}: removing the sandbox …\n`);
      this.watcher?.close();
      const rl = this.rl;
      this.rl = undefined;
      rl?.close();
      try {
        if (this.trying) await this.trying.provider.destroy(this.trying.ref).catch(() => {});
        await this.destroySandbox();
      } catch (err) {
        this.say(`could not remove the sandbox: ${err instanceof Error ? err.message : String(err)}`);
        this.exitCode ||= 1;
      } finally {
        this.done();
      }
    })();
    return this.closing;
  }

  // ---- re-validation on save ----

  private watchFile(): void {
    const file = this.loaded.file;
    let timer: NodeJS.Timeout | undefined;
    // editors often save by renaming a new file over the old one: watch the folder, not the inode
    this.watcher = watch(dirname(file), (_event, name) => {
      if (name && name.toString() !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void this.revalidate(), 150);
    });
  }

  private async revalidate(): Promise<void> {
    const file = this.loaded.file;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined || this.closing) return;
    const { lab, problems } = parseLab(text, file);
    const shown = displayPath(file);
    for (const p of problems) this.say(formatProblem({ ...p, file: displayPath(p.file) }));
    if (!lab) return this.say(`${shown}: ${problems.filter((p) => p.severity === 'error').length} error(s); still using the last valid version`);
    const before = JSON.stringify(this.lab.environment) + JSON.stringify(this.lab.setup);
    const after = JSON.stringify(lab.environment) + JSON.stringify(lab.setup);
    const current = this.lab.steps[this.next]?.id;
    this.loaded = { ...this.loaded, lab };
    const at = current ? lab.steps.findIndex((s) => s.id === current) : lab.steps.length;
    this.next = at < 0 ? Math.min(this.next, lab.steps.length) : at;
    const warnings = problems.length ? ` (${problems.length} warning(s))` : '';
    this.say(`${shown}: valid, ${lab.steps.length} step(s)${warnings}; reloaded`);
    if (before !== after) {
      this.envChanged = true;
      this.say('the environment or the lab setup changed: type reset for a sandbox built from it');
    }
    if (this.rl) this.rl.setPrompt(this.promptText);
  }
}
