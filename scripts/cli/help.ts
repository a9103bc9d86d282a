/** Help text, generated from the command specs. */
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.ts';
import { usageLine } from './parse.ts';
import { LAUNCHER, deckhand } from '../lib/hints.ts';

export function renderOverview(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  const lines = [
    'deckhand — build, deploy, watch and clean up apps on Linode Kubernetes (LKE), no Makefile needed.',
    '',
    `Usage: ${LAUNCHER} <command> [app] [options]`,
    '',
    'Commands:',
    ...commands.flatMap((command) => [
      `  ${command.name.padEnd(width)}${command.summary}`,
      `  ${''.padEnd(width)}e.g. ${command.examples[0]}`,
    ]),
    `  ${'help'.padEnd(width)}Show the options and examples of one command`,
    `  ${''.padEnd(width)}e.g. ${deckhand('help', 'deploy')}`,
    '',
    'Global options:',
    ...renderOptions(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 done · 1 failed · 2 bad usage or missing input · 130 interrupted',
  ];
  return lines.join('\n');
}

export function renderCommandHelp(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, '', `Usage: ${usageLine(spec)}`];
  if (spec.details) lines.push('', spec.details);
  if (spec.args.length > 0) {
    lines.push('', 'Arguments:');
    for (const argument of spec.args) {
      const choices = argument.choices ? ` (one of: ${argument.choices.join(', ')})` : '';
      lines.push(`  ${argument.name.padEnd(24)}${argument.description}${choices}`);
    }
  }
  if (Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...renderOptions(spec.options));
  lines.push('', 'Global options:', ...renderOptions(GLOBAL_OPTIONS));
  lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  return lines.join('\n');
}

function renderOptions(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` <${option.valueName ?? 'value'}>` : ''}`;
    const kinds = option.kinds ? ` (${option.kinds.join(' and ')} apps only)` : '';
    return `  ${flag.padEnd(30)}${option.description}${option.multiple ? ' (repeatable)' : ''}${kinds}`;
  });
}
