import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../scripts/cli/parse.ts';
import { GLOBAL_OPTIONS, type CommandSpec } from '../scripts/cli/spec.ts';
import { UsageError } from '../scripts/lib/errors.ts';
import { COMMANDS } from '../scripts/cli/commands/index.ts';
import { runCli as runDeckhand } from '../scripts/cli/main.ts';
import { runCli, startCli } from './support/cli.ts';
import { tempDirs } from './support/temp.ts';

const tempDir = tempDirs('cli');

const SPECS: CommandSpec[] = [
  {
    name: 'deploy',
    summary: 's',
    args: [{ name: 'app', description: 'the app', required: true }],
    options: { image: { type: 'string', description: 'd' }, rebuild: { type: 'boolean', description: 'd' } },
    examples: ['npx tsx tasks.ts deploy caelundas'],
  },
  {
    name: 'uninstall',
    summary: 's',
    args: [{ name: 'app', description: 'the app', required: true }],
    options: { release: { type: 'string', multiple: true, description: 'd' } },
    examples: ['x'],
  },
  {
    name: 'logs',
    summary: 's',
    args: [{ name: 'app', description: 'the app', required: true }],
    options: { release: { type: 'string', description: 'd' } },
    examples: ['x'],
  },
  {
    name: 'infra',
    summary: 's',
    args: [
      { name: 'action', description: 'what to do', required: true, choices: ['plan', 'apply', 'destroy', 'output'] },
    ],
    options: {},
    examples: ['x'],
  },
];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  assert.fail('expected a UsageError');
}

