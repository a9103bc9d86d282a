/**
 * Questions to the person at the terminal. Flags and environment come first; a prompt is the last resort and only
 * when someone is there: off a terminal (CI, pipes) every ask fails fast with MissingInputError (exit 2), naming what
 * is missing and how to give it. @inquirer/prompts is imported only when a prompt is really shown.
 *
 * Inside a Listr task, prompts go through the listr2 inquirer adapter so the renderer pauses cleanly.
 *
 * Esc cancels any prompt, as Ctrl-C does (exit 130, nothing done). @inquirer/prompts has no key for it: it takes an
 * AbortSignal, which a keypress listener on the terminal fires (the recipe its README gives for cancelling).
 */
import type { Key } from 'node:readline';
import { InterruptedError, MissingInputError, isPromptCancel } from './errors.ts';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

/** What a prompt needs to know to fail well off a terminal. */
export interface AskContext {
  /** e.g. "START_DATE" or "releases to uninstall" */
  what: string;
  /** e.g. "set START_DATE in .env.caelundas" or "pass --release NAME" */
  howToProvide: string;
}

export interface Prompter {
  readonly interactive: boolean;
  /** Tells the person what was done with their answers: a line under the step in a pipeline, stderr otherwise. */
  tell?(line: string): void;
  input(
    options: { message: string; default?: string; validate?: (value: string) => string | true },
    context: AskContext,
  ): Promise<string>;
  password(
    options: { message: string; validate?: (value: string) => string | true },
    context: AskContext,
  ): Promise<string>;
  confirm(options: { message: string; default?: boolean }, context: AskContext): Promise<boolean>;
  checkbox<T>(
    options: { message: string; choices: readonly Choice<T>[]; required?: boolean },
    context: AskContext,
  ): Promise<T[]>;
  select<T>(options: { message: string; choices: readonly Choice<T>[] }, context: AskContext): Promise<T>;
}

type Inquirer = typeof import('@inquirer/prompts');
/** Runs one inquirer prompt function with its options; the direct and the Listr-adapter prompters differ only here. */
type PromptRunner = <Name extends 'input' | 'password' | 'confirm' | 'checkbox' | 'select'>(
  name: Name,
  options: Parameters<Inquirer[Name]>[0],
) => Promise<Awaited<ReturnType<Inquirer[Name]>>>;

export function createPrompter(options: {
  interactive: boolean;
  signal?: AbortSignal;
  input?: NodeJS.ReadableStream;
}): Prompter {
  const run: PromptRunner = async (name, promptOptions) => {
    const inquirer = await import('@inquirer/prompts');
    const prompt = inquirer[name] as (config: unknown, context?: { signal?: AbortSignal }) => Promise<never>;
    return cancelledByEscape(options.input ?? process.stdin, options.signal, (signal) =>
      prompt(promptOptions, { signal }),
    );
  };
  return { ...buildPrompter(options.interactive, run), tell: (line) => process.stderr.write(`${line}\n`) };
}

interface TaskPromptAdapter {
  /** The adapter's own controller: listr2 aborts it when the task is skipped. */
  signal: AbortController;
  run(prompt: never, options: never, context: { signal: AbortSignal }): Promise<unknown>;
}

/** A prompter for use inside a Listr task (via @listr2/prompt-adapter-inquirer). */
export function createTaskPrompter(
  task: { prompt: (adapter: never) => TaskPromptAdapter; output?: string },
  options: { interactive: boolean; input?: NodeJS.ReadableStream },
): Prompter {
  const run: PromptRunner = async (name, promptOptions) => {
    const [{ ListrInquirerPromptAdapter }, inquirer] = await Promise.all([
      import('@listr2/prompt-adapter-inquirer'),
      import('@inquirer/prompts'),
    ]);
    const adapter = task.prompt(ListrInquirerPromptAdapter as never);
    return cancelledByEscape(options.input ?? process.stdin, adapter.signal.signal, (signal) =>
      adapter.run(inquirer[name] as never, promptOptions as never, { signal }),
    ) as never;
  };
  return {
    ...buildPrompter(options.interactive, run),
    tell: (line) => {
      task.output = line;
    },
  };
}

/**
 * Starts a prompt with a signal that also fires on Esc. The listener goes on once the prompt has started: inquirer's
 * readline then owns the terminal and turns a lone Esc into an `escape` keypress (arrow keys, which also begin with
 * an escape byte, arrive as their own names).
 */
async function cancelledByEscape<T>(
  input: NodeJS.ReadableStream,
  outer: AbortSignal | undefined,
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const escape = new AbortController();
  const signal = outer ? AbortSignal.any([outer, escape.signal]) : escape.signal;
  const onKeypress = (_: string | undefined, key: Key | undefined) => {
    if (key?.name === 'escape') escape.abort(new InterruptedError('Cancelled with Esc.'));
  };
  const prompt = start(signal);
  input.on('keypress', onKeypress);
  try {
    return await prompt;
  } finally {
    input.off('keypress', onKeypress);
  }
}

function buildPrompter(interactive: boolean, run: PromptRunner): Prompter {
  const ask = async <T>(context: AskContext, fn: () => Promise<T>): Promise<T> => {
    if (!interactive)
      throw new MissingInputError('Input is needed and nobody is at a terminal to give it:', [
        { name: context.what, howToProvide: context.howToProvide },
      ]);
    try {
      return await fn();
    } catch (error) {
      if (isPromptCancel(error)) throw new InterruptedError('Cancelled at the prompt; nothing was changed by it.');
      throw error;
    }
  };
  return {
    interactive,
    input: (options, context) => ask(context, () => run('input', options)),
    password: (options, context) => ask(context, () => run('password', { ...options, mask: '*' })),
    confirm: (options, context) => ask(context, () => run('confirm', { default: false, ...options })),
    checkbox: (options, context) =>
      ask(context, () =>
        run('checkbox', {
          message: options.message,
          choices: options.choices.map((choice) => ({ ...choice })),
          pageSize: 15,
          ...(options.required ? { required: true } : {}),
        }),
      ) as Promise<never>,
    select: (options, context) =>
      ask(context, () =>
        run('select', {
          message: options.message,
          choices: options.choices.map((choice) => ({ ...choice })),
          pageSize: 15,
        }),
      ) as Promise<never>,
  };
}
