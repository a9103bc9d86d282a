import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeRunner, json, listOf, type FakeAnswer } from '../../../test/support/fake-runner.ts';
import { MissingInputError, UsageError } from '../../lib/errors.ts';
import type { Prompter } from '../../lib/prompts.ts';
import type { KubeTarget } from '../../lib/target.ts';
import type { ReleaseRow } from './runs.ts';
import { keptVolumeMessage, monthlyVolumeCost, StuckReleaseError, uninstallRelease } from './uninstall.ts';
import { resultTitle } from './uninstall-command.ts';
import { decideUninstall, selectReleasesToUninstall, type UninstallFlags } from './uninstall-plan.ts';

const TARGET: KubeTarget = {
  kubeconfig: '/k',
  context: 'lke',
  cluster: 'lke',
  server: 'https://lke.example:443',
  namespace: 'caelundas',
  explicit: false,
  kubeconfigSource: 'test',
};
const RELEASE = 'caelundas-20260125-143022';
const NS = 'caelundas';

interface ClusterState {
  status?: string;
  pods?: string[];
  /** The run's own inputs Secret exists. */
  inputs?: boolean;
  pvcs?: string[];
  volumes?: { name: string; claim: string; policy: string; phase?: string }[];
  reclaimFails?: boolean;
}

/** Answers the commands of an uninstall as a cluster in `state` would. */
function clusterAnswers(state: ClusterState): (command: string) => FakeAnswer | undefined {
  return (command) => {
    if (command.startsWith(`helm status ${RELEASE}`))
      return state.status
        ? json({ info: { status: state.status }, version: 2 })
        : { exitCode: 1, stderr: 'Error: release: not found' };
    if (command.startsWith(`helm history ${RELEASE}`))
      return json([
        { revision: 1, status: 'deployed' },
        { revision: 2, status: state.status },
      ]);
    if (command.startsWith('kubectl get pods'))
      return listOf((state.pods ?? []).map((name) => ({ metadata: { name } })));
    if (command.startsWith('kubectl get persistentvolumeclaims'))
      return listOf((state.pvcs ?? []).map((name) => ({ metadata: { name } })));
    if (command.startsWith(`kubectl get persistentvolumeclaim ${RELEASE}`))
      return state.pvcs?.includes(RELEASE) ? json({ metadata: { name: RELEASE } }) : { stdout: '' };
    if (command.startsWith(`kubectl get secret ${RELEASE}-inputs`))
      return state.inputs ? json({ metadata: { name: `${RELEASE}-inputs` } }) : { stdout: '' };
    if (command.startsWith('kubectl get persistentvolumes'))
      return listOf(
        (state.volumes ?? []).map((volume) => ({
          metadata: { name: volume.name },
          spec: {
            claimRef: { name: volume.claim, namespace: NS },
            persistentVolumeReclaimPolicy: volume.policy,
            capacity: { storage: '10Gi' },
            csi: { volumeHandle: `4123456-${volume.name}` },
          },
          status: { phase: volume.phase ?? 'Released' },
        })),
      );
    if (command.startsWith('kubectl wait persistentvolume/') && state.reclaimFails)
      return { exitCode: 1, stderr: 'error: timed out waiting for the condition on persistentvolumes/pvc-1' };
    return undefined;
  };
}

function options(shell: ReturnType<typeof fakeRunner>, extra: Partial<Parameters<typeof uninstallRelease>[0]> = {}) {
  const log: string[] = [];
  return {
    log,
    options: {
      shell,
      target: TARGET,
      namespace: NS,
      release: RELEASE,
      app: 'caelundas',
      deleteRetainedVolumes: false,
      log: (line: string) => log.push(line),
      ...extra,
    },
  };
}

