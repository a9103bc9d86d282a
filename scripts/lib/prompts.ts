/**
 * Questions to the person at the terminal. Flags and environment come first; a prompt is the last resort and only
 * when someone is there: off a terminal (CI, pipes) every ask fails fast with MissingInputError (exit 2), naming what
 * is missing and how to give it. @inquirer/prompts is imported only when a prompt is really shown.
 *
 * Inside a Listr task, prompts go through the listr2 inquirer adapter so the renderer pauses cleanly.
 */
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

export function createPrompter(options: { interactive: boolean; signal?: AbortSignal }): Prompter {
  const run: PromptRunner = async (name, promptOptions) => {
    const inquirer = await import('@inquirer/prompts');
    const prompt = inquirer[name] as (config: unknown, context?: { signal?: AbortSignal }) => Promise<never>;
    return prompt(promptOptions, { signal: options.signal });
  };
  return buildPrompter(options.interactive, run);
}

/** A prompter for use inside a Listr task (via @listr2/prompt-adapter-inquirer). */
export function createTaskPrompter(
  task: { prompt: (adapter: never) => { run: (prompt: never, options: never) => Promise<unknown> } },
  options: { interactive: boolean },
): Prompter {
  const run: PromptRunner = async (name, promptOptions) => {
    const [{ ListrInquirerPromptAdapter }, inquirer] = await Promise.all([
      import('@listr2/prompt-adapter-inquirer'),
      import('@inquirer/prompts'),
    ]);
    const adapter = task.prompt(ListrInquirerPromptAdapter as never);
    return adapter.run(inquirer[name] as never, promptOptions as never) as never;
  };
  return buildPrompter(options.interactive, run);
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
