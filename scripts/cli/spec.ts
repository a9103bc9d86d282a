/**
 * How a command is declared: its name, arguments, options, one-line summary and examples, as data. The parser,
 * `--help` and `help <command>` are generated from these declarations, so the help can never list a flag that does
 * not exist — and the types below derive each command's parsed options from its declaration, so reading an option
 * by a name the command does not declare does not compile. This module is loaded on every start: types only.
 */
import type { GlobalFlags } from '../lib/config.ts';

export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly description: string;
  readonly short?: string;
  /** May be given more than once (`--release a --release b`). */
  readonly multiple?: boolean;
  /** Shown in help: `--timeout <duration>`. */
  readonly valueName?: string;
  /** The value must be a whole number in this range (the parser refuses anything else with exit 2). */
  readonly integer?: { readonly min: number; readonly max: number };
  /**
   * For commands that take either kind of app (deploy, logs): the kinds this option fits. Given for another kind it
   * is refused (exit 2) before anything runs. Absent: every kind.
   */
  readonly kinds?: readonly ('job' | 'service')[];
  /**
   * A boolean option of the same command without which this one means nothing (`--delete-volume` needs `--cleanup`):
   * given alone it is refused (exit 2) before anything runs.
   */
  readonly requires?: string;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** When set, the value must be one of these. */
  readonly choices?: readonly string[];
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Longer help shown by `help <command>`. */
  readonly details?: string;
  readonly args: readonly ArgumentSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Command options that set configuration keys, by option name: `{ timeout: 'DECKHAND_JOB_TIMEOUT' }`. */
  readonly configKeys?: Readonly<Record<string, string>>;
}

/** A boolean option is false when absent; a repeatable one is an empty list; a string is undefined. */
export type OptionValue<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['multiple'] extends true
    ? readonly string[]
    : string | undefined;

/** Each declared option by name, typed by its declaration (for a spec not known statically, any option value). */
export type OptionsOf<S extends CommandSpec> = string extends keyof S['options']
  ? { readonly [name: string]: boolean | string | readonly string[] | undefined }
  : { readonly [K in keyof S['options']]: OptionValue<S['options'][K]> };

type ArgumentValue<A extends ArgumentSpec> = A['choices'] extends readonly (infer Choice extends string)[]
  ? A['required'] extends true
    ? Choice
    : Choice | undefined
  : A['required'] extends true
    ? string
    : string | undefined;

export type ArgsOf<S extends CommandSpec> = { readonly [A in S['args'][number] as A['name']]: ArgumentValue<A> };

/** One parsed command line, typed by the command it invokes. */
export interface Invocation<S extends CommandSpec = CommandSpec> {
  readonly command: S['name'];
  /** Positional arguments by the names given in the spec. */
  readonly args: ArgsOf<S>;
  /** Command options by long name (without dashes). */
  readonly options: OptionsOf<S>;
  readonly flags: GlobalFlags;
}

/** Declares a command; `const` keeps the literal names and types the option types are derived from. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

export const GLOBAL_OPTIONS = {
  'dry-run': { type: 'boolean', description: 'Show every command that would change something, and change nothing.' },
  verbose: { type: 'boolean', short: 'v', description: 'Echo every command with its duration; show stack traces.' },
  yes: {
    type: 'boolean',
    short: 'y',
    description: 'Answer yes to confirmations (needed for destructive commands off a terminal).',
  },
  kubeconfig: {
    type: 'string',
    valueName: 'file',
    description: 'Kubeconfig file to use (default: the one deckhand wrote, else ~/.kube/config).',
  },
  context: {
    type: 'string',
    valueName: 'name',
    description: "Kubeconfig context to use (default: the file's current-context).",
  },
  namespace: {
    type: 'string',
    short: 'n',
    valueName: 'name',
    description: "Namespace to use instead of the app's own.",
  },
  help: { type: 'boolean', short: 'h', description: 'Show help.' },
} as const satisfies Readonly<Record<string, OptionSpec>>;
