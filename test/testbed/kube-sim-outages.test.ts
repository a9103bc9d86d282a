/**
 * kube-sim's outage controls, proved with the real kubectl: closeWatches() ends a watch cleanly (kubectl exits 0,
 * as after an API server's watch timeout) and leaves log follows alone; compactHistory() makes a watch that resumes
 * from an earlier resourceVersion get 410 Gone; goOffline() refuses connections until goOnline().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';

describe('kube-sim outages', () => {
  it('ends watches, answers 410 after compaction, and refuses connections while offline', async () => {
    await withKubeSim(async ({ sim, sandbox, kubectl, kubectlOk }) => {
      await kubectlOk(['create', 'configmap', 'first', '-n', 'default']);
      const watching = sandbox.run(sandbox.bin.kubectl, [
        'get',
        'configmaps',
        '-n',
        'default',
        '--watch',
        '--output-watch-events',
        '-o',
        'json',
      ]);
      await sim.waitFor((s) => s.openWatches().some((watch) => watch.resource === 'configmaps'), {
        description: 'the watch is open',
      });
      assert.deepEqual(
        sim.openWatches().map((watch) => [watch.resource, watch.namespace]),
        [['configmaps', 'default']],
      );
      assert.equal(sim.closeWatches(), 1);
      const ended = await watching;
      assert.equal(ended.code, 0, ended.stderr);
      assert.deepEqual(sim.openWatches(), []);

      const seen = sim.get('v1', 'ConfigMap', 'default', 'first')!.metadata.resourceVersion!;
      await kubectlOk(['create', 'configmap', 'second', '-n', 'default']);
      sim.compactHistory();
      const resumed = await kubectl([
        'get',
        '--raw',
        `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${seen}`,
      ]);
      assert.equal(resumed.code, 1);
      assert.match(resumed.stderr, /Error from server \(Expired\): too old resource version/);

      sim.goOffline();
      const refused = await kubectl(['get', 'configmaps', '-n', 'default', '-o', 'name']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /The connection to the server 127\.0\.0\.1:\d+ was refused/);
      await Promise.all([sim.goOnline(), sim.goOnline()]);
      assert.match(await kubectlOk(['get', 'configmaps', '-n', 'default', '-o', 'name']), /configmap\/second/);
    });
  });
});
