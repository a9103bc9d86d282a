/**
 * The command runner: the only place zx's `$` is configured, and the only way deckhand starts an external program.
 *
 * - Commands are argv arrays. zx quotes every element, so a value can never become shell syntax or a second argument.
 * - Each call says whether it reads or writes. With `--dry-run`, reads run (so the plan reflects the real state) and
 *   writes are printed instead of run.
 * - `--verbose` echoes each command before it runs and its duration after.
 * - Every call has a timeout. Ctrl-C/SIGTERM (the interruption signal) kills the child's whole process tree.
 * - Secrets: stdin carries them (never argv), and every line that leaves here — echo, streamed output, error text —
 *   passes through the SecretMasker. Children do not inherit them either: deckhand's secret keys (GITHUB_TOKEN,
 *   LINODE_TOKEN, REGISTRY_PULL_TOKEN), the keys the context names (the inputs of the apps' Secrets) and any
 *   variable holding a registered secret are left out of every child's environment; a child that needs one gets it
 *   from its call, by name (terraform its token as TF_VAR_linode_token, linode-cli as LINODE_CLI_TOKEN).
 * - A program that is not installed is reported as that (ToolMissingError), never through the call's own hint.
 * - The runner's tool folders (the project's .deckhand/bin, where `tools install` puts the pinned helm and kubectl)
 *   come first on every child's PATH, so a program is looked up there before anywhere else.
 */
import path from 'node:path';
import { $, type ProcessPromise } from 'zx/core';
import { SECRET_CONFIG_KEYS } from './config.ts';
import { CommandError, InterruptedError, ToolMissingError, formatMs } from './errors.ts';
import { displayCommand } from './quote.ts';
import type { SecretMasker } from './redact.ts';

export type CommandKind = 'read' | 'write';

export interface RunOptions {
  /** `read` runs even in dry-run; `write` is printed instead of run in dry-run. */
  kind: CommandKind;
  /**
   * A read that follows objects this run's own writes create (a watch, `kubectl wait`, `logs -f` of a new pod): in a
   * dry run those objects do not exist, so it is shown as "would <verb>" and skipped, like a write.
   */
  dependsOnWrites?: 'watch' | 'stream' | 'wait' | 'run';
  /** Sent to the child's stdin; the place for secrets. Never echoed. */
  input?: string | Buffer;
  cwd?: string;
  /**
   * Added to (or, with `undefined`, removed from) the inherited environment — the one way a child gets a secret it
   * needs (see the module comment).
   */
  env?: Record<string, string | undefined>;
  /** Overrides the runner's default timeout. */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the command exits non-zero. */
  nothrow?: boolean;
  /** Called with each complete, masked line of stdout as it arrives (for `logs -f`, progress). */
  onStdoutLine?: (line: string) => void;
  /** Called with each complete, masked line of stderr as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Raw stdout bytes as they arrive (tar streams). Not masked: never print them. */
  onStdoutData?: (chunk: Buffer) => void;
  /** What to do when this command fails; shown under the error. */
  hint?: string;
  /**
   * What to do when it fails because the API or registry could not be reached (refused, reset, timed out): such a
   * failure never gets `hint`, which is about the call's other failures. Default: the general network hint.
   */
  networkHint?: string;
  /** What a skipped write "returns" in dry-run, for callers that parse output. */
  dryRunStdout?: string;
  /** Run even after an interruption (cleanup commands such as deleting a helper pod). */
  uninterruptible?: boolean;
  /**
   * Ends a long-running command (a watch, `logs -f`) on purpose: its process tree is stopped and the call resolves
   * with `stopped: true` instead of failing.
   */
  stopSignal?: AbortSignal;
}

export interface RunResult {
  argv: readonly string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
  /** True when the command was a write that dry-run printed instead of running. */
  skipped: boolean;
  /** True when `stopSignal` ended it. */
  stopped?: boolean;
}

export interface Runner {
  readonly dryRun: boolean;
  readonly verbose: boolean;
  readonly masker: SecretMasker;
  /** Folders searched first for the programs this runner starts. */
  readonly toolDirs?: readonly string[];
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>;
  /** The command as a person would type it, masked. */
  display(argv: readonly string[]): string;
  /** In a dry run, says what a real run would do that is not a command (write a file, record a cluster). */
  dryRunNote(action: string): void;
  /** The same runner, reporting to another log (a Listr task's output instead of stderr). */
  withLog(log: (line: string) => void): Runner;
  /**
   * The same runner, whose commands also end (resolving with `stopped: true`) when `signal` aborts: for reads started
   * ahead of the step that needs them, which a failed run must not wait for.
   */
  withStopSignal(signal: AbortSignal): Runner;
}