describe('uninstalling one release', () => {
  it('uninstalls, waits for the pods, deletes the PVC and keeps a Retained volume, saying it is still billed', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pods: [`${RELEASE}-abcde`],
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain', phase: 'Released' }],
      }),
    );
    const { log, options: opts } = options(shell);
    const result = await uninstallRelease(opts);
    assert.deepEqual(shell.writes, [
      `helm uninstall ${RELEASE} --namespace ${NS} --wait --timeout 300s`,
      `kubectl delete persistentvolumeclaim ${RELEASE} --namespace ${NS} --ignore-not-found --wait=true --timeout 300s`,
    ]);
    const waitIndex = shell.calls.indexOf(
      `kubectl wait pods --namespace ${NS} --for=delete --timeout 300s --selector app.kubernetes.io/instance=${RELEASE}`,
    );
    assert.ok(
      waitIndex > shell.calls.indexOf(shell.writes[0]!) && waitIndex < shell.calls.indexOf(shell.writes[1]!),
      shell.calls.join('\n'),
    );
    assert.equal(result.helm, 'uninstalled');
    assert.deepEqual(result.pvcs, [{ name: RELEASE, action: 'deleted' }]);
    assert.deepEqual(
      result.volumes.map((entry) => [entry.volume.name, entry.action]),
      [['pvc-1', 'kept']],
    );
    assert.equal(result.nothingToDo, false);
    assert.match(log.join('\n'), /Keeping volume pvc-1 \(reclaim policy Retain\)/);
    assert.match(
      keptVolumeMessage('caelundas', RELEASE, result.volumes[0]!.volume),
      /Kept volume pvc-1 \(10Gi, reclaim policy Retain, Linode volume 4123456\): .*still billed \(about \$1\.00\/month/,
    );
  });

  it('deletes a Retained volume when asked by switching it to Delete and waiting until the CSI driver removed it', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain' }],
      }),
    );
    const result = await uninstallRelease(options(shell, { deleteRetainedVolumes: true }).options);
    assert.equal(
      shell.writes.at(-1),
      'kubectl patch persistentvolume pvc-1 --type merge --patch {"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
    );
    assert.equal(
      shell.calls.at(-1),
      'kubectl wait persistentvolume/pvc-1 --namespace default --for=delete --timeout 120s',
    );
    assert.ok(
      shell.calls.includes(
        'kubectl get events --namespace default --field-selector involvedObject.kind=PersistentVolume,involvedObject.name=pvc-1 --output json --watch --output-watch-events',
      ),
      "the driver's events are watched beside the wait",
    );
    assert.ok(
      !shell.calls.some((call) => call.startsWith('kubectl delete persistentvolume ')),
      'the PV object is never deleted directly',
    );
    assert.equal(result.volumes[0]?.action, 'deleted');
  });

  it('reports a volume that is still there after the wait as still there, never as deleted', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain' }],
        reclaimFails: true,
      }),
    );
    const { log, options: opts } = options(shell, { deleteRetainedVolumes: true });
    const result = await uninstallRelease(opts);
    assert.equal(result.volumes[0]?.action, 'still-there');
    assert.match(result.volumes[0]!.reason!, /still there after 2 min/);
    assert.doesNotMatch(log.join('\n'), /Deleted volume/);
    assert.match(resultTitle(result), /volume pvc-1 is still there/);
    assert.doesNotMatch(resultTitle(result), /deleted volume/);
  });

  it('waits for a volume with reclaim policy Delete to go too, without switching anything', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Delete', phase: 'Released' }],
      }),
    );
    const result = await uninstallRelease(options(shell, { deleteRetainedVolumes: false }).options);
    assert.equal(result.volumes[0]?.action, 'deleted');
    assert.ok(!shell.writes.some((write) => write.includes('patch')));
    assert.ok(
      shell.calls.includes('kubectl wait persistentvolume/pvc-1 --namespace default --for=delete --timeout 120s'),
    );
  });

  it("deletes the run's inputs Secret once its pods are gone, also when the PVC is kept", async () => {
    for (const keepPvc of [false, true]) {
      const shell = fakeRunner(
        clusterAnswers({ status: 'deployed', pods: [`${RELEASE}-abcde`], inputs: true, pvcs: [RELEASE] }),
      );
      const result = await uninstallRelease(options(shell, { keepPvc }).options);
      const deleteSecret = `kubectl delete secret ${RELEASE}-inputs --namespace ${NS} --ignore-not-found --wait=false`;
      assert.ok(shell.writes.includes(deleteSecret), shell.writes.join('\n'));
      assert.ok(
        shell.calls.indexOf(deleteSecret) > shell.calls.findIndex((call) => call.startsWith('kubectl wait pods')),
        'after the pods',
      );
      assert.deepEqual(result.secrets, [{ name: `${RELEASE}-inputs`, action: 'deleted' }]);
    }
  });

  it('finishes the clean-up of a release helm no longer knows: its PVC and volume still go', async () => {
    const shell = fakeRunner(
      clusterAnswers({ pvcs: [RELEASE], volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain' }] }),
    );
    const result = await uninstallRelease(options(shell, { deleteRetainedVolumes: true }).options);
    assert.ok(!shell.writes.some((write) => write.startsWith('helm')));
    assert.equal(result.helm, 'absent');
    assert.deepEqual(result.pvcs, [{ name: RELEASE, action: 'deleted' }]);
    assert.equal(result.volumes[0]?.action, 'deleted');
  });

  it('changes nothing and says "nothing to do" when nothing of the release is left', async () => {
    const shell = fakeRunner(clusterAnswers({}));
    const { log, options: opts } = options(shell);
    const result = await uninstallRelease(opts);
    assert.equal(result.nothingToDo, true);
    assert.deepEqual(shell.writes, []);
    assert.match(log.join('\n'), /was not found .*nothing to do/);
  });

  it('keeps the PVC and never looks at volumes with keepPvc', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain', phase: 'Bound' }],
      }),
    );
    const result = await uninstallRelease(options(shell, { keepPvc: true, deleteRetainedVolumes: true }).options);
    assert.deepEqual(shell.writes, [`helm uninstall ${RELEASE} --namespace ${NS} --wait --timeout 300s`]);
    assert.deepEqual(result.pvcs, [{ name: RELEASE, action: 'kept' }]);
    assert.ok(!shell.calls.some((call) => call.startsWith('kubectl get persistentvolumes')));
  });

  it('deletes a copy helper pod left behind, which would otherwise hold the PVC', async () => {
    const shell = fakeRunner(clusterAnswers({ status: 'deployed', pods: [`${RELEASE}-copy`], pvcs: [RELEASE] }));
    await uninstallRelease(options(shell).options);
    assert.ok(
      shell.writes.includes(`kubectl delete pod ${RELEASE}-copy --namespace ${NS} --ignore-not-found --wait=false`),
      shell.writes.join('\n'),
    );
  });

  it('refuses a stuck release without recover, with both fixes, and changes nothing', async () => {
    const shell = fakeRunner(clusterAnswers({ status: 'pending-upgrade', pvcs: [RELEASE] }));
    await assert.rejects(uninstallRelease(options(shell).options), (error: unknown) => {
      assert.ok(error instanceof StuckReleaseError);
      assert.equal(error.exitCode, 2);
      assert.match(
        error.message,
        /stuck in pending-upgrade.*another operation \(install\/upgrade\/rollback\) is in progress/,
      );
      assert.match(error.fix!, /helm rollback caelundas-20260125-143022 1 --namespace caelundas/);
      assert.match(error.fix!, /--recover --yes.*Nothing was changed\./);
      return true;
    });
    assert.deepEqual(shell.writes, []);
  });

  it('uninstalls a stuck release when the caller chose to recover', async () => {
    const shell = fakeRunner(clusterAnswers({ status: 'pending-install', pvcs: [RELEASE] }));
    const result = await uninstallRelease(options(shell, { recover: true }).options);
    assert.equal(result.helm, 'uninstalled');
  });

  it('in a dry run prints the writes and waits instead of running them', async () => {
    const shell = fakeRunner(
      clusterAnswers({
        status: 'deployed',
        pods: ['p'],
        pvcs: [RELEASE],
        volumes: [{ name: 'pvc-1', claim: RELEASE, policy: 'Retain', phase: 'Bound' }],
      }),
      { dryRun: true },
    );
    const { log, options: opts } = options(shell, { deleteRetainedVolumes: true });
    await uninstallRelease(opts);
    assert.ok(!shell.calls.some((call) => call.startsWith('kubectl wait')), 'no real waits in a dry run');
    assert.ok(!shell.calls.some((call) => call.includes('--watch')), 'no watches in a dry run');
    assert.match(log.join('\n'), /\[dry run\] would wait: kubectl wait pods/);
    assert.match(log.join('\n'), /\[dry run\] would wait: kubectl wait persistentvolume\/pvc-1/);
    assert.equal(shell.writes.length, 3);
  });
});

