/**
 * The command line parser: node:util's parseArgs (strict) with the option table built from the command specs.
 * Anything unknown is a UsageError (exit 2) that suggests the closest valid spelling.
 */
import { parseArgs } from 'node:util';
import type { GlobalFlags } from '../lib/config.ts';
import { UsageError } from '../lib/errors.ts';
import { closestMatch } from '../lib/suggest.ts';
import { GLOBAL_OPTIONS, type CommandSpec, type Invocation, type OptionSpec } from './spec.ts';
import { LAUNCHER, deckhand } from '../lib/hints.ts';

/** The one topic of `help` that is not a command. */
export const HELP_TOPIC = 'help';

export type ParsedCommandLine =
  { kind: 'help'; topic?: string } | { kind: 'version' } | { kind: 'run'; spec: CommandSpec; invocation: Invocation };

export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): ParsedCommandLine {
  if (argv.length === 1 && argv[0] === '--version') return { kind: 'version' };

  // One table for parseArgs: a name means the same kind of option in every command (a test checks this); it is
  // repeatable here if any command repeats it, and per command below.
  const allOptions: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options)) {
      allOptions[name] = { ...option, multiple: Boolean(option.multiple || allOptions[name]?.multiple) };
    }
  }

  let parsed: ReturnType<
    typeof parseArgs<{ options: Record<string, OptionSpec>; allowPositionals: true; strict: true; tokens: true }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: toParseArgsOptions(allOptions),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw translateParseError(error, argv, commands, allOptions);
  }

  const [commandName, ...rest] = parsed.positionals;
  if (commandName === undefined || commandName === 'help') {
    if (!commandName && !parsed.values.help)
      throw new UsageError(
        `Which command? Give one, for example: ${deckhand('deploy', 'caelundas', '--dry-run')}`,
        `Run \`${deckhand('--help')}\` to see every command.`,
      );
    const topic = commandName === 'help' ? rest[0] : undefined;
    // `help help` asks what `help` does, as `git help help` and `kubectl help help` do.
    if (topic !== undefined && topic !== HELP_TOPIC) findCommand(topic, commands);
    return { kind: 'help', topic };
  }
  const spec = findCommand(commandName, commands);
  if (parsed.values.help) return { kind: 'help', topic: spec.name };

  // parseArgs knew every command's options; a flag that belongs to another command is still wrong here.
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (token.name in GLOBAL_OPTIONS || token.name in spec.options) continue;
    const suggestion = closestMatch(token.name, [...Object.keys(spec.options), ...Object.keys(GLOBAL_OPTIONS)]);
    throw new UsageError(
      `"${spec.name}" has no option --${token.name}.`,
      `${suggestion ? `Did you mean --${suggestion}? ` : ''}Run \`${deckhand('help', spec.name)}\` to see its options.`,
    );
  }

  for (const token of parsed.tokens) {
    if (token.kind === 'option' && token.value !== undefined)
      checkValue(token.name, token.value, allOptions[token.name]!);
  }

  const args: Record<string, string | undefined> = {};
  spec.args.forEach((argument, index) => {
    const value = rest[index];
    if (value === undefined) {
      if (argument.required)
        throw new UsageError(
          `"${spec.name}" needs <${argument.name}>: ${argument.description}.`,
          `Example: ${spec.examples[0]}`,
        );
      return;
    }
    if (argument.choices && !argument.choices.includes(value)) {
      const suggestion = closestMatch(value, argument.choices);
      throw new UsageError(
        `"${value}" is not a valid <${argument.name}> for "${spec.name}".`,
        `${suggestion ? `Did you mean "${suggestion}"? ` : ''}Choose one of: ${argument.choices.join(', ')}.`,
      );
    }
    args[argument.name] = value;
  });
  if (rest.length > spec.args.length) {
    throw new UsageError(
      `Unexpected argument "${rest[spec.args.length]}" for "${spec.name}".`,
      `Usage: ${usageLine(spec)}`,
    );
  }

  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const options: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const value = values[name];
    if (option.type === 'boolean') {
      options[name] = value === true;
    } else if (option.multiple) {
      options[name] = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
    } else if (Array.isArray(value)) {
      if (value.length > 1) {
        throw new UsageError(`--${name} can be given only once for "${spec.name}".`, `Usage: ${usageLine(spec)}`);
      }
      options[name] = value[0];
    } else {
      options[name] = value as string | undefined;
    }
  }
  for (const [name, option] of Object.entries(spec.options)) {
    const given = options[name] === true || (typeof options[name] === 'string' && options[name] !== '');
    if (given && option.requires !== undefined && options[option.requires] !== true) {
      throw new UsageError(
        `--${name} works only together with --${option.requires}.`,
        `Add --${option.requires}, or leave --${name} out. Run \`${deckhand('help', spec.name)}\` for what each does.`,
      );
    }
  }
  const flags: GlobalFlags = {
    dryRun: values['dry-run'] === true,
    verbose: values.verbose === true,
    yes: values.yes === true,
    kubeconfig: values.kubeconfig as string | undefined,
    context: values.context as string | undefined,
    namespace: values.namespace as string | undefined,
  };
  return { kind: 'run', spec, invocation: { command: spec.name, args, options, flags } };
}

