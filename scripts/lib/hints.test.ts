import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandError } from './errors.ts';
import { commandLines, deckhand, isNetworkFailure, NETWORK_HINT } from './hints.ts';

const RELEASE = 'caelundas-20260125-143022';

/** What a shell runs when the lines are pasted: continuations joined. */
function pasted(lines: readonly string[]): string {
  return lines
    .map((line) => line.trim())
    .join('\n')
    .replace(/ \\\n/g, ' ');
}

describe('commands on lines that fit', () => {
  it('keeps a command that fits on one line', () => {
    assert.deepEqual(commandLines(80, '  ', 'logs', 'caelundas', '--release', RELEASE), [
      `  npx tsx tasks.ts logs caelundas --release ${RELEASE}`,
    ]);
  });

  it('breaks a longer one before an option, with a continuation a shell joins back into the same command', () => {
    const lines = commandLines(80, '  ', 'uninstall', 'caelundas', '--release', RELEASE, '--delete-volume');
    assert.deepEqual(lines, [`  npx tsx tasks.ts uninstall caelundas --release ${RELEASE} \\`, '    --delete-volume']);
    for (const line of lines) assert.ok(line.length <= 80, line);
    assert.equal(pasted(lines), deckhand('uninstall', 'caelundas', '--release', RELEASE, '--delete-volume'));
  });

  it('never separates an option from its value, and leaves a single word wider than the line whole', () => {
    const lines = commandLines(40, '', 'copy', 'caelundas', '--release', RELEASE, '--force');
    assert.deepEqual(lines, ['npx tsx tasks.ts copy caelundas \\', `  --release ${RELEASE} \\`, '  --force']);
    const narrow = commandLines(10, '', 'copy', 'caelundas');
    assert.deepEqual(narrow, ['npx tsx tasks.ts copy caelundas']);
  });
});

describe('a failure that is the network’s', () => {
  const TAR_HINT = 'The helper image must contain tar (busybox does).';
  const failure = (stderrTail: string, networkHint?: string) =>
    new CommandError({
      command: 'kubectl exec …',
      exitCode: 1,
      stderrTail,
      hint: TAR_HINT,
      ...(networkHint ? { networkHint } : {}),
    });

  it('never gets the call’s hint about permissions or tar, but the network one', () => {
    for (const stderr of [
      'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
      'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout',
      'error: read tcp 10.0.0.2:50000->10.0.0.1:443: read: connection reset by peer',
      'error: unexpected EOF',
      'Unable to connect to the server: net/http: TLS handshake timeout',
    ]) {
      const error = failure(stderr);
      assert.ok(isNetworkFailure(stderr), stderr);
      assert.equal(error.network, true, stderr);
      assert.equal(error.fix, NETWORK_HINT, stderr);
    }
    assert.equal(failure('error: unexpected EOF', 'Check the cluster behind X.').fix, 'Check the cluster behind X.');
  });

  it('keeps the call’s hint for the failures it is about', () => {
    const forbidden =
      'Error from server (Forbidden): pods "x-copy" is forbidden: User "ci" cannot create resource "pods/exec"';
    assert.equal(failure(forbidden).fix, TAR_HINT);
    assert.equal(failure('tar: not found').fix, TAR_HINT);
    assert.equal(failure('tar: not found').network, false);
  });
});