function row(name: string, facts: Partial<ReleaseRow> = {}): ReleaseRow {
  return {
    name,
    namespace: NS,
    helm: { status: 'deployed', revision: 1, chart: 'kubernetes-job-0.1.0', appVersion: '1' },
    startedAt: '2026-01-25T14:30:22.000Z',
    job: { state: 'complete' },
    pvc: { name, size: '10Gi', phase: 'Bound', volumeName: `pvc-${name}` },
    volume: { name: `pvc-${name}`, reclaimPolicy: 'Retain', size: '10Gi', phase: 'Bound', linodeVolumeId: '77' },
    output: {
      dir: `/out/${name}/files`,
      record: `/out/${name}/run.json`,
      recorded: true,
      copied: true,
      files: 1,
      bytes: 10,
    },
    inputs: { secret: `${name}-inputs`, shared: false, present: true },
    ...facts,
  };
}

const COPIED = row('caelundas-20260101-000000');
const NEVER_COPIED = row('caelundas-20260102-000000', {
  output: {
    dir: '/out/caelundas-20260102-000000/files',
    record: '/out/caelundas-20260102-000000/run.json',
    recorded: false,
    copied: false,
  },
});
/** Never copied, its PVC already gone (deleted by hand, or by an earlier --force): only the kept volume is left. */
const VOLUME_ONLY = row('caelundas-20260104-000000', {
  helm: undefined,
  pvc: undefined,
  volume: { name: 'pvc-left', reclaimPolicy: 'Retain', size: '10Gi', phase: 'Released', linodeVolumeId: '78' },
  output: {
    dir: '/out/caelundas-20260104-000000/files',
    record: '/out/caelundas-20260104-000000/run.json',
    recorded: false,
    copied: false,
  },
});

