/**
 * Output. Diagnostics go to stderr and data (tables, JSON) to stdout, so `--json` output can be piped. Listr2 draws
 * its default renderer on a terminal and falls back to plain, line-by-line output when stdout is not a TTY or
 * CI=true. Everything printed passes the SecretMasker (and the process-wide guard behind it).
 */
import { styleText } from 'node:util';
import type { ListrBaseClassOptions, ListrTask } from 'listr2';
import { StepError } from './errors.ts';
import type { SecretMasker } from './redact.ts';

export interface Ui {
  /** A person is watching a terminal (not CI, not a pipe). */
  readonly interactive: boolean;
  info(message: string): void;
  warn(message: string): void;
  success(message: string): void;
  /** Data for the user or a script: stdout. */
  data(text: string): void;
}

export function createUi(options: {
  masker: SecretMasker;
  interactive: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}): Ui {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const paint = (format: Parameters<typeof styleText>[0], text: string) =>
    styleText(format, text, { stream: stderr as NodeJS.WriteStream });
  const line = (text: string) => stderr.write(`${options.masker.mask(text)}\n`);
  return {
    interactive: options.interactive,
    info: (message) => line(message),
    warn: (message) => line(paint('yellow', `⚠ ${message}`)),
    success: (message) => line(paint('green', `✔ ${message}`)),
    data: (text) => stdout.write(`${options.masker.mask(text)}\n`),
  };
}

/** True when stdout can show Listr's redrawing renderer. */
export function canRedraw(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
  return Boolean(process.stdout.isTTY) && !ci && env.TERM !== 'dumb';
}

/**
 * Listr options shared by every pipeline. Off a terminal the `simple` renderer prints each title and output line
 * once; `--verbose` uses the simple renderer too so the command echo is never overdrawn.
 */
export function listrOptions<Ctx>(options: {
  verbose: boolean;
  env?: NodeJS.ProcessEnv;
}): ListrBaseClassOptions<Ctx, 'default', 'simple'> {
  const redraw = canRedraw(options.env) && !options.verbose;
  return {
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !redraw,
    exitOnError: true,
    registerSignalListeners: false, // deckhand's own handler forwards Ctrl-C to children and runs cleanup
    rendererOptions: {
      collapseSubtasks: false,
      collapseSkips: false,
      showSkipMessage: true,
      showErrorMessage: true,
      formatOutput: 'wrap',
    },
  };
}

/**
 * The tasks, each rethrowing its failure as a StepError, so Listr shows one line beside the failed step and the whole
 * error is printed once, at the end (see StepError). Subtasks need it too: a parent step shows its subtask's error.
 */
// listr2's task type is generic in its renderers; the wrapper passes them through untouched.
export function stepTasks<Ctx>(tasks: ListrTask<Ctx, any, any>[]): ListrTask<Ctx, any, any>[] {
  const rethrow = (error: unknown): never => {
    throw error instanceof StepError ? error : new StepError(error);
  };
  return tasks.map((entry) => ({
    ...entry,
    task: (ctx, task) => {
      try {
        const result = entry.task(ctx, task);
        return result instanceof Promise ? result.catch(rethrow) : result;
      } catch (error) {
        return rethrow(error);
      }
    },
  }));
}

/** A log function that writes into a Listr task's output (masked by the runner or the caller before it gets here). */
export function taskLog(task: { output: string }): (line: string) => void {
  return (line) => {
    task.output = line;
  };
}
