/** Commands about this machine and this project: what deckhand knows, and whether everything is ready. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'Check this machine: tools and versions, configuration, kubeconfig, and that the cluster answers',
  args: [{ name: 'app', description: 'App whose namespace to check (default: caelundas)', required: false }],
  options: {},
  examples: [deckhand('doctor'), deckhand('doctor', '--kubeconfig', '~/.kube/lke-kubeconfig.yaml')],
});

export const apps = defineCommand({
  name: 'apps',
  summary: 'List the apps deckhand knows: kind, namespace, images, chart or manifests, required inputs',
  args: [],
  options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
  examples: [deckhand('apps'), deckhand('apps', '--json')],
});