const STUCK = row('caelundas-20260103-000000', {
  helm: { status: 'pending-upgrade', revision: 2, chart: 'c', appVersion: '1' },
  stuck: { status: 'pending-upgrade', rollbackRevision: 1, hint: 'roll back or --recover' },
});

const FLAGS: UninstallFlags = {
  yes: false,
  force: false,
  recover: false,
  keepPvc: false,
  deleteVolume: false,
  dryRun: false,
};

/** A prompter that answers from a script and records every question. */
function scriptedPrompter(
  answers: { confirm?: boolean[]; select?: unknown[]; checkbox?: string[][] },
  interactive = true,
): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = <T>(list: T[] | undefined, message: string): T => {
    asked.push(message);
    if (!list || list.length === 0) assert.fail(`unexpected question: ${message}`);
    return list.shift()!;
  };
  return {
    interactive,
    asked,
    input: async () => assert.fail('no input expected'),
    password: async () => assert.fail('no password expected'),
    confirm: async (options) => next(answers.confirm, options.message),
    select: async (options) => next(answers.select, options.message) as never,
    checkbox: async (options) => next(answers.checkbox, options.message) as never,
  };
}

// What is asked is tested here, unwrapped; that the questions fit 80 columns is tested on a real terminal.
const UNWRAPPED = Number.POSITIVE_INFINITY;

