/**
 * Typed errors and the exit codes they map to. Library code throws these; only the top-level handler in
 * tasks.ts turns them into output and an exit code, so every path ends the same way.
 *
 *   0   done
 *   1   a step failed (DeckhandError, CommandError, NetworkError, anything unexpected)
 *   2   bad usage or missing input (UsageError, MissingInputError) — nothing was changed
 *   130 interrupted (Ctrl-C, SIGTERM, the output pipe closed, or a prompt cancelled)
 */
import { deckhand, isNetworkFailure, NETWORK_HINT } from './hints.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A failure we understand: `what` happened, `fix` says what to do next. */
export class DeckhandError extends Error {
  readonly fix: string | undefined;
  readonly exitCode: number = EXIT_FAILED;

  constructor(what: string, fix?: string, options?: ErrorOptions) {
    super(what, options);
    this.name = new.target.name;
    this.fix = fix;
  }
}

/** The command line or a value given to it is wrong. Raised before anything is changed. */
export class UsageError extends DeckhandError {
  override readonly exitCode = EXIT_USAGE;
}

/** One item of input that is needed and was not given, with every way to give it. */
export interface MissingItem {
  name: string;
  /** e.g. "set START_DATE in .env.caelundas or the environment, or run on a terminal to be asked" */
  howToProvide: string;
}

/** Input is missing and we may not (or cannot) ask for it. Lists every missing item at once. */
export class MissingInputError extends DeckhandError {
  override readonly exitCode = EXIT_USAGE;
  readonly missing: readonly MissingItem[];

  constructor(summary: string, missing: readonly MissingItem[]) {
    super(`${summary}\n${missing.map((item) => `  - ${item.name}: ${item.howToProvide}`).join('\n')}`);
    this.missing = missing;
  }
}

/** Several values are present but invalid; every problem is listed so the user fixes them in one go. */
export class ValidationError extends DeckhandError {
  override readonly exitCode = EXIT_USAGE;
  readonly problems: readonly string[];

  constructor(summary: string, problems: readonly string[], fix?: string) {
    super(`${summary}\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, fix);
    this.problems = problems;
  }
}

/** The user pressed Ctrl-C, the process got SIGTERM, or a prompt was cancelled. */
export class InterruptedError extends DeckhandError {
  override readonly exitCode = EXIT_INTERRUPTED;

  constructor(reason = 'Interrupted') {
    super(reason);
  }
}

/** The tools `tools install` puts into .deckhand/bin. */
const PINNED_TOOLS: readonly string[] = ['helm', 'kubectl'];

/**
 * A program deckhand runs is not installed (or not on PATH). Reported as that, whatever the call's own hint says:
 * a missing helm is not a cluster that does not answer.
 */
export class ToolMissingError extends DeckhandError {
  readonly program: string;

  constructor(program: string) {
    super(
      `${program} is not installed (or not on PATH).`,
      PINNED_TOOLS.includes(program)
        ? `Install it with \`${deckhand('tools', 'install')}\` (the pinned helm 4 and kubectl 1.34, on Linux x64; elsewhere see the README's prerequisites), then run again; \`${deckhand('doctor')}\` checks every tool.`
        : `Install ${program} (see the README's prerequisites), then run again; \`${deckhand('doctor')}\` checks every tool and says where to get it.`,
    );
    this.program = program;
  }
}

/**
 * The cluster's API could not be reached, or the connection to it broke and did not come back. Exit 1 like any
 * failed step; its own class so callers (and tests) tell it apart from a refusal, and so it never carries hints
 * about permissions or images.
 */
export class NetworkError extends DeckhandError {}

/**
 * An external command exited non-zero or timed out. Its text is already masked by the runner. A failure that is
 * the network's (refused, reset, timed out) gets `networkHint` or the general one instead of the call's own hint,
 * which is written for the call's other failures (permissions, a helper image without tar).
 */
export class CommandError extends DeckhandError {
  readonly command: string;
  readonly commandExitCode: number | null;
  readonly stderrTail: string;
  readonly timedOut: boolean;
  /** The command failed because the API could not be reached (see isNetworkFailure). */
  readonly network: boolean;

  constructor(details: {
    command: string;
    exitCode: number | null;
    stderrTail: string;
    hint?: string;
    /** What to do when the failure is the network's; default: NETWORK_HINT. */
    networkHint?: string;
    timedOut?: boolean;
    timeoutMs?: number;
  }) {
    const headline = details.timedOut
      ? `Timed out after ${formatMs(details.timeoutMs ?? 0)}: ${details.command}`
      : `Command failed (exit ${details.exitCode ?? 'signal'}): ${details.command}`;
    const body = details.stderrTail ? `\n${indent(details.stderrTail)}` : '';
    const network = isNetworkFailure(details.stderrTail);
    super(`${headline}${body}`, network ? (details.networkHint ?? NETWORK_HINT) : details.hint);
    this.command = details.command;
    this.commandExitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.timedOut = details.timedOut ?? false;
    this.network = network;
  }
}

/**
 * A step's failure as Listr shows it beside the step: the first line only. The whole error, with what to do, is
 * printed once by the top-level handler — which, like exitCodeFor, looks through to the original (unwrapStepError).
 * Without it, a long error (a diagnosis with log lines) was printed by Listr beside the step, beside its parent step,
 * and once more at the end.
 */
export class StepError extends Error {
  readonly original: unknown;

  constructor(original: unknown) {
    super((original instanceof Error ? original.message : String(original)).split('\n')[0]);
    this.name = 'StepError';
    this.original = original;
  }
}

export function unwrapStepError(error: unknown): unknown {
  let current = error;
  while (current instanceof StepError) current = current.original;
  return current;
}

export function exitCodeFor(wrapped: unknown): number {
  const error = unwrapStepError(wrapped);
  if (error instanceof DeckhandError) return error.exitCode;
  if (isPromptCancel(error)) return EXIT_INTERRUPTED;
  return EXIT_FAILED;
}

/**
 * @inquirer/prompts rejects with ExitPromptError on Ctrl-C and AbortPromptError when its signal fires. Matching on the
 * name keeps this module free of a dependency on the prompt library (it is loaded only when a prompt is shown).
 */
export function isPromptCancel(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}

/** The text shown for an error: the message and the fix; the stack only for unexpected errors in verbose mode. */
export function formatError(wrapped: unknown, options: { verbose: boolean }): string {
  const error = unwrapStepError(wrapped);
  if (isPromptCancel(error)) return 'Cancelled.';
  if (error instanceof DeckhandError) {
    const lines = [`✖ ${error.message}`];
    if (error.fix) lines.push(`→ ${error.fix}`);
    if (options.verbose && error.cause instanceof Error && error.cause.stack) lines.push(error.cause.stack);
    return lines.join('\n');
  }
  if (error instanceof Error) {
    const lines = [`✖ Unexpected error: ${error.message}`];
    lines.push(options.verbose && error.stack ? error.stack : '  (run again with --verbose to see the stack trace)');
    return lines.join('\n');
  }
  return `✖ Unexpected error: ${String(error)}`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  │ ${line}`)
    .join('\n');
}