/**
 * Every value given to a string option must say something: an empty one (`--image ''`, `--namespace=`) used to fall
 * back silently to the default — `--image ''` even switched deploy to building and logging in to a registry.
 */
function checkValue(name: string, value: string, option: OptionSpec): void {
  const example = `--${name} ${option.valueName ? `<${option.valueName}>` : 'VALUE'}`;
  if (value.trim() === '') {
    throw new UsageError(
      `--${name} was given an empty value.`,
      `Give it a value (${example}), or leave --${name} out to use the default.`,
    );
  }
  if (option.integer) {
    const { min, max } = option.integer;
    const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!(number >= min && number <= max)) {
      throw new UsageError(
        `--${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}, got "${value}".`,
        `Example: --${name} 100`,
      );
    }
  }
}

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((argument) => {
    const label = argument.choices ? argument.choices.join('|') : argument.name;
    return argument.required ? `<${label}>` : `[${label}]`;
  });
  return [LAUNCHER, spec.name, ...args, '[options]'].join(' ');
}

function findCommand(name: string, commands: readonly CommandSpec[]): CommandSpec {
  const spec = commands.find((command) => command.name === name);
  if (spec) return spec;
  const suggestion = closestMatch(name, [...commands.map((command) => command.name), HELP_TOPIC]);
  throw new UsageError(
    `Unknown command "${name}".`,
    `${suggestion ? `Did you mean "${suggestion}"? ` : ''}Run \`${deckhand('--help')}\` to see every command.`,
  );
}

function toParseArgsOptions(options: Record<string, OptionSpec>) {
  const result: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, option] of Object.entries(options)) {
    result[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  return result;
}

function translateParseError(
  error: unknown,
  argv: readonly string[],
  commands: readonly CommandSpec[],
  allOptions: Record<string, OptionSpec>,
): Error {
  if (!(error instanceof Error)) return error as Error;
  const code = (error as NodeJS.ErrnoException).code;
  const commandName = argv.find((arg) => !arg.startsWith('-'));
  const command = commands.find((candidate) => candidate.name === commandName);
  const validNames = command
    ? [...Object.keys(command.options), ...Object.keys(GLOBAL_OPTIONS)]
    : Object.keys(allOptions);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(error.message)?.[1] ?? '?';
    const suggestion = closestMatch(option.replace(/^-+/, '').split('=')[0]!, validNames);
    const where = command ? `"${command.name}"` : 'deckhand';
    return new UsageError(
      `Unknown option ${option} for ${where}.`,
      `${suggestion ? `Did you mean --${suggestion}? ` : ''}Run \`${command ? deckhand('help', command.name) : deckhand('--help')}\` to see the options.`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(
      error.message.replace(/\.$/, '') + '.',
      `Give the option a value, e.g. --context my-cluster, or see \`${deckhand('--help')}\`.`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(error.message);
  return error;
}
