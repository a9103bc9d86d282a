/**
 * The entry point's plumbing: parse the command line, answer --help and --version, build the command context, run
 * the command's handler, and turn whatever happened into one report and an exit code. tasks.ts supplies the handlers
 * (its runbooks); nothing here knows what a command does.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, exitCodeFor, formatError } from '../lib/errors.ts';
import { guardProcessOutput, type OutputGuard } from '../lib/process-output.ts';
import type { CommandContext } from './context.ts';
import type { CommandSpec, Invocation } from './spec.ts';
import { runBesideTsxCli } from './tsx-cli.ts';

/** What runs a command, given its typed context. */
export type Handler<S extends CommandSpec> = (ctx: CommandContext<S>) => Promise<void>;

/** One handler per declared command, keyed and typed by the command's own declaration. */
export type Handlers<Specs extends readonly CommandSpec[]> = { readonly [S in Specs[number] as S['name']]: Handler<S> };

export interface RunCliOptions<Specs extends readonly CommandSpec[]> {
  commands: Specs;
  handlers: Handlers<Specs>;
  repoRoot: string;
  /**
   * The entry file (tasks.ts). Under the tsx CLI a command runs from it again in a process of its own, out of reach of
   * tsx's signal watchdog (see tsx-cli.ts); help, --version and usage errors are answered here, at no extra cost.
   */
  entry?: string;
}

export async function runCli<const Specs extends readonly CommandSpec[]>(
  argv: readonly string[],
  options: RunCliOptions<Specs>,
): Promise<number> {
  // First of all, so that no write — help, an error, a whole run — can crash on a closed pipe (`… | head -3`).
  const output = guardProcessOutput();
  try {
    return await runParsed(argv, options, output);
  } finally {
    output.restore();
  }
}

async function runParsed<const Specs extends readonly CommandSpec[]>(
  argv: readonly string[],
  options: RunCliOptions<Specs>,
  output: OutputGuard,
): Promise<number> {
  const { parseCommandLine } = await import('./parse.ts');
  let parsed;
  try {
    parsed = parseCommandLine(argv, options.commands);
  } catch (error) {
    process.stderr.write(`${formatError(error, { verbose: argv.includes('--verbose') })}\n`);
    return exitCodeFor(error);
  }
  if (parsed.kind === 'version') {
    const manifest = JSON.parse(readFileSync(path.join(options.repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${manifest.version}\n`);
    return EXIT_OK;
  }
  if (parsed.kind === 'help') {
    const help = await import('./help.ts');
    const spec = options.commands.find((command) => command.name === parsed.topic);
    process.stdout.write(`${spec ? help.renderCommandHelp(spec) : help.renderOverview(options.commands)}\n`);
    return EXIT_OK;
  }

  const beside = options.entry ? runBesideTsxCli(options.entry, argv) : undefined;
  if (beside) return beside;

  const { spec, invocation } = parsed;
  // The parser built this invocation from this very spec, so its options are the spec's own.
  const handler = (options.handlers as unknown as Record<string, Handler<CommandSpec> | undefined>)[spec.name];
  if (!handler) throw new Error(`internal: no handler for the command "${spec.name}"`);
  const { createCommandContext } = await import('./context.ts');
  let ctx: CommandContext | undefined;
  try {
    ctx = createCommandContext(invocation, {
      repoRoot: options.repoRoot,
      overrides: configOverrides(spec, invocation),
      output,
    });
    await handler(ctx);
    return EXIT_OK;
  } catch (error) {
    // After Ctrl-C, whatever error the interrupted step produced, the run ends as interrupted.
    const interrupted = ctx?.interruption.signal.aborted ? ctx.interruption.signal.reason : undefined;
    const reported = interrupted ?? error;
    process.stderr.write(`${formatError(reported, { verbose: invocation.flags.verbose })}\n`);
    return exitCodeFor(reported);
  } finally {
    await ctx?.close();
  }
}

/** The configuration keys this command's options set, e.g. --timeout 1h → { DECKHAND_JOB_TIMEOUT: '1h' }. */
export function configOverrides(spec: CommandSpec, invocation: Invocation): Record<string, string | undefined> {
  const overrides: Record<string, string | undefined> = {};
  for (const [option, key] of Object.entries(spec.configKeys ?? {})) {
    const value = invocation.options[option];
    overrides[key] = typeof value === 'string' ? value : undefined;
  }
  return overrides;
}

/** True when `moduleUrl` is the program node was started with (not imported by a test). */
export function isEntryPoint(moduleUrl: string, entry: string | undefined = process.argv[1]): boolean {
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
