/**
 * Proof that Jobs behave in kube-sim the way kubectl sees them on a cluster: streaming logs and watches, files
 * copied out of a Job's PVC byte for byte, and the failure modes (backoff, deadline, pod failure policy, image
 * pull, OOM, scheduling, missing Secret keys) with their real reasons.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { withKubeSim } from '../support/kube-sim-harness.ts';
import type { KubeObject } from '../../kube-sim/index.ts';

function job(name: string, extra: { spec?: string; container?: string; volumes?: boolean } = {}): string {
  return `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}, namespace: work}
spec:
  backoffLimit: 0
${extra.spec ?? ''}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: ghcr.io/example/${name}:1.0.0
${extra.container ?? ''}
${extra.volumes ? '        volumeMounts: [{name: out, mountPath: /data}]\n      volumes: [{name: out, persistentVolumeClaim: {claimName: out}}]' : ''}
`;
}

const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: work}\n';
const PVC = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: out, namespace: work}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

const HELPER_POD = `
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: work}
spec:
  restartPolicy: Never
  containers:
  - name: shell
    image: busybox:1.36
    command: [sleep, "3600"]
    volumeMounts: [{name: out, mountPath: /data, readOnly: true}]
  volumes:
  - name: out
    persistentVolumeClaim: {claimName: out, readOnly: true}
`;

function docs(...parts: string[]): string {
  return parts.join('\n---\n');
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(obj: KubeObject | Record<string, unknown> | undefined): Condition[] {
  return ((obj?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).map(
    ({ type, status, reason, message }) => ({
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    }),
  );
}

function mainState(pod: KubeObject | Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const statuses =
    (pod?.['status'] as { containerStatuses?: Array<{ state: Record<string, Record<string, unknown>> }> } | undefined)
      ?.containerStatuses ?? [];
  return statuses[0]?.state ?? {};
}

describe('Jobs in kube-sim', { concurrency: 4 }, () => {
  test("logs -f streams a Job's lines as they are printed and ends when the container exits", async () => {
    await withKubeSim(async ({ sandbox, kubectlOk, sim }) => {
      const lines = ['starting', 'step 1 of 3', 'step 2 of 3', 'step 3 of 3'];
      // never-finish keeps the container running until the test ends it, so no timing can make this test pass by luck.
      sim.setJobBehavior(
        { namespace: 'work', name: 'stream' },
        { outcome: 'never-finish', logLines: lines, logIntervalMs: 100 },
      );
      await kubectlOk(['apply', '-f', '-'], { input: docs(NAMESPACE, job('stream')) });
      // A container that has not started yet has no logs to follow: kubectl would fail, as on a real cluster.
      await kubectlOk(['wait', '--for=condition=Ready', 'pod', '-l', 'job-name=stream', '-n', 'work', '--timeout=10s']);
      const follow = sandbox.start(sandbox.bin.kubectl, ['logs', '-f', 'job/stream', '-n', 'work']);
      await follow.waitForOutput('step 3 of 3\n', 10_000);
      assert.equal(follow.child.exitCode, null, 'kubectl keeps following while the container runs');
      assert.equal(sim.finishJobPods({ namespace: 'work', name: 'stream' }), 1);
      const result = await follow.exited;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${lines.join('\n')}\n`);
      await kubectlOk(['wait', '--for=condition=complete', 'job/stream', '-n', 'work', '--timeout=10s']);
      const podName = sim.list('v1', 'Pod', 'work')[0]?.metadata.name ?? '';
      const tail = await kubectlOk(['logs', podName, '-c', 'main', '-n', 'work', '--tail=2']);
      assert.equal(tail, 'step 2 of 3\nstep 3 of 3\n');
    });
  });

  test('get --watch --output-watch-events streams a Job until it completes and the stream ends when kubectl goes', async () => {
    await withKubeSim(async ({ sandbox, kubectlOk, sim }) => {
      // kubectl hides the first event of a single-object watch (it printed the object already), so a Job finishing
      // between its GET and its WATCH would never show; the test ends the Job only once the watch is open.
      sim.setJobBehavior({ name: 'watched' }, { outcome: 'never-finish' });
      await kubectlOk(['apply', '-f', '-'], { input: docs(NAMESPACE, job('watched')) });
      const watch = sandbox.start(sandbox.bin.kubectl, [
        'get',
        'job',
        'watched',
        '-n',
        'work',
        '--watch',
        '--output-watch-events',
        '-o',
        'json',
      ]);
      await sim.waitFor(() => sim.openStreams() === 1, { description: 'kubectl opened its watch' });
      sim.finishJobPods({ name: 'watched' });
      const seen = await watch.waitForOutput(/"type":"Complete"/, 15_000);
      const events = seen
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; object: KubeObject });
      assert.equal(events[0]?.type, 'ADDED');
      assert.ok(
        events.length >= 2 &&
          events.slice(1).every((e) => e.type === 'MODIFIED' && e.object.metadata.name === 'watched'),
      );
      assert.ok(conditions(events.at(-1)?.object).some((c) => c.type === 'Complete' && c.status === 'True'));
      await watch.stop();
      await sim.waitFor(() => sim.openStreams() === 0, {
        timeoutMs: 5000,
        description: 'the watch closed after kubectl exited',
      });
    });
  });

  test('cp copies the files a Job wrote to its PVC byte for byte through a read-only helper pod', async () => {
    const binary = Buffer.concat([Buffer.from([...Array(256).keys()]), randomBytes(4096)]);
    await withKubeSim(async ({ sandbox, kubectl, kubectlOk, sim }) => {
      sim.setJobBehavior(
        { name: 'export' },
        { files: { 'result.bin': binary, '/data/reports/summary.txt': 'rows: 42\n' } },
      );
      await kubectlOk(['apply', '-f', '-'], { input: docs(NAMESPACE, PVC, job('export', { volumes: true })) });
      await kubectlOk(['wait', '--for=condition=complete', 'job/export', '-n', 'work', '--timeout=10s']);
      await kubectlOk(['apply', '-f', '-'], { input: HELPER_POD });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/reader', '-n', 'work', '--timeout=10s']);

      const dest = path.join(sandbox.dir, 'out');
      await kubectlOk(['cp', 'work/reader:/data', dest]);
      assert.deepEqual(await readFile(path.join(dest, 'result.bin')), binary);
      assert.equal(await readFile(path.join(dest, 'reports', 'summary.txt'), 'utf8'), 'rows: 42\n');
      await kubectlOk(['cp', 'work/reader:/data/result.bin', path.join(sandbox.dir, 'single.bin')]);
      assert.deepEqual(await readFile(path.join(sandbox.dir, 'single.bin')), binary);

      const raw = await kubectl(['exec', 'reader', '-n', 'work', '--', 'tar', 'cf', '-', '/data']);
      assert.equal(raw.code, 0, raw.stderr);
      const names: string[] = [];
      const reader = extract();
      const listing = (async () => {
        for await (const entry of reader) {
          names.push(entry.header.name);
          entry.resume();
        }
      })();
      reader.end(raw.stdoutBytes);
      await listing;
      assert.deepEqual(names, ['data/', 'data/reports/', 'data/reports/summary.txt', 'data/result.bin']);

      const missing = await kubectl(['exec', 'reader', '-n', 'work', '--', 'cat', '/data/nope.txt']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cat: can't open '\/data\/nope.txt': No such file or directory/);
    });
  });

  test('a failing Job retries up to backoffLimit and is observed Failed with BackoffLimitExceeded', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk, kubectlJson, sim }) => {
      sim.setJobBehavior({ namePrefix: 'flaky' }, { outcome: 'fail', exitCode: 3, delayMs: 50, logLines: ['boom'] });
      await kubectlOk(['apply', '-f', '-'], {
        input: docs(NAMESPACE, job('flaky', { spec: '  backoffLimit: 1' }).replace('  backoffLimit: 0\n', '')),
      });
      await kubectlOk(['wait', '--for=condition=failed', 'job/flaky', '-n', 'work', '--timeout=10s']);
      const failed = await kubectlJson(['get', 'job', 'flaky', '-n', 'work']);
      assert.deepEqual(
        conditions(failed).map((c) => [c.type, c.status, c.reason]),
        [
          ['FailureTarget', 'True', 'BackoffLimitExceeded'],
          ['Failed', 'True', 'BackoffLimitExceeded'],
        ],
      );
      assert.equal((failed['status'] as { failed: number }).failed, 2, 'one pod per attempt: the first and one retry');
      const pods = await kubectlJson<{ items: KubeObject[] }>(['get', 'pods', '-n', 'work', '-l', 'job-name=flaky']);
      assert.deepEqual(
        pods.items.map((p) => [mainState(p)['terminated']?.['exitCode'], mainState(p)['terminated']?.['reason']]),
        [
          [3, 'Error'],
          [3, 'Error'],
        ],
      );
      const events = await kubectlJson<{ items: Array<{ reason: string; type: string }> }>([
        'get',
        'events',
        '-n',
        'work',
        '--field-selector',
        'involvedObject.name=flaky,type=Warning',
      ]);
      assert.deepEqual(
        events.items.map((e) => e.reason),
        ['BackoffLimitExceeded'],
      );
      const timedOut = await kubectl(['wait', '--for=condition=complete', 'job/flaky', '-n', 'work', '--timeout=1s']);
      assert.equal(timedOut.code, 1, 'waiting for completion of a failed Job times out, as on a cluster');
    });
  });

  test('activeDeadlineSeconds, podFailurePolicy and per-attempt behaviour end Jobs with their own reasons', async () => {
    await withKubeSim(async ({ kubectlOk, sim }) => {
      sim.setJobBehavior({ name: 'forever' }, { outcome: 'never-finish' });
      sim.setJobBehavior({ name: 'fatal' }, { outcome: 'fail', exitCode: 42, delayMs: 50 });
      sim.setJobBehavior(
        { name: 'evicted' },
        { delayMs: 50, attempts: [{ outcome: 'disrupted' }, { outcome: 'succeed' }] },
      );
      const policy = `  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}]`;
      await kubectlOk(['apply', '-f', '-'], {
        input: docs(
          NAMESPACE,
          job('forever', { spec: '  activeDeadlineSeconds: 1' }),
          job('fatal', { spec: policy }),
          job('evicted', { spec: policy }),
        ),
      });
      await kubectlOk(['wait', '--for=condition=failed', 'job/fatal', 'job/forever', '-n', 'work', '--timeout=10s']);
      await kubectlOk(['wait', '--for=condition=complete', 'job/evicted', '-n', 'work', '--timeout=10s']);
      const reasonOf = (name: string): Condition | undefined =>
        conditions(sim.get('batch/v1', 'Job', 'work', name)).find((c) => c.type === 'Failed');
      assert.deepEqual(reasonOf('forever'), {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      });
      assert.equal(reasonOf('fatal')?.reason, 'PodFailurePolicy');
      assert.match(
        reasonOf('fatal')?.message ?? '',
        /^Container main for pod work\/fatal-\w{5} failed with exit code 42 matching FailJob rule at index 0$/,
      );
      const evicted = sim.get('batch/v1', 'Job', 'work', 'evicted')?.['status'] as {
        succeeded: number;
        failed: number;
      };
      assert.deepEqual(
        [evicted.succeeded, evicted.failed],
        [1, 0],
        'the disrupted attempt was ignored, not counted against backoffLimit 0',
      );
    });
  });

  test('ttlSecondsAfterFinished deletes a finished Job together with its pods', async () => {
    await withKubeSim(async ({ kubectlOk, sim }) => {
      await kubectlOk(['apply', '-f', '-'], {
        input: docs(NAMESPACE, job('shortlived', { spec: '  ttlSecondsAfterFinished: 0' })),
      });
      await kubectlOk(['wait', '--for=delete', 'job/shortlived', '-n', 'work', '--timeout=10s']);
      await sim.waitFor(() => sim.list('v1', 'Pod', 'work').length === 0, {
        description: 'pods of the deleted Job are gone',
      });
      const completed = sim
        .list('v1', 'Event', 'work')
        .filter((e) => e['reason'] === 'Completed' && (e['involvedObject'] as { name: string }).name === 'shortlived');
      assert.equal(completed.length, 1, 'the Job completed before its TTL removed it');
    });
  });

  test('image pull errors, OOM kills and unschedulable pods show the statuses and events a cluster reports', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      sim.setJobBehavior({ name: 'badimage' }, { outcome: 'image-pull-error' });
      sim.setJobBehavior({ name: 'hungry' }, { outcome: 'oom-killed', delayMs: 50 });
      sim.setJobBehavior({ name: 'huge' }, { outcome: 'unschedulable' });
      await kubectlOk(['apply', '-f', '-'], { input: docs(NAMESPACE, job('badimage'), job('hungry'), job('huge')) });

      await kubectlOk(['wait', '--for=condition=failed', 'job/hungry', '-n', 'work', '--timeout=10s']);
      const hungry = (
        await kubectlJson<{ items: KubeObject[] }>(['get', 'pods', '-n', 'work', '-l', 'job-name=hungry'])
      ).items[0];
      assert.deepEqual(
        [mainState(hungry)['terminated']?.['reason'], mainState(hungry)['terminated']?.['exitCode']],
        ['OOMKilled', 137],
      );

      const podOf = (jobName: string): KubeObject | undefined =>
        sim.list('v1', 'Pod', 'work').find((p) => p.metadata.labels?.['job-name'] === jobName);
      await sim.waitFor(() => mainState(podOf('badimage'))['waiting']?.['reason'] === 'ImagePullBackOff', {
        description: 'badimage pod in ImagePullBackOff',
      });
      const pullEvents = await kubectlJson<{ items: Array<{ reason: string; message: string }> }>([
        'get',
        'events',
        '-n',
        'work',
        '--field-selector',
        `involvedObject.name=${podOf('badimage')?.metadata.name ?? ''},reason=Failed`,
      ]);
      const messages = pullEvents.items.map((e) => e.message);
      assert.ok(
        messages.some((m) => /^Failed to pull image "ghcr\.io\/example\/badimage:1\.0\.0": .*not found$/.test(m)),
        messages.join('\n'),
      );
      assert.ok(messages.includes('Error: ImagePullBackOff'));

      await sim.waitFor(
        () => conditions(podOf('huge')).some((c) => c.type === 'PodScheduled' && c.status === 'False'),
        { description: 'huge pod unschedulable' },
      );
      const scheduling = await kubectlJson<{
        items: Array<{ reason: string; message: string; source: { component: string } }>;
      }>([
        'get',
        'events',
        '-n',
        'work',
        '--field-selector',
        `involvedObject.name=${podOf('huge')?.metadata.name ?? ''}`,
      ]);
      assert.deepEqual(
        scheduling.items.map((e) => [e.reason, e.source.component, e.message.split('. preemption')[0]]),
        [['FailedScheduling', 'default-scheduler', '0/3 nodes are available: 3 Insufficient cpu']],
      );
    });
  });

  test('a missing Secret or key keeps the container in CreateContainerConfigError until the key appears', async () => {
    await withKubeSim(async ({ kubectlOk, sim }) => {
      const env =
        '        env:\n        - name: API_TOKEN\n          valueFrom: {secretKeyRef: {name: job-env, key: API_TOKEN}}';
      await kubectlOk(['apply', '-f', '-'], { input: docs(NAMESPACE, job('needs-secret', { container: env })) });
      const podOf = (): KubeObject | undefined =>
        sim.list('v1', 'Pod', 'work').find((p) => p.metadata.labels?.['job-name'] === 'needs-secret');
      const waitingMessage = (message: string): Promise<unknown> =>
        sim.waitFor(() => mainState(podOf())['waiting']?.['message'] === message, {
          description: `waiting message "${message}"`,
        });
      await waitingMessage('secret "job-env" not found');
      assert.equal(mainState(podOf())['waiting']?.['reason'], 'CreateContainerConfigError');

      await kubectlOk(['create', 'secret', 'generic', 'job-env', '-n', 'work', '--from-literal=OTHER=x']);
      await waitingMessage("couldn't find key API_TOKEN in Secret work/job-env");
      const events = sim
        .list('v1', 'Event', 'work')
        .filter((e) => e['reason'] === 'Failed')
        .map((e) => e['message']);
      assert.ok(events.includes("Error: couldn't find key API_TOKEN in Secret work/job-env"), String(events));

      const recreated = await kubectlOk([
        'create',
        'secret',
        'generic',
        'job-env',
        '-n',
        'work',
        '--from-literal=API_TOKEN=t0k3n',
        '--dry-run=client',
        '-o',
        'yaml',
      ]);
      await kubectlOk(['apply', '-f', '-'], { input: recreated });
      await kubectlOk(['wait', '--for=condition=complete', 'job/needs-secret', '-n', 'work', '--timeout=10s']);
    });
  });
});