describe('the command line parser', () => {
  it('reads the command, its arguments, its options and the global flags in any order', () => {
    const parsed = parseCommandLine(
      ['--dry-run', 'deploy', '--image', 'ghcr.io/x/y:1', 'caelundas', '-n', 'apps', '--rebuild'],
      SPECS,
    );
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    assert.equal(parsed.spec.name, 'deploy');
    assert.deepEqual(parsed.invocation.args, { app: 'caelundas' });
    assert.deepEqual(parsed.invocation.options, { image: 'ghcr.io/x/y:1', rebuild: true });
    assert.deepEqual(parsed.invocation.flags, {
      dryRun: true,
      verbose: false,
      yes: false,
      kubeconfig: undefined,
      context: undefined,
      namespace: 'apps',
    });
  });

  it('collects repeatable options and refuses to repeat single ones', () => {
    const parsed = parseCommandLine(['uninstall', 'caelundas', '--release', 'a', '--release', 'b'], SPECS);
    assert.ok(parsed.kind === 'run');
    assert.deepEqual(parsed.invocation.options.release, ['a', 'b']);
    const single = parseCommandLine(['logs', 'caelundas', '--release', 'a'], SPECS);
    assert.ok(single.kind === 'run');
    assert.equal(single.invocation.options.release, 'a');
    assert.match(
      usageError(() => parseCommandLine(['logs', 'caelundas', '--release', 'a', '--release', 'b'], SPECS)).message,
      /--release can be given only once/,
    );
  });

  it('suggests the closest command, option and choice for typos', () => {
    assert.equal(
      usageError(() => parseCommandLine(['deplyo', 'caelundas'], SPECS)).fix,
      'Did you mean "deploy"? Run `npx tsx tasks.ts --help` to see every command.',
    );
    assert.match(
      usageError(() => parseCommandLine(['deploy', 'caelundas', '--imgae', 'x'], SPECS)).fix!,
      /^Did you mean --image\?/,
    );
    assert.match(
      usageError(() => parseCommandLine(['deploy', 'caelundas', '--dry-rn'], SPECS)).fix!,
      /^Did you mean --dry-run\?/,
    );
    assert.match(
      usageError(() => parseCommandLine(['infra', 'aply'], SPECS)).fix!,
      /Did you mean "apply"\? Choose one of: plan, apply, destroy, output\./,
    );
  });

  it("refuses another command's option, a missing argument and extra arguments", () => {
    assert.match(
      usageError(() => parseCommandLine(['logs', 'caelundas', '--image', 'x'], SPECS)).message,
      /"logs" has no option --image/,
    );
    assert.match(usageError(() => parseCommandLine(['deploy'], SPECS)).message, /"deploy" needs <app>/);
    assert.match(
      usageError(() => parseCommandLine(['deploy', 'caelundas', 'extra'], SPECS)).message,
      /Unexpected argument "extra"/,
    );
    assert.match(usageError(() => parseCommandLine(['deploy', 'caelundas', '--context'], SPECS)).message, /--context/);
  });

  it('refuses an empty value for any string option, global, single or repeatable', () => {
    for (const argv of [
      ['deploy', 'caelundas', '--image', ''],
      ['deploy', 'caelundas', '--image=  '],
      ['deploy', 'caelundas', '--namespace='],
      ['deploy', 'caelundas', '-n', ''],
      ['uninstall', 'caelundas', '--release', 'a', '--release', ''],
    ]) {
      const error = usageError(() => parseCommandLine(argv, SPECS));
      assert.match(error.message, /^--(image|namespace|release) was given an empty value\.$/, argv.join(' '));
      assert.match(error.fix!, /leave --(image|namespace|release) out to use the default/);
    }
  });

  it('refuses an option given without the one it needs (deploy --delete-volume without --cleanup), exit 2', async () => {
    const error = usageError(() => parseCommandLine(['deploy', 'caelundas', '--delete-volume'], COMMANDS));
    assert.equal(error.message, '--delete-volume works only together with --cleanup.');
    assert.equal(error.exitCode, 2);
    const parsed = parseCommandLine(['deploy', 'caelundas', '--delete-volume', '--cleanup'], COMMANDS);
    assert.ok(parsed.kind === 'run');
    assert.equal(parsed.invocation.options['delete-volume'], true);
    // Through the real entry point: exit 2 before anything is read or run.
    const result = await runCli(['deploy', 'caelundas', '--delete-volume', '--dry-run']);
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /--delete-volume works only together with --cleanup\./);
  });

  it('keeps integer options within their range', () => {
    const specs: CommandSpec[] = [
      {
        name: 'logs',
        summary: 's',
        args: [],
        options: { tail: { type: 'string', description: 'd', integer: { min: 0, max: 1000 } } },
        examples: ['x'],
      },
    ];
    const parsed = parseCommandLine(['logs', '--tail', '0'], specs);
    assert.ok(parsed.kind === 'run' && parsed.invocation.options.tail === '0');
    for (const bad of ['1001', '-1', '1.5', '1e3', 'ten'])
      assert.match(
        usageError(() => parseCommandLine(['logs', `--tail=${bad}`], specs)).message,
        /--tail must be a whole number from 0 to 1,000/,
        bad,
      );
  });

  it('answers --help, help <command> and --version', () => {
    assert.deepEqual(parseCommandLine(['--help'], SPECS), { kind: 'help', topic: undefined });
    assert.deepEqual(parseCommandLine(['help', 'logs'], SPECS), { kind: 'help', topic: 'logs' });
    assert.deepEqual(parseCommandLine(['deploy', '--help'], SPECS), { kind: 'help', topic: 'deploy' });
    assert.deepEqual(parseCommandLine(['--version'], SPECS), { kind: 'version' });
    assert.throws(() => parseCommandLine(['help', 'nope'], SPECS), UsageError);
  });

  it("uses each option name for one kind of option across deckhand's commands", () => {
    const kinds = new Map<string, string>(Object.entries(GLOBAL_OPTIONS).map(([name, option]) => [name, option.type]));
    for (const command of COMMANDS) {
      for (const [name, option] of Object.entries(command.options)) {
        const known = kinds.get(name);
        assert.ok(
          known === undefined || known === option.type,
          `--${name} of ${command.name} is a ${option.type} elsewhere a ${known}`,
        );
        assert.ok(!(name in GLOBAL_OPTIONS), `--${name} of ${command.name} shadows a global option`);
        kinds.set(name, option.type);
      }
      assert.ok(
        command.examples.length > 0 && command.examples.every((example) => example.startsWith('npx tsx tasks.ts ')),
        `${command.name} has runnable examples`,
      );
    }
  });
});