describe('deciding what an uninstall may do', () => {
  it('off a terminal lists every missing consent at once (--yes, --recover, --force) and asks nothing', async () => {
    const prompter = scriptedPrompter({}, false);
    await assert.rejects(
      decideUninstall({
        prompter,
        app: 'caelundas',
        namespace: NS,
        rows: [COPIED, NEVER_COPIED, STUCK],
        flags: FLAGS,
        log: () => undefined,
        width: UNWRAPPED,
      }),
      (error: unknown) => {
        assert.ok(error instanceof MissingInputError);
        assert.deepEqual(
          error.missing.map((item) => item.name),
          [
            'confirmation',
            'caelundas-20260103-000000 is stuck (pending-upgrade)',
            'the output of caelundas-20260102-000000 was never copied to this machine (deleting its PVC caelundas-20260102-000000 destroys it)',
          ],
        );
        assert.match(
          error.missing[2]!.howToProvide,
          /copy caelundas --release caelundas-20260102-000000\), or pass --force/,
        );
        return true;
      },
    );
    assert.deepEqual(prompter.asked, []);
  });

  it('off a terminal with --yes keeps Retained volumes unless --delete-volume is given too', async () => {
    const prompter = scriptedPrompter({}, false);
    const kept = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [COPIED],
      flags: { ...FLAGS, yes: true },
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(kept.deleteRetainedVolumes, false);
    assert.deepEqual(
      kept.items.map((item) => item.row.name),
      [COPIED.name],
    );
    const deleted = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [COPIED],
      flags: { ...FLAGS, yes: true, deleteVolume: true },
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(deleted.deleteRetainedVolumes, true);
  });

  it('off a terminal guards a never-copied run whose PVC is gone: deleting its kept volume needs --force too', async () => {
    const prompter = scriptedPrompter({}, false);
    await assert.rejects(
      decideUninstall({
        prompter,
        app: 'caelundas',
        namespace: NS,
        rows: [VOLUME_ONLY],
        flags: { ...FLAGS, yes: true, deleteVolume: true },
        log: () => undefined,
        width: UNWRAPPED,
      }),
      (error: unknown) => {
        assert.ok(error instanceof MissingInputError);
        assert.deepEqual(
          error.missing.map((item) => item.name),
          [
            'the output of caelundas-20260104-000000 was never copied to this machine (deleting its kept volume pvc-left destroys it)',
          ],
        );
        return true;
      },
    );
    // Without --delete-volume nothing of its output is deleted, so nothing more is needed; with --force it goes.
    for (const flags of [
      { ...FLAGS, yes: true },
      { ...FLAGS, yes: true, deleteVolume: true, force: true },
    ]) {
      const decision = await decideUninstall({
        prompter,
        app: 'caelundas',
        namespace: NS,
        rows: [VOLUME_ONLY],
        flags,
        log: () => undefined,
        width: UNWRAPPED,
      });
      assert.equal(decision.items.length, 1);
    }
  });

  it('on a terminal asks a second time before deleting the kept volume of a never-copied run, and keeps it on no', async () => {
    const prompter = scriptedPrompter({ confirm: [true, true, false] });
    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [VOLUME_ONLY],
      flags: FLAGS,
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(prompter.asked.length, 3);
    assert.match(prompter.asked[1]!, /Its volume uses reclaim policy Retain/);
    assert.match(
      prompter.asked[2]!,
      /The output of caelundas-20260104-000000 was never copied .*deleting its kept volume pvc-left destroys it\. Delete caelundas-20260104-000000 anyway\?/,
    );
    assert.deepEqual(decision.items, []);
    assert.match(decision.left[0]!.why, /never copied/);
  });

  it('on a terminal asks once for all, then once about the volumes, then again for each never-copied output — all defaulting to no', async () => {
    const prompter = scriptedPrompter({ confirm: [true, true, false] });

    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [COPIED, NEVER_COPIED],
      flags: FLAGS,
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(prompter.asked.length, 3);
    assert.match(
      prompter.asked[0]!,
      /Uninstall these 2 releases of caelundas .*\n  - caelundas-20260101-000000: job complete, PVC 10Gi Bound, output copied/,
    );
    assert.match(
      prompter.asked[1]!,
      /Their volumes use reclaim policy Retain.*billed until deleted\.\n  - pvc-caelundas-20260101-000000 \(10Gi, Linode volume 77, about \$1\.00\/month.*\n  - pvc-caelundas-20260102-000000 /,
    );
    assert.match(
      prompter.asked[2]!,
      /The output of caelundas-20260102-000000 was never copied .*Delete caelundas-20260102-000000 anyway\?/,
    );
    assert.deepEqual(
      decision.items.map((item) => item.row.name),
      [COPIED.name],
    );
    assert.match(decision.left[0]!.why, /never copied/);
    assert.equal(decision.deleteRetainedVolumes, true);
  });

  it('on a terminal does nothing when the first confirmation is declined', async () => {
    const prompter = scriptedPrompter({ confirm: [false] });
    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [COPIED],
      flags: FLAGS,
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.deepEqual(decision.items, []);
    assert.equal(prompter.asked.length, 1);
  });

  it('with --yes and --force on a terminal asks nothing, and --yes alone never deletes a volume', async () => {
    const prompter = scriptedPrompter({});
    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [COPIED, NEVER_COPIED],
      flags: { ...FLAGS, yes: true, force: true },
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(decision.items.length, 2);
    assert.equal(decision.deleteRetainedVolumes, false);
    assert.deepEqual(prompter.asked, []);
  });

  it('offers a stuck release the rollback to its last deployed revision, or uninstall, or leaving it', async () => {
    const prompter = scriptedPrompter({ select: [1] });
    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [STUCK],
      flags: FLAGS,
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.match(prompter.asked[0]!, /caelundas-20260103-000000 is stuck in pending-upgrade/);
    assert.deepEqual(
      decision.items.map((item) => item.action),
      ['rollback'],
    );
    assert.equal(decision.items[0]!.action === 'rollback' && decision.items[0]!.revision, 1);
  });

  it('does not ask about the output or volumes when the PVC is kept', async () => {
    const prompter = scriptedPrompter({ confirm: [true] });
    const decision = await decideUninstall({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows: [NEVER_COPIED],
      flags: { ...FLAGS, keepPvc: true },
      log: () => undefined,
      width: UNWRAPPED,
    });
    assert.equal(prompter.asked.length, 1);
    assert.equal(decision.items.length, 1);
  });
});