export interface ShellOptions {
  dryRun: boolean;
  verbose: boolean;
  masker: SecretMasker;
  /** Where echo lines and dry-run lines go. Lines are masked before this is called. */
  log: (line: string) => void;
  /** Aborted on Ctrl-C/SIGTERM. */
  signal?: AbortSignal;
  defaultTimeoutMs?: number;
  /** How long a child gets after SIGTERM before SIGKILL (helm marks its release failed in this window). */
  killGraceMs?: number;
  /** Base environment for children; defaults to process.env. Secrets are withheld from it (see the module comment). */
  env?: NodeJS.ProcessEnv;
  /** Keys withheld from children besides deckhand's secret keys, e.g. the keys of the apps' Secrets. */
  withheldEnvKeys?: readonly string[];
  /** Ends every command of this runner, like RunOptions.stopSignal (see withStopSignal). */
  stopSignal?: AbortSignal;
  /** Folders put first on every child's PATH (the project's pinned tools). */
  toolDirs?: readonly string[];
}

export const DEFAULT_TIMEOUT_MS = 2 * 60_000;
const STDERR_TAIL_LINES = 15;

export function createShell(options: ShellOptions): Runner {
  const { masker } = options;
  const log = (line: string) => options.log(masker.mask(line));
  const display = (argv: readonly string[]) => masker.mask(displayCommand(argv));

  async function run(argv: readonly string[], runOptions: RunOptions): Promise<RunResult> {
    if (argv.length === 0) throw new Error('run() needs a command');
    const shown = display(argv);

    const skippedAs = runOptions.kind === 'write' ? 'run' : runOptions.dependsOnWrites;
    if (skippedAs && options.dryRun) {
      log(
        dryRunLine(
          `${skippedAs}: ${shown}${runOptions.input !== undefined ? '  (with input on stdin, not shown)' : ''}`,
        ),
      );
      return { argv, stdout: runOptions.dryRunStdout ?? '', stderr: '', exitCode: 0, durationMs: 0, skipped: true };
    }
    const interruption = runOptions.uninterruptible ? undefined : options.signal;
    if (interruption?.aborted) throw interruptionError(interruption);

    if (options.verbose) log(`$ ${shown}`);
    const timeoutMs = runOptions.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    const child = $({
      quiet: true,
      nothrow: true,
      verbose: false,
      cwd: runOptions.cwd,
      env: mergeEnv(
        withToolDirs(withoutSecrets(options.env ?? process.env, masker, options.withheldEnvKeys), options.toolDirs),
        runOptions.env,
      ),
      input: runOptions.input,
      // Its own process group, so stop() can signal the whole tree at once (bash and the program it started).
      // Ctrl-C from the terminal therefore reaches children only through us, which is what forwards it.
      // zx's `signal` option is not used: it would kill only the direct child.
      detached: true,
    })`${argv}`;

    const stdoutLines = runOptions.onStdoutLine ? masker.lineWriter(runOptions.onStdoutLine) : undefined;
    const stderrLines = runOptions.onStderrLine ? masker.lineWriter(runOptions.onStderrLine) : undefined;
    if (stdoutLines || runOptions.onStdoutData) {
      child.stdout.on('data', (chunk: Buffer) => {
        runOptions.onStdoutData?.(chunk);
        stdoutLines?.write(chunk);
      });
    }
    if (stderrLines) child.stderr.on('data', (chunk: Buffer) => stderrLines.write(chunk));

    let stoppedBy: 'timeout' | 'interrupt' | 'caller' | undefined;
    const stop = (why: 'timeout' | 'interrupt' | 'caller') => {
      if (stoppedBy) return;
      stoppedBy = why;
      void killTree(child, options.killGraceMs ?? 5_000);
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onInterrupt = () => stop('interrupt');
    interruption?.addEventListener('abort', onInterrupt, { once: true });
    const onStop = () => stop('caller');
    const stopSignals = [runOptions.stopSignal, options.stopSignal].filter((signal) => signal !== undefined);
    if (stopSignals.some((signal) => signal.aborted)) onStop();
    else for (const signal of stopSignals) signal.addEventListener('abort', onStop, { once: true });

    try {
      const output = await child;
      stdoutLines?.flush();
      stderrLines?.flush();
      const durationMs = performance.now() - started;
      const exitCode = output.exitCode ?? (output.signal ? 128 + signalNumber(output.signal) : 1);
      if (options.verbose) log(`  ↳ exit ${exitCode} after ${formatMs(durationMs)}`);

      if (stoppedBy === 'interrupt') throw interruptionError(interruption!);
      // bash answers 127 and says so when the program is not there; even a `nothrow` caller gets this as an error.
      if (exitCode === 127 && isNotFound(argv[0]!, output.stderr)) throw new ToolMissingError(argv[0]!);
      const result: RunResult = {
        argv,
        stdout: output.stdout,
        stderr: output.stderr,
        exitCode,
        durationMs,
        skipped: false,
      };
      if (stoppedBy === 'caller') return { ...result, stopped: true };
      if (stoppedBy === 'timeout') {
        throw new CommandError({
          command: shown,
          exitCode: null,
          stderrTail: tail(masker.mask(output.stderr)),
          hint: runOptions.hint,
          networkHint: runOptions.networkHint,
          timedOut: true,
          timeoutMs,
        });
      }
      if (exitCode !== 0 && !runOptions.nothrow) {
        throw new CommandError({
          command: shown,
          exitCode,
          stderrTail: tail(masker.mask(output.stderr || output.stdout)),
          hint: runOptions.hint,
          networkHint: runOptions.networkHint,
        });
      }
      return result;
    } finally {
      clearTimeout(timer);
      interruption?.removeEventListener('abort', onInterrupt);
      for (const signal of stopSignals) signal.removeEventListener('abort', onStop);
    }
  }

  return {
    dryRun: options.dryRun,
    verbose: options.verbose,
    masker,
    toolDirs: options.toolDirs ?? [],
    run,
    display,
    dryRunNote: (action) => log(dryRunLine(action)),
    withLog: (otherLog) => createShell({ ...options, log: otherLog }),
    withStopSignal: (signal) =>
      createShell({
        ...options,
        stopSignal: options.stopSignal ? AbortSignal.any([options.stopSignal, signal]) : signal,
      }),
  };
}

export interface AttachedRunOptions {
  kind: CommandKind;
  /** Where the command echo (--verbose) and the dry-run line go. */
  log: (line: string) => void;
  /** Aborted on Ctrl-C/SIGTERM: the child is stopped and the interruption is thrown. */
  signal?: AbortSignal;
  /** The child's whole environment (default: this process's, with the runner's tool folders first on PATH). */
  env?: NodeJS.ProcessEnv;
}

/**
 * A command attached to this terminal: stdin, stdout and stderr are this process's own, so an interactive program
 * (psql through `kubectl exec --tty`) gets the real TTY, which zx's pipes cannot pass through. Unlike `run`, the
 * child stays in this process group — the terminal's foreground group, which a program must be in to read the
 * terminal — and its output goes straight to the terminal, unmasked: it is the user's own session, not deckhand's
 * output. Dry run and --verbose behave as for `run`. Resolves with the exit code; failing is the caller's decision.
 */
export async function runAttached(
  runner: Runner,
  argv: readonly string[],
  options: AttachedRunOptions,
): Promise<{ exitCode: number; skipped: boolean }> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('runAttached() needs a command');
  const log = (line: string) => options.log(runner.masker.mask(line));
  if (runner.dryRun && options.kind === 'write') {
    log(dryRunLine(`run: ${runner.display(argv)}`));
    return { exitCode: 0, skipped: true };
  }
  if (options.signal?.aborted) throw interruptionError(options.signal);
  if (runner.verbose) log(`$ ${runner.display(argv)}`);
  const { spawn } = await import('node:child_process');
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: options.env ?? withToolDirs(process.env, runner.toolDirs),
  });
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while the child was being started: the event has fired already.
  if (options.signal?.aborted) onAbort();
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal ?? 'SIGTERM')));
    });
    if (runner.verbose) log(`  ↳ exit ${exitCode} after ${formatMs(performance.now() - started)}`);
    if (options.signal?.aborted) throw interruptionError(options.signal);
    return { exitCode, skipped: false };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** What a dry run prints instead of doing something: `[dry run] would run: helm upgrade …`. */