describe('tasks.ts as users run it', () => {
  it('--help lists every command with a one-line description and an example, and exits 0', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of COMMANDS) {
      assert.match(result.stdout, new RegExp(`^  ${command.name} +\\S`, 'm'), command.name);
      assert.ok(result.stdout.includes(`e.g. ${command.examples[0]}`), `${command.name} example`);
    }
  });

  it('help <command> shows its options and examples', async () => {
    const result = await runCli(['help', 'apps']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--json +Print JSON/);
    assert.match(result.stdout, /Examples:\n  npx tsx tasks.ts apps/);
  });

  it('exits 2 with a suggestion for an unknown command or flag, without a stack trace', async () => {
    const command = await runCli(['docter']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /Unknown command "docter"\.\n→ Did you mean "doctor"\?/);
    const flag = await runCli(['apps', '--jsn']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Did you mean --json\?/);
    assert.doesNotMatch(command.stderr + flag.stderr, /^\s+at /m);
  });

  it('exits 2 listing every configuration problem at once', async () => {
    const result = await runCli(['apps'], { env: { IMAGE_OWNER: 'Bad Owner', DECKHAND_JOB_TIMEOUT: 'soon' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /IMAGE_OWNER: expected/);
    assert.match(result.stderr, /DECKHAND_JOB_TIMEOUT: expected/);
  });

  it('prints JSON data on stdout for scripts', async () => {
    const result = await runCli(['apps', '--json'], { env: { IMAGE_OWNER: 'me' } });
    assert.equal(result.code, 0);
    const apps = JSON.parse(result.stdout) as { name: string; images: { repository: string; runsIn?: string }[] }[];
    assert.deepEqual(
      apps.map((app) => app.images.map((image) => [image.repository, image.runsIn])),
      [
        [['ghcr.io/me/caelundas', undefined]],
        [
          ['ghcr.io/me/wpp-bot', 'wpp-bot/wpp-bot'],
          ['ghcr.io/me/wpp-bot-dashboard', 'dashboard/dashboard'],
        ],
      ],
    );
  });

  it('does not crash when the reader of its output has gone (`--help | head -0`)', async () => {
    const { child, result } = startCli(['--help']);
    child.stdout!.destroy(); // closed before deckhand writes: its first write fails with EPIPE
    const outcome = await result;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.doesNotMatch(outcome.stderr, /EPIPE|^\s+at /m);
  });

  it('on Ctrl-C forwards the signal to the running child, cleans up and exits 130', async () => {
    const bin = tempDir();
    const pidFile = path.join(bin, 'helm.pid');
    // A stand-in helm that hangs, so the interruption arrives while a real child process runs.
    writeFileSync(path.join(bin, 'helm'), `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
    chmodSync(path.join(bin, 'helm'), 0o755);
    const { child, result } = startCli(['doctor'], { env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin } });
    const deadline = Date.now() + 15_000;
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      assert.ok(Date.now() < deadline, 'the stand-in helm never started');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const helmPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    const outcome = await result;
    assert.equal(outcome.code, 130, outcome.stderr);
    assert.match(outcome.stderr, /Received SIGINT: stopping and cleaning up/);
    assert.doesNotMatch(outcome.stderr, /^\s+at /m);
    assert.throws(() => process.kill(helmPid, 0), 'the child helm was stopped too');
  });
});

describe('the top-level error handler', () => {
  async function captureStderr(run: () => Promise<number>): Promise<{ code: number; stderr: string }> {
    const chunks: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      return { code: await run(), stderr: chunks.join('') };
    } finally {
      process.stderr.write = original;
    }
  }

  const broken = [
    { name: 'broken', summary: 'fails unexpectedly', args: [], options: {}, examples: ['npx tsx tasks.ts broken'] },
  ] as const satisfies readonly CommandSpec[];
  const main = (argv: string[]) =>
    runDeckhand(argv, {
      commands: broken,
      handlers: {
        broken: async () => {
          throw new TypeError('boom');
        },
      },
      repoRoot: path.resolve(import.meta.dirname, '..'),
    });

  it('prints a message and exit 1 for an unexpected error, the stack only with --verbose', async () => {
    const quiet = await captureStderr(() => main(['broken']));
    assert.equal(quiet.code, 1);
    assert.match(quiet.stderr, /✖ Unexpected error: boom\n {2}\(run again with --verbose to see the stack trace\)/);
    assert.doesNotMatch(quiet.stderr, /^\s+at /m);
    const verbose = await captureStderr(() => main(['broken', '--verbose']));
    assert.match(verbose.stderr, /TypeError: boom\n\s+at /);
  });
});