describe('choosing releases to uninstall', () => {
  const rows = [COPIED, NEVER_COPIED];

  it('refuses names that are not runs of the app, listing the existing ones', async () => {
    await assert.rejects(
      selectReleasesToUninstall({
        prompter: scriptedPrompter({}, false),
        app: 'caelundas',
        namespace: NS,
        rows,
        given: ['caelundas-oops', 'wpp-bot'],
        now: new Date(),
        width: 80,
      }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(
          error.message,
          /^No runs caelundas-oops, wpp-bot in namespace caelundas\. Runs of caelundas are named/,
        );
        assert.equal(
          error.fix,
          `Runs there: ${COPIED.name}, ${NEVER_COPIED.name} (npx tsx tasks.ts releases caelundas)`,
        );
        return true;
      },
    );
  });

  it('counts a run whose record is here but of which nothing is left on the cluster as already gone', async () => {
    const gone: ReleaseRow = {
      ...COPIED,
      name: 'caelundas-20250101-000000',
      helm: undefined,
      pvc: undefined,
      gone: true,
    };
    const selection = await selectReleasesToUninstall({
      prompter: scriptedPrompter({}, false),
      app: 'caelundas',
      namespace: NS,
      rows: [...rows, gone],
      given: [COPIED.name, gone.name],
      now: new Date(),
      width: 80,
    });
    assert.deepEqual(
      selection.selected.map((selected) => selected.name),
      [COPIED.name],
    );
    assert.deepEqual(selection.alreadyGone, [gone.name]);
  });

  it('refuses a well-formed run name that neither the cluster nor this machine knows, listing the runs there', async () => {
    await assert.rejects(
      selectReleasesToUninstall({
        prompter: scriptedPrompter({}, false),
        app: 'caelundas',
        namespace: NS,
        rows,
        given: [COPIED.name, 'caelundas-20250101-000000'],
        now: new Date(),
        width: 80,
      }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, 'No run caelundas-20250101-000000 in namespace caelundas.');
        assert.equal(
          error.fix,
          `Runs there: ${COPIED.name}, ${NEVER_COPIED.name} (npx tsx tasks.ts releases caelundas)`,
        );
        return true;
      },
    );
  });

  it('off a terminal without --release refuses with the releases to choose from', async () => {
    const { createPrompter } = await import('../../lib/prompts.ts');
    await assert.rejects(
      selectReleasesToUninstall({
        prompter: createPrompter({ interactive: false }),
        app: 'caelundas',
        namespace: NS,
        rows,
        given: [],
        now: new Date(),
        width: 80,
      }),
      (error: unknown) => {
        assert.ok(error instanceof MissingInputError);
        assert.match(
          error.message,
          new RegExp(
            `the releases to uninstall: pass --release NAME \\(repeatable\\), from: ${COPIED.name}, ${NEVER_COPIED.name}`,
          ),
        );
        return true;
      },
    );
  });
});

describe('what a kept volume costs', () => {
  it("estimates the monthly price from the size, with Linode's 10 GB minimum", () => {
    assert.equal(monthlyVolumeCost('20Gi'), 'about $2.00/month at 2024-07 prices');
    assert.equal(monthlyVolumeCost('1Gi'), 'about $1.00/month at 2024-07 prices');
    assert.equal(monthlyVolumeCost('lots'), undefined);
  });

  it('names the command that deletes it', () => {
    assert.match(
      keptVolumeMessage('caelundas', RELEASE, { name: 'pvc-1', size: '10Gi', reclaimPolicy: 'Retain' }),
      /npx tsx tasks\.ts uninstall caelundas --release caelundas-20260125-143022 --delete-volume$/,
    );
  });
});
