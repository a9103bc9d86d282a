/**
 * A Runner that runs nothing: it records each argv and answers from the test's table, so the steps' decisions and
 * exact commands can be asserted without a cluster (release-it `test/git.js`, np `stub-execa.js`). The kubeconfig
 * and context arguments are dropped from the recorded command line to keep assertions readable.
 */
import { CommandError } from '../../scripts/lib/errors.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import { displayCommand } from '../../scripts/lib/quote.ts';
import type { RunOptions, RunResult, Runner } from '../../scripts/lib/shell.ts';

export interface FakeAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export interface FakeRunner extends Runner {
  /** Every command that ran (reads and writes), target arguments removed. */
  readonly calls: string[];
  /** Only the writes (in a dry run: the ones that were printed, not run). */
  readonly writes: string[];
  readonly logged: string[];
}

const TARGET_FLAGS = new Set(['--kubeconfig', '--context', '--kube-context']);

export function commandLine(argv: readonly string[]): string {
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    if (TARGET_FLAGS.has(argv[index]!)) {
      index += 1;
      continue;
    }
    kept.push(argv[index]!);
  }
  return kept.join(' ');
}

/** `answer` gets the command line (without target flags) and returns what the command "printed". */
export function fakeRunner(
  answer: (command: string) => FakeAnswer | undefined,
  options: { dryRun?: boolean } = {},
): FakeRunner {
  const calls: string[] = [];
  const writes: string[] = [];
  const logged: string[] = [];
  const masker = new SecretMasker();
  const build = (log: (line: string) => void): FakeRunner => ({
    dryRun: options.dryRun ?? false,
    verbose: false,
    masker,
    calls,
    writes,
    logged,
    display: (argv) => displayCommand(argv),
    dryRunNote: (action) => log(`[dry run] would ${action}`),
    withLog: (other) => build(other),
    // Fake commands finish at once: there is nothing to stop.
    withStopSignal: () => build(log),
    async run(argv: readonly string[], runOptions: RunOptions): Promise<RunResult> {
      const command = commandLine(argv);
      const skippedAs = runOptions.kind === 'write' ? 'run' : runOptions.dependsOnWrites;
      // A dry run's writes are recorded (as what would run); its waits on those writes are not run at all.
      if (runOptions.kind === 'write' || !(skippedAs && options.dryRun)) calls.push(command);
      if (runOptions.kind === 'write') writes.push(command);
      if (skippedAs && options.dryRun) {
        log(`[dry run] would ${skippedAs}: ${command}`);
        return { argv, stdout: runOptions.dryRunStdout ?? '', stderr: '', exitCode: 0, durationMs: 0, skipped: true };
      }
      const reply = answer(command) ?? {};
      const result: RunResult = {
        argv,
        stdout: reply.stdout ?? '',
        stderr: reply.stderr ?? '',
        exitCode: reply.exitCode ?? 0,
        durationMs: 1,
        skipped: false,
      };
      for (const line of result.stdout.split('\n'))
        if (line !== '' && runOptions.onStdoutLine) runOptions.onStdoutLine(line);
      if (result.exitCode !== 0 && !runOptions.nothrow)
        throw new CommandError({
          command,
          exitCode: result.exitCode,
          stderrTail: result.stderr,
          hint: runOptions.hint,
          networkHint: runOptions.networkHint,
        });
      return result;
    },
  });
  return build((line) => logged.push(line));
}

/** A `kubectl get … -o json` list answer. */
export function listOf(items: readonly object[]): FakeAnswer {
  return { stdout: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) };
}

export function json(value: unknown): FakeAnswer {
  return { stdout: JSON.stringify(value) };
}
