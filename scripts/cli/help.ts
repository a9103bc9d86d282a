/**
 * Help text, generated from the command specs. Prose is wrapped to the terminal (80 columns off one, at most 120 so
 * lines stay readable on a wide screen), under its label; usage lines and examples are never broken, so they can be
 * copied whole.
 */
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.ts';
import { HELP_TOPIC, usageLine } from './parse.ts';
import { LAUNCHER, deckhand } from '../lib/hints.ts';
import { hangingLines, wrapWords } from '../lib/wording.ts';

const OFF_TERMINAL_WIDTH = 80;
const MAX_WIDTH = 120;

/** How wide help may be on this output. */
export function helpWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.min(stream.columns, MAX_WIDTH) : OFF_TERMINAL_WIDTH;
}

/** What `--help`, `help`, `help <command>` and `help help` print. */
export function renderHelp(topic: string | undefined, commands: readonly CommandSpec[], width = helpWidth()): string {
  if (topic === HELP_TOPIC) return renderHelpHelp(commands, width);
  const spec = commands.find((command) => command.name === topic);
  return spec ? renderCommandHelp(spec, width) : renderOverview(commands, width);
}

export function renderOverview(commands: readonly CommandSpec[], width = helpWidth()): string {
  const column = Math.max(...commands.map((command) => command.name.length)) + 4;
  const entry = (name: string, summary: string, example: string) => [
    ...hangingLines(`  ${name}`.padEnd(column), summary, width),
    `${''.padEnd(column)}e.g. ${example}`,
  ];
  const lines = [
    ...wrapWords(
      'deckhand — build, deploy, watch and clean up apps on Linode Kubernetes (LKE), no Makefile needed.',
      width,
    ),
    '',
    `Usage: ${LAUNCHER} <command> [app] [options]`,
    '',
    'Commands:',
    ...commands.flatMap((command) => entry(command.name, command.summary, command.examples[0] ?? '')),
    ...entry(HELP_TOPIC, 'Show the options and examples of one command', deckhand('help', 'deploy')),
    '',
    'Global options:',
    ...renderOptions(GLOBAL_OPTIONS, width),
    '',
    ...wrapWords('Exit codes: 0 done · 1 failed · 2 bad usage or missing input · 130 interrupted', width),
  ];
  return lines.join('\n');
}

export function renderCommandHelp(spec: CommandSpec, width = helpWidth()): string {
  const lines = [...wrapWords(spec.summary, width), '', `Usage: ${usageLine(spec)}`];
  if (spec.details) lines.push('', ...paragraphs(spec.details, width));
  if (spec.args.length > 0) {
    lines.push('', 'Arguments:');
    for (const argument of spec.args) {
      const choices = argument.choices ? ` (one of: ${argument.choices.join(', ')})` : '';
      lines.push(...hangingLines(`  ${argument.name}`.padEnd(26), `${argument.description}${choices}`, width));
    }
  }
  if (Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...renderOptions(spec.options, width));
  lines.push('', 'Global options:', ...renderOptions(GLOBAL_OPTIONS, width));
  lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  return lines.join('\n');
}

function renderOptions(options: Readonly<Record<string, OptionSpec>>, width: number): string[] {
  return Object.entries(options).flatMap(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` <${option.valueName ?? 'value'}>` : ''}`;
    const kinds = option.kinds ? ` (${option.kinds.join(' and ')} apps only)` : '';
    const requires =
      option.requires && !option.description.includes(`--${option.requires}`) ? ` (with --${option.requires})` : '';
    return hangingLines(
      `  ${flag}`.padEnd(32),
      `${option.description}${option.multiple ? ' (repeatable)' : ''}${requires}${kinds}`,
      width,
    );
  });
}

function renderHelpHelp(commands: readonly CommandSpec[], width: number): string {
  return [
    ...wrapWords('Show the options and examples of one command, or every command when none is named.', width),
    '',
    `Usage: ${LAUNCHER} help [command]`,
    `       ${LAUNCHER} <command> --help`,
    '',
    'Arguments:',
    ...hangingLines('  command'.padEnd(26), `one of: ${commands.map((command) => command.name).join(', ')}`, width),
    '',
    'Examples:',
    `  ${deckhand('help')}`,
    `  ${deckhand('help', 'deploy')}`,
    `  ${deckhand('deploy', '--help')}`,
  ].join('\n');
}

/** The specs' details are paragraphs written across several source lines: joined, then wrapped to the width. */
function paragraphs(text: string, width: number): string[] {
  return text
    .split(/\n\s*\n/)
    .flatMap((paragraph, index) => [...(index > 0 ? [''] : []), ...wrapWords(paragraph, width)]);
}
