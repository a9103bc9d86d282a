/** Commands about this machine and this project: what deckhand knows, and whether everything is ready. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const doctor = defineCommand({
  name: 'doctor',
  summary:
    'Check this machine and the cluster: tools and versions, docker, the Linode token, kubeconfig, storage, Traefik',
  details: [
    'One line per check on stdout, each problem with its fix, then what the machine is ready for (--dry-run, deploy',
    '--image, deploy with a build, infra). Checks: Node; helm 4, kubectl, terraform >= 1.9; the docker engine, buildx',
    'building linux/amd64 and a login for the image registry; the Linode token (valid? Kubernetes and Volumes',
    'read/write?); the kubeconfig, its file mode, whether the cluster answers and kubectl is within one minor version of',
    'it; the cluster guard; the default StorageClass and its reclaim policy; Traefik and its address. Exits 1 only when',
    'a check marked ✖ failed. --json prints the same as one JSON document (checks, ready, summary, failed).',
  ].join('\n'),
  args: [{ name: 'app', description: 'App whose namespace to check (default: caelundas)', required: false }],
  options: { json: { type: 'boolean', description: 'Print the report as JSON for scripts (stable field names).' } },
  examples: [
    deckhand('doctor'),
    deckhand('doctor', '--json'),
    deckhand('doctor', '--kubeconfig', '~/.kube/lke-kubeconfig.yaml'),
  ],
});

export const apps = defineCommand({
  name: 'apps',
  summary: 'List the apps deckhand knows: kind, namespace, images, chart or manifests, required inputs',
  args: [],
  options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
  examples: [deckhand('apps'), deckhand('apps', '--json')],
});