export function dryRunLine(action: string): string {
  return `[dry run] would ${action}`;
}

/** The error for a result obtained with `nothrow` that turned out to be a real failure. */
export function commandFailure(runner: Runner, result: RunResult, hint?: string): CommandError {
  return new CommandError({
    command: runner.display(result.argv),
    exitCode: result.exitCode,
    stderrTail: tail(runner.masker.mask(result.stderr || result.stdout)),
    hint,
  });
}

/**
 * Signals the child's whole process group: killing only the direct child (bash) could leave the real program
 * (helm, kubectl) running. SIGTERM first — helm uses it to mark an interrupted release as failed — then SIGKILL.
 */
async function killTree(child: ProcessPromise, graceMs: number): Promise<void> {
  const settled = child.then(
    () => true,
    () => true,
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    const pid = child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  };
  signalGroup('SIGTERM');
  const finished = await Promise.race([
    settled,
    new Promise<false>((resolve) => setTimeout(resolve, graceMs, false).unref()),
  ]);
  if (!finished) signalGroup('SIGKILL');
}

/**
 * The environment a child inherits: without deckhand's secret keys, the other withheld keys, and any variable holding
 * a registered secret.
 */
export function withoutSecrets(
  env: NodeJS.ProcessEnv,
  masker: SecretMasker,
  withheldKeys: readonly string[] = [],
): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    const withheld = SECRET_CONFIG_KEYS.includes(key) || withheldKeys.includes(key) || masker.isSecret(value ?? '');
    if (value === undefined || withheld) continue;
    kept[key] = value;
  }
  return kept;
}

/** `env` with `dirs` first on its PATH (unchanged when there are none). */
export function withToolDirs(env: NodeJS.ProcessEnv, dirs: readonly string[] = []): NodeJS.ProcessEnv {
  if (dirs.length === 0) return env;
  const rest = (env.PATH ?? '').split(path.delimiter).filter((entry) => entry !== '' && !dirs.includes(entry));
  return { ...env, PATH: [...dirs, ...rest].join(path.delimiter) };
}

function isNotFound(program: string, stderr: string): boolean {
  const escaped = program.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`: ${escaped}: (command not found|No such file or directory)$`, 'm').test(stderr);
}

function mergeEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function interruptionError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-STDERR_TAIL_LINES).join('\n');
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
