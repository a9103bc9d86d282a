/** The service commands: what runs now, going back to an earlier revision, and restarting after a config change. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

const APP = { name: 'app', description: 'The service (see `apps`)', required: true } as const;

export const status = defineCommand({
  name: 'status',
  summary: "Show a service: each Deployment's ready pods, image digest and commit, revision and age; pods; hosts",
  details: [
    'Read only. Per Deployment: ready/desired pods, the image it runs (by digest) and the commit it was built from,',
    'its current revision and when that revision was made, and whether a roll-out is under way; then every pod with',
    'its state and restarts, and the hosts the Ingress serves.',
  ].join('\n'),
  args: [APP],
  options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
  examples: [deckhand('status', 'wpp-bot'), deckhand('status', 'wpp-bot', '--json')],
});

export const rollback = defineCommand({
  name: 'rollback',
  summary: 'Roll a Deployment of a service back to an earlier revision: pick it (commit, image, time), confirm, wait',
  details: [
    'On a terminal, a picker lists the revisions of every Deployment of the app (newest first) with the commit, the',
    'image and when it was rolled out; the choice is confirmed before anything changes. Off a terminal, name it with',
    "--to-revision N (and --deployment, default: the app's main one) and pass --yes. Runs `kubectl rollout undo`",
    'and watches the roll-out back like a deploy does (it fails early, with the reason, when it cannot work).',
    'A Secret or ConfigMap is not rolled back: the old pods read the values the cluster holds now.',
  ].join('\n'),
  args: [APP],
  options: {
    'to-revision': { type: 'string', valueName: 'n', description: 'The revision to go back to (see `status`).' },
    deployment: {
      type: 'string',
      valueName: 'name',
      description: "The Deployment to roll back (default: the app's main one).",
    },
  },
  examples: [
    deckhand('rollback', 'wpp-bot'),
    deckhand('rollback', 'wpp-bot', '--to-revision', '3', '--yes'),
    deckhand('rollback', 'wpp-bot', '--deployment', 'dashboard', '--to-revision', '2', '--yes'),
  ],
});

export const restart = defineCommand({
  name: 'restart',
  summary: "Restart a service's Deployments (Postgres first, ready, then the rest) and watch them come back",
  details: [
    "Runs `kubectl rollout restart`: new pods replace the old ones by each Deployment's strategy (Recreate stops the",
    'old pod first). deploy already restarts the Deployments that read a changed Secret or ConfigMap; restart is for',
    'a change made outside deckhand. Each restart is recorded in the change-cause of its revision.',
  ].join('\n'),
  args: [APP],
  options: {
    deployment: {
      type: 'string',
      multiple: true,
      valueName: 'name',
      description: 'Restart only this Deployment (default: all of the app).',
    },
  },
  examples: [deckhand('restart', 'wpp-bot'), deckhand('restart', 'wpp-bot', '--deployment', 'dashboard')],
});
