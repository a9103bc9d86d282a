/**
 * `npm run sim` with scripted behaviour (kube-sim/cli-behaviors.ts): bad values stop it with exit 2 before anything
 * starts, the banner lists what is scripted, and the real kubectl then sees the scripted failures.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../support/binaries.ts';
import { createSandbox } from '../support/sandbox.ts';

const CLI = path.join(REPO_ROOT, 'kube-sim', 'cli.ts');
// The test runner marks its children; the CLI deliberately does not serve inside a test file.
const ENV = { NODE_TEST_CONTEXT: undefined };

const WORKLOADS = `apiVersion: v1
kind: Namespace
metadata: {name: try}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: try}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: ghcr.io/acme/web:1.0.0}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: nightly-20260101, namespace: try}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: job, image: ghcr.io/acme/job:1.0.0}]
`;

describe('npm run sim with scripted behaviour', () => {
  test('refuses unknown behaviours and malformed values with exit 2, naming the choices', async () => {
    const sandbox = await createSandbox();
    try {
      const kubeconfig = path.join(sandbox.dir, 'sim.kubeconfig');
      for (const [args, message] of [
        [
          ['--deployment-behavior', 'wpp-bot=crashloop'],
          /--deployment-behavior "wpp-bot=crashloop": unknown behaviour "crashloop"; choose one of: ready, crash-loop, never-ready, image-pull-error, slow, unschedulable, missing-key\./,
        ],
        [
          ['--job-behavior', 'explode'],
          /--job-behavior "explode": unknown behaviour "explode"; choose one of: succeed, fail, never-finish, slow, image-pull-error, pull-unauthorized, wrong-platform, missing-key, oom-killed, deadline, unschedulable, disrupted\./,
        ],
        [['--job-behavior', '=fail'], /--job-behavior "=fail": the name before "=" is empty\./],
        [['--probe-second-ms', 'soon'], /--probe-second-ms takes a positive number of milliseconds\./],
      ] as const) {
        const result = await sandbox.run(
          process.execPath,
          ['--import', 'tsx', CLI, '--kubeconfig', kubeconfig, ...args],
          { cwd: REPO_ROOT, env: ENV },
        );
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.match(result.stderr, /Usage: npm run sim/);
        assert.doesNotMatch(result.stdout, /serving/, 'nothing was started');
      }
    } finally {
      await sandbox.cleanup();
    }
  });

  test('lists the scripted behaviour and the cluster behaves so: a crash-looping Deployment and a failing Job', async () => {
    const sandbox = await createSandbox();
    try {
      const kubeconfig = path.join(sandbox.dir, 'sim.kubeconfig');
      const cli = sandbox.start(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          '--kubeconfig',
          kubeconfig,
          '--probe-second-ms',
          '10',
          '--job-behavior',
          'nightly-=fail',
          '--deployment-behavior',
          'web=crash-loop',
        ],
        { cwd: REPO_ROOT, env: ENV },
      );
      const banner = await cli.waitForOutput('Gaps (requests', 20_000);
      assert.match(
        banner,
        /Scripted behaviour \(later lines win where both match\):\n {2}Jobs named nightly-\*: pods fail with exit code 1 \(every retry, up to backoffLimit\)\n {2}Deployment web: pods crash on start, again and again \(CrashLoopBackOff\)\n/,
      );
      const kubectl = (args: string[], input?: string) =>
        sandbox.run(sandbox.bin.kubectl, args, { env: { KUBECONFIG: kubeconfig }, ...(input ? { input } : {}) });
      const applied = await kubectl(['apply', '-f', '-'], WORKLOADS);
      assert.equal(applied.code, 0, applied.stderr);
      const crashing = await kubectl([
        'wait',
        'pod',
        '-n',
        'try',
        '-l',
        'app=web',
        '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff',
        '--timeout=20s',
      ]);
      assert.equal(crashing.code, 0, crashing.stderr);
      const failed = await kubectl([
        'wait',
        'job/nightly-20260101',
        '-n',
        'try',
        '--for=condition=Failed',
        '--timeout=20s',
      ]);
      assert.equal(failed.code, 0, failed.stderr);
      // The crashed run's log, whole: the current instance may be starting again and have printed only part of it.
      const logs = await kubectl(['logs', 'deployment/web', '-n', 'try', '--previous']);
      assert.equal(logs.stdout, 'starting\nError: cannot connect to the database\n');
      const stopped = await cli.stop('SIGINT');
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /gaps: 0\./);
    } finally {
      await sandbox.cleanup();
    }
  });
});
