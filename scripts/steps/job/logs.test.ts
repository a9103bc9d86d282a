import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeRunner, json, listOf, type FakeAnswer } from '../../../test/support/fake-runner.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { parseTail, streamReleaseLogs } from './logs.ts';

const TARGET: KubeTarget = {
  kubeconfig: '/k',
  context: 'lke',
  cluster: 'lke',
  server: 'https://x',
  namespace: 'caelundas',
  explicit: false,
  kubeconfigSource: 'test',
};
const RELEASE = 'caelundas-20260125-143022';

function cluster(
  job: object | undefined,
  pods: { name: string; created: string }[],
  logs: FakeAnswer = { stdout: 'line 1\nline 2\n' },
): (command: string) => FakeAnswer | undefined {
  return (command) => {
    if (command.startsWith(`kubectl get job ${RELEASE}`)) return job ? json(job) : { stdout: '' };
    if (command.startsWith('kubectl get pods'))
      return listOf(pods.map((pod) => ({ metadata: { name: pod.name, creationTimestamp: pod.created } })));
    if (command.startsWith('kubectl logs')) return logs;
    return undefined;
  };
}

const RUNNING_JOB = { metadata: { name: RELEASE }, status: { active: 1 } };
const DONE_JOB = { metadata: { name: RELEASE }, status: { conditions: [{ type: 'Complete', status: 'True' }] } };
const PODS = [
  { name: `${RELEASE}-first`, created: '2026-01-25T14:30:25Z' },
  { name: `${RELEASE}-retry`, created: '2026-01-25T14:35:00Z' },
];

function run(shell: ReturnType<typeof fakeRunner>, extra: { follow?: boolean; tail?: number } = {}) {
  const lines: string[] = [];
  const notes: string[] = [];
  return {
    lines,
    notes,
    result: streamReleaseLogs({
      shell,
      target: TARGET,
      namespace: 'caelundas',
      app: 'caelundas',
      release: RELEASE,
      onLine: (line) => lines.push(line),
      log: (line) => notes.push(line),
      ...extra,
    }),
  };
}

describe('a run’s logs', () => {
  it('follows the newest pod of a running Job, in the app container', async () => {
    const shell = fakeRunner(cluster(RUNNING_JOB, PODS));
    const { lines, result } = run(shell);
    assert.deepEqual(await result, { pod: `${RELEASE}-retry`, followed: true, job: 'running' });
    assert.ok(
      shell.calls.includes(`kubectl logs ${RELEASE}-retry --namespace caelundas --container caelundas --follow`),
      shell.calls.join('\n'),
    );
    assert.deepEqual(lines, ['line 1', 'line 2']);
  });

  it('prints a finished Job’s log once, with --tail when asked', async () => {
    const shell = fakeRunner(cluster(DONE_JOB, PODS));
    const { notes, result } = run(shell, { tail: 50 });
    assert.equal((await result).followed, false);
    assert.ok(
      shell.calls.includes(`kubectl logs ${RELEASE}-retry --namespace caelundas --container caelundas --tail 50`),
      shell.calls.join('\n'),
    );
    assert.match(notes[0]!, /Showing the logs of pod .*-retry \(Job complete\), last 50 lines\./);
  });

  it('says plainly that a Job deleted by its TTL took its logs with it, and where the output still is', async () => {
    const { result } = run(fakeRunner(cluster(undefined, [])));
    await assert.rejects(result, (error: unknown) => {
      assert.ok(error instanceof DeckhandError);
      assert.match(error.message, /The Job caelundas-20260125-143022 is gone .*ttlSecondsAfterFinished/);
      assert.match(error.fix!, /npx tsx tasks\.ts copy caelundas --release caelundas-20260125-143022/);
      return true;
    });
  });

  it('explains a container that has not started yet instead of kubectl’s raw error', async () => {
    const shell = fakeRunner(
      cluster(RUNNING_JOB, PODS, {
        exitCode: 1,
        stderr:
          'Error from server (BadRequest): container "caelundas" in pod "x" is waiting to start: ContainerCreating',
      }),
    );
    await assert.rejects(
      run(shell).result,
      /has not started yet \(container "caelundas" in pod "x" is waiting to start: ContainerCreating\)/,
    );
  });

  it('takes --tail as a whole number of lines only', () => {
    assert.equal(parseTail('20'), 20);
    assert.equal(parseTail(undefined), undefined);
    assert.throws(() => parseTail('-5'), UsageError);
    assert.throws(() => parseTail('ten'), UsageError);
  });
});
