/**
 * How a command is declared: its name, arguments, options, one-line summary and examples. The parser, `--help`
 * and `help <command>` are all generated from these declarations, so the help can never list a flag that does not
 * exist. This module is loaded on every start, so it imports nothing heavy.
 */
import type { GlobalFlags } from '../lib/config.ts';
import type { CommandContext } from './context.ts';

export interface OptionSpec {
  type: 'boolean' | 'string';
  description: string;
  short?: string;
  /** May be given more than once (`--release a --release b`). */
  multiple?: boolean;
  /** Shown in help: `--timeout <duration>`. */
  valueName?: string;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  /** When set, the value must be one of these. */
  choices?: readonly string[];
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  command: string;
  /** Positional arguments by the names given in the spec. */
  args: Record<string, string | undefined>;
  /** Command options by long name (without dashes). */
  options: OptionValues;
  flags: GlobalFlags;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Longer help shown by `help <command>`. */
  details?: string;
  args: readonly ArgumentSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  examples: readonly string[];
  /** Command options that override configuration keys, e.g. --timeout → DECKHAND_JOB_TIMEOUT. */
  configOverrides?: (invocation: Invocation) => Record<string, string | undefined>;
  run: (ctx: CommandContext) => Promise<void>;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
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
};
