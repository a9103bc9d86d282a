import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CommandError, InterruptedError, ToolMissingError } from './errors.ts';
import { SecretMasker } from './redact.ts';
import { createShell, withToolDirs, type ShellOptions } from './shell.ts';

const CANARY = 'canary-9f3b2c7d-secret';

function makeShell(overrides: Partial<ShellOptions> = {}) {
  const lines: string[] = [];
  const masker = new SecretMasker();
  masker.add(CANARY);
  const shell = createShell({ dryRun: false, verbose: false, masker, log: (line) => lines.push(line), ...overrides });
  return { shell, lines, masker };
}

/** Running, as opposed to gone or a zombie waiting for its (possibly absent) init to reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the command runner', () => {
  it('passes every argv element through literally, so values can never become shell syntax', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-shell-'));
    const pwned = path.join(dir, 'pwned');
    try {
      const hostile = [`a; touch ${pwned}`, '$(id)', "it's", 'two words', '*', '--kubeconfig=/tmp/x', 'line\nbreak'];
      const { shell } = makeShell();
      const result = await shell.run(['printf', '%s\\0', ...hostile], { kind: 'read' });
      assert.deepEqual(result.stdout.split('\0').slice(0, -1), hostile);
      assert.equal(existsSync(pwned), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in dry-run prints writes instead of running them, and still runs reads', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-shell-'));
    try {
      const { shell, lines } = makeShell({ dryRun: true });
      const file = path.join(dir, 'created-by-a-write');
      const write = await shell.run(['touch', file], { kind: 'write', dryRunStdout: '{}' });
      assert.equal(write.skipped, true);
      assert.equal(write.stdout, '{}');
      assert.equal(existsSync(file), false);
      assert.match(lines.join('\n'), /\[dry run\] would run: touch .*created-by-a-write/);

      const read = await shell.run(['echo', 'read ran'], { kind: 'read' });
      assert.equal(read.skipped, false);
      assert.equal(read.stdout.trim(), 'read ran');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('feeds stdin input to the child without echoing it', async () => {
    const { shell, lines } = makeShell({ verbose: true });
    const result = await shell.run(['cat'], { kind: 'read', input: `value=${CANARY}` });
    assert.equal(result.stdout, `value=${CANARY}`);
    assert.doesNotMatch(lines.join('\n'), new RegExp(CANARY));
  });

  it('with --verbose echoes each command and its duration, masked', async () => {
    const { shell, lines } = makeShell({ verbose: true });
    await shell.run(['echo', `token=${CANARY}`], { kind: 'read' });
    assert.equal(lines[0], '$ echo token=***');
    assert.match(lines[1]!, /exit 0 after \d+(\.\d+)? (ms|s)/);
    assert.doesNotMatch(lines.join('\n'), new RegExp(CANARY));
  });

  it('masks a registered secret in streamed stdout and stderr lines, even when split across chunks', async () => {
    const { shell } = makeShell();
    const out: string[] = [];
    const err: string[] = [];
    const half = Math.floor(CANARY.length / 2);
    // Two separate writes with a pause between them so the secret arrives in two chunks.
    const script = `process.stdout.write('out:${CANARY.slice(0, half)}'); setTimeout(() => { process.stdout.write('${CANARY.slice(half)}\\n'); process.stderr.write('err:${CANARY}\\n'); }, 50);`;
    await shell.run([process.execPath, '-e', script], {
      kind: 'read',
      onStdoutLine: (line) => out.push(line),
      onStderrLine: (line) => err.push(line),
    });
    assert.deepEqual(out, ['out:***']);
    assert.deepEqual(err, ['err:***']);
  });

  it('reports a failed command with what ran, its exit code, the tail of stderr (masked) and a hint', async () => {
    const { shell } = makeShell();
    const script = `for (let i = 1; i <= 30; i++) console.error('line ' + i); console.error('denied for ${CANARY}'); process.exit(3)`;
    const error = await shell
      .run([process.execPath, '-e', script], { kind: 'read', hint: 'Check the token.' })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof CommandError);
    assert.equal(error.commandExitCode, 3);
    assert.match(error.message, /^Command failed \(exit 3\): .*node/);
    assert.match(error.message, /denied for \*\*\*/);
    assert.match(error.message, /line 30/);
    assert.doesNotMatch(error.message, /line 5\b/, 'only the tail of stderr is kept');
    assert.doesNotMatch(error.message, new RegExp(CANARY));
    assert.equal(error.fix, 'Check the token.');
  });

  it('resolves non-zero exits when asked (nothrow) so callers can inspect them', async () => {
    const { shell } = makeShell();
    const result = await shell.run(['sh', '-c', 'echo nope >&2; exit 4'], { kind: 'read', nothrow: true });
    assert.equal(result.exitCode, 4);
    assert.equal(result.stderr.trim(), 'nope');
  });

  it('stops a command that runs past its timeout, kills its process tree, and says it timed out', async () => {
    const { shell } = makeShell({ killGraceMs: 500 });
    let grandchild = 0;
    const started = Date.now();
    const error = await shell
      .run(['sh', '-c', 'sleep 30 & echo $!; wait'], {
        kind: 'read',
        timeoutMs: 300,
        onStdoutLine: (line) => (grandchild = Number(line)),
      })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof CommandError);
    assert.equal(error.timedOut, true);
    assert.match(error.message, /^Timed out after 300 ms: sh -c/);
    assert.ok(Date.now() - started < 5000);
    assert.ok(grandchild > 0);
    await waitUntil(() => !isAlive(grandchild));
  });

  it('on interruption kills the child and its children and throws InterruptedError', async () => {
    const controller = new AbortController();
    const { shell } = makeShell({ signal: controller.signal, killGraceMs: 500 });
    let grandchild = 0;
    const running = shell.run(['sh', '-c', 'sleep 30 & echo $!; wait'], {
      kind: 'read',
      onStdoutLine: (line) => {
        grandchild = Number(line);
        controller.abort(new InterruptedError('Interrupted by SIGINT.'));
      },
    });
    await assert.rejects(
      running,
      (error: unknown) => error instanceof InterruptedError && /SIGINT/.test(error.message),
    );
    await waitUntil(() => !isAlive(grandchild));
  });

  it('refuses to start new commands after an interruption, except cleanup commands', async () => {
    const controller = new AbortController();
    controller.abort(new InterruptedError());
    const { shell } = makeShell({ signal: controller.signal });
    await assert.rejects(shell.run(['echo', 'late'], { kind: 'read' }), InterruptedError);
    const cleanup = await shell.run(['echo', 'cleanup'], { kind: 'write', uninterruptible: true });
    assert.equal(cleanup.stdout.trim(), 'cleanup');
  });

  it('ends a long-running command on request without treating that as a failure', async () => {
    const { shell } = makeShell({ killGraceMs: 500 });
    const stop = new AbortController();
    const lines: string[] = [];
    const result = await shell.run(['sh', '-c', 'echo watching; exec sleep 30'], {
      kind: 'read',
      stopSignal: stop.signal,
      onStdoutLine: (line) => {
        lines.push(line);
        stop.abort();
      },
    });
    assert.equal(result.stopped, true);
    assert.deepEqual(lines, ['watching']);
  });

  it('a runner with a stop signal ends its running commands when the signal aborts, and stops new ones at once', async () => {
    const { shell, lines } = makeShell({ killGraceMs: 500 });
    const stop = new AbortController();
    const ahead = shell.withStopSignal(stop.signal);
    const started = performance.now();
    const running = ahead.run(['sleep', '30'], { kind: 'read' });
    setTimeout(() => stop.abort(), 100);
    assert.equal((await running).stopped, true);
    assert.equal((await ahead.run(['sleep', '30'], { kind: 'read' })).stopped, true);
    assert.ok(performance.now() - started < 10_000, 'neither sleep ran its 30 s');
    // The original runner is not affected.
    assert.equal((await shell.run(['echo', 'still here'], { kind: 'read' })).stdout.trim(), 'still here');
    assert.deepEqual(lines, []);
  });

  it('shows commands quoted so they can be pasted into a shell and mean the same', async () => {
    const { shell } = makeShell();
    const args = ['plain', 'two words', "it's", '$HOME', '', 'tab\there', 'line\nbreak', '--set=a,b'];
    const shown = shell.display(['printf', '%s|', ...args]);
    assert.equal(shown.split(' ')[0], 'printf');
    const pasted = await shell.run(['bash', '-c', shown], { kind: 'read' });
    assert.equal(pasted.stdout, `${args.join('|')}|`);
  });

  it('a runner with another log keeps its settings', async () => {
    const { shell, lines } = makeShell({ dryRun: true });
    const taskLines: string[] = [];
    await shell.withLog((line) => taskLines.push(line)).run(['rm', '-rf', '/nothing'], { kind: 'write' });
    assert.equal(lines.length, 0);
    assert.match(taskLines[0]!, /would run: rm -rf \/nothing/);
  });

  it("gives children an environment without deckhand's secrets; a child that needs one gets it by name", async () => {
    const appInput = '51.4779512301';
    const { shell, masker } = makeShell({
      withheldEnvKeys: ['START_DATE'],
      env: {
        PATH: process.env.PATH,
        HOME: '/nowhere',
        GITHUB_TOKEN: 'ghp_push-token-0123456789',
        LINODE_TOKEN: 'linode-token-0123456789',
        REGISTRY_PULL_TOKEN: 'ghp_pull-token-0123456789',
        LATITUDE: appInput,
        START_DATE: '2026-01-01',
        LANG: 'C.UTF-8',
      },
    });
    masker.add(appInput); // a sensitive app input, registered when the inputs are read
    const printed = await shell.run(['env'], { kind: 'read', env: { TF_VAR_linode_token: 'linode-token-0123456789' } });
    const names = printed.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('=')[0]);
    for (const withheld of ['GITHUB_TOKEN', 'LINODE_TOKEN', 'REGISTRY_PULL_TOKEN', 'LATITUDE', 'START_DATE'])
      assert.ok(!names.includes(withheld), `${withheld} reached the child`);
    assert.ok(names.includes('LANG') && names.includes('HOME'), 'everything else is inherited');
    assert.ok(names.includes('TF_VAR_linode_token'), 'a token passed for the call reaches it');
  });

  it('reports a program that is not installed as that, even for a caller that inspects exit codes itself', async () => {
    const { shell } = makeShell({ env: { PATH: '/nonexistent' } });
    for (const nothrow of [false, true]) {
      const error = await shell
        .run(['helm', 'list'], { kind: 'read', nothrow, hint: 'Is the cluster reachable?' })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      assert.ok(error instanceof ToolMissingError, String(error));
      assert.equal(error.message, 'helm is not installed (or not on PATH).');
      assert.doesNotMatch(error.fix!, /cluster/);
    }
    // A program that exists and itself exits 127 is an ordinary failure.
    const ran = await makeShell().shell.run(['sh', '-c', 'echo nope >&2; exit 127'], { kind: 'read', nothrow: true });
    assert.equal(ran.exitCode, 127);
  });
});

describe("the runner's tool folders", () => {
  it('come first on every child PATH, so a program there wins over one of the same name elsewhere', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-tooldirs-'));
    try {
      const tools = path.join(dir, 'tools');
      const other = path.join(dir, 'other');
      for (const [folder, says] of [
        [tools, 'pinned'],
        [other, 'system'],
      ] as const) {
        mkdirSync(folder);
        writeFileSync(path.join(folder, 'which-helm'), `#!/bin/sh\necho ${says}\n`, { mode: 0o755 });
      }
      const { shell } = makeShell({
        env: { PATH: `${other}:/usr/bin:/bin`, HOME: dir },
        toolDirs: [tools],
      });
      assert.equal((await shell.run(['which-helm'], { kind: 'read' })).stdout.trim(), 'pinned');
      assert.deepEqual(shell.toolDirs, [tools]);
      assert.equal(withToolDirs({ PATH: `/a:${tools}:/b` }, [tools]).PATH, `${tools}:/a:/b`, 'listed once');
      assert.deepEqual(withToolDirs({ PATH: '/a' }), { PATH: '/a' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
