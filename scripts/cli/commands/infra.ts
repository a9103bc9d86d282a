/** The cluster's own lifecycle: terraform for the LKE cluster, and its kubeconfig. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const infra = defineCommand({
  name: 'infra',
  summary: 'Create, change or destroy the LKE cluster with terraform: plan, show the cost, confirm, apply that plan',
  details: [
    'plan writes a plan file (0600) and prints what it would add, change and destroy; apply makes (or, with an existing',
    '--plan-file, reuses) a plan, shows it with a monthly cost estimate, asks, and applies exactly that plan; destroy asks',
    'you to type the cluster label; output prints the terraform outputs (sensitive ones hidden). The Linode token comes',
    'from LINODE_TOKEN (environment or .env) or a hidden prompt and reaches terraform as TF_VAR_linode_token, never argv.',
    'Off a terminal, apply and destroy need --yes. See docs/terraform.md.',
  ].join('\n'),
  args: [
    { name: 'action', description: 'What to do', required: true, choices: ['plan', 'apply', 'destroy', 'output'] },
  ],
  options: {
    'plan-file': {
      type: 'string',
      valueName: 'file',
      description: 'Plan file to write (plan) or apply (apply, when it exists). Default: terraform/deckhand.tfplan.',
    },
    json: { type: 'boolean', description: 'Print JSON for scripts.' },
  },
  examples: [
    deckhand('infra', 'plan'),
    deckhand('infra', 'apply'),
    deckhand('infra', 'apply', '--plan-file', 'reviewed.tfplan'),
    deckhand('infra', 'output', '--json'),
    deckhand('infra', 'destroy'),
  ],
});

export const kubeconfig = defineCommand({
  name: 'kubeconfig',
  summary:
    "Download the cluster's kubeconfig to ~/.kube (0600), check the cluster answers, and record it as the managed cluster",
  details: [
    'Source: --cluster-id through linode-cli (when installed) or the Linode API; else the terraform outputs; else the',
    'cluster named by --label. Writes ~/.kube/<label>-kubeconfig.yaml atomically; --merge also merges it into',
    '~/.kube/config (backup first). Records the cluster in .deckhand/cluster.json, which turns on the cluster guard:',
    'commands that change a cluster then refuse any other unless you name it with --context or --kubeconfig.',
  ].join('\n'),
  args: [],
  options: {
    'cluster-id': {
      type: 'string',
      valueName: 'id',
      description: 'Numeric id of an existing LKE cluster (Cloud Manager or `linode-cli lke clusters-list`).',
    },
    label: {
      type: 'string',
      valueName: 'label',
      description: 'Label of the cluster to fetch (when it is not the one in the terraform outputs).',
    },
    merge: { type: 'boolean', description: 'Also merge it into ~/.kube/config (a timestamped backup is kept).' },
  },
  examples: [
    deckhand('kubeconfig'),
    deckhand('kubeconfig', '--cluster-id', '123456'),
    deckhand('kubeconfig', '--label', 'deckhand', '--merge'),
  ],
});
