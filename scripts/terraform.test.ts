import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as terraform from './terraform.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../test/fixtures/terraform');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;

describe('terraform argv builders', () => {
  it('never lets terraform ask for input, colour its output, or take the token on argv', () => {
    assert.deepEqual(terraform.initArgs(), ['terraform', 'init', '-input=false', '-no-color']);
    assert.deepEqual(terraform.planArgs('/p/x.tfplan'), [
      'terraform',
      'plan',
      '-input=false',
      '-no-color',
      '-out',
      '/p/x.tfplan',
    ]);
    assert.deepEqual(terraform.planArgs('/p/x.tfplan', { destroy: true }), [
      'terraform',
      'plan',
      '-input=false',
      '-no-color',
      '-destroy',
      '-out',
      '/p/x.tfplan',
    ]);
    assert.deepEqual(terraform.showPlanArgs('/p/x.tfplan'), ['terraform', 'show', '-json', '-no-color', '/p/x.tfplan']);
    assert.deepEqual(terraform.applyArgs('/p/x.tfplan'), [
      'terraform',
      'apply',
      '-input=false',
      '-no-color',
      '/p/x.tfplan',
    ]);
    assert.deepEqual(terraform.outputArgs(), ['terraform', 'output', '-json', '-no-color']);
  });

  it('passes the token in the environment with automation mode on', () => {
    assert.deepEqual(terraform.terraformEnv('tok-123'), {
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_VAR_linode_token: 'tok-123',
    });
    assert.deepEqual(terraform.terraformEnv(), { TF_IN_AUTOMATION: '1', TF_INPUT: '0' });
  });
});

describe('reading a plan', () => {
  it('lists resources to add, change and destroy by address, counting a replacement as both', () => {
    const summary = terraform.summarizePlan(fixture('plan-mixed.json'));
    assert.deepEqual(summary.changes, [
      { address: 'linode_lke_cluster.this', kind: 'update' },
      { address: 'local_sensitive_file.kubeconfig', kind: 'replace' },
      { address: 'linode_volume.old', kind: 'delete' },
    ]);
    assert.deepEqual([summary.add, summary.change, summary.destroy], [1, 1, 2]);
    assert.equal(
      terraform.formatPlanSummary(summary),
      [
        'Plan: 1 to add, 1 to change, 2 to destroy.',
        '    ~ linode_lke_cluster.this  (update in place)',
        '  -/+ local_sensitive_file.kubeconfig  (replace (destroy, then create))',
        '    - linode_volume.old  (destroy)',
      ].join('\n'),
    );
  });

  it('ignores data sources and no-ops, and says when nothing changes', () => {
    const create = terraform.summarizePlan(fixture('plan-create.json'));
    assert.deepEqual(
      create.changes.map((change) => change.address),
      ['linode_lke_cluster.this', 'linode_volume.data[0]', 'local_sensitive_file.kubeconfig'],
    );
    const noop = terraform.summarizePlan(fixture('plan-noop.json'));
    assert.equal(terraform.hasChanges(noop), false);
    assert.equal(
      terraform.formatPlanSummary(noop),
      'No changes: the infrastructure already matches the configuration.',
    );
  });

  it('derives the cost inputs from what exists after the plan', () => {
    assert.deepEqual(terraform.costInputFromPlan(fixture('plan-create.json')), {
      nodeType: 'g6-standard-2',
      minNodes: 1,
      maxNodes: 3,
      region: 'us-east',
      volumeGb: 20,
      highAvailability: false,
    });
    // The deleted 100 GB volume no longer costs anything; the untouched 50 GB one still does.
    assert.deepEqual(terraform.costInputFromPlan(fixture('plan-mixed.json')), {
      nodeType: 'g6-dedicated-4',
      minNodes: 2,
      maxNodes: 5,
      region: 'br-gru',
      volumeGb: 50,
      highAvailability: true,
    });
    assert.equal(terraform.costInputFromPlan(fixture('plan-destroy.json')), undefined);
  });

  it('finds the label of the cluster a destroy plan removes', () => {
    assert.equal(terraform.clusterLabelDestroyedBy(fixture('plan-destroy.json')), 'deckhand');
    assert.equal(terraform.clusterLabelDestroyedBy(fixture('plan-create.json')), undefined);
  });

  it('explains the protected volume when a destroy plan is refused', () => {
    assert.match(
      terraform.planFailureHint('Error: Instance cannot be destroyed\n… lifecycle.prevent_destroy set …'),
      /terraform state rm 'linode_volume.data\[0\]'/,
    );
    assert.match(terraform.planFailureHint('Error: [401] Invalid Token'), /LINODE_TOKEN/);
  });
});

describe('outputs', () => {
  const outputs = fixture<terraform.TerraformOutputs>('outputs.json');

  it('shows non-sensitive outputs and only names the sensitive ones', () => {
    const text = terraform.formatOutputs(outputs);
    assert.match(text, /^cluster_label +deckhand$/m);
    assert.match(text, /^api_endpoints +\["https:\/\/.+:443",/m);
    assert.match(text, /^volume_id +\(none\)$/m);
    assert.match(text, /^kubeconfig +\(sensitive: not shown/m);
    assert.doesNotMatch(text, /REPLACED-BY-THE-TEST/);
    assert.equal(
      terraform.formatOutputs({}),
      'No outputs: nothing has been applied yet (run `npx tsx tasks.ts infra apply`).',
    );
  });

  it('leaves sensitive values out of the JSON for scripts', () => {
    const shown = terraform.publicOutputs(outputs);
    assert.equal(shown.cluster_id, '424242');
    assert.ok(!('kubeconfig' in shown));
  });
});
