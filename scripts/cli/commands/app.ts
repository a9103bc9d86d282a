/**
 * The commands that take either kind of app and do its kind's work: `deploy` (one run of a Job app, or a roll-out of
 * a service) and `logs`. An option that fits only one kind says so (`kinds`), and is refused for the other (exit 2).
 */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

const EXAMPLE_RELEASE = 'caelundas-20260125-143022';

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Build and push the images, then run one release of a Job app, or roll a service out (undone on failure)',
  details: [
    "A Job app: each run is its own Helm release named <app>-YYYYMMDD-HHMMSS (UTC): a Job's pod template cannot be",
    'changed, so a run is never an upgrade of an earlier one. Its logs are followed and its output lands in',
    'output/<cluster>/<namespace>/<release>/files/, with run.json (the record) and job.log (the whole log) beside it.',
    'A service: its manifests are applied server-side in dependency order (namespace, policies, Secret and ConfigMaps;',
    'Postgres, ready; the app and the dashboard; the Ingress last) with every image set to the pushed digest in memory.',
    'Nothing is written when nothing changed; a changed Secret or ConfigMap restarts only the Deployments that read it.',
    'The roll-out is watched and stopped at the first sign it cannot succeed (crash loop, image pull error, missing',
    'Secret key, no node, failing readiness), then undone to the revision that ran before (unless --no-rollback).',
    'Each roll-out is recorded in the change-cause of its revisions and in .deckhand/rollouts/<app>/.',
    'Both: images are tagged sha-<commit> (plus the app version) and run by digest; a build is skipped when the',
    "registry already has the commit's image. Inputs come from the environment, then .env.<app>, then a prompt.",
  ].join('\n'),
  args: [{ name: 'app', description: 'The app to deploy (see `apps`)', required: true }],
  options: {
    image: {
      type: 'string',
      multiple: true,
      valueName: 'ref',
      description:
        'Deploy this existing image (repo:tag or repo:tag@sha256:…) instead of building. A service takes one per image, matched by the repository name or given as NAME=REF; the others are built.',
    },
    rebuild: {
      type: 'boolean',
      description: 'Build and push even if the registry already has the image of this commit.',
    },
    'allow-dirty': {
      type: 'boolean',
      description: 'Build from a work tree with uncommitted changes (the tag says -dirty).',
    },
    dockerfile: {
      type: 'string',
      multiple: true,
      valueName: 'file',
      description: "Dockerfile to build (default: the app's); NAME=FILE for one image of a service.",
    },
    'build-context': {
      type: 'string',
      multiple: true,
      valueName: 'dir',
      description: "Build context folder (default: the app's); NAME=DIR for one image of a service.",
    },
    cleanup: {
      type: 'boolean',
      description: 'After a verified copy, uninstall the release and delete its PVC.',
      kinds: ['job'],
    },
    'delete-volume': {
      type: 'boolean',
      description:
        'With --cleanup: also delete the volume a Retain policy keeps after the PVC goes (its copy of the output is lost; it stops being billed).',
      kinds: ['job'],
      requires: 'cleanup',
    },
    timeout: {
      type: 'string',
      valueName: 'duration',
      description: 'How long to wait for the Job (default 30m, or DECKHAND_JOB_TIMEOUT).',
      kinds: ['job'],
    },
    'no-rollback': {
      type: 'boolean',
      description: 'Leave a failed roll-out as it is (to look at it) instead of undoing it.',
      kinds: ['service'],
    },
  },
  examples: [
    deckhand('deploy', 'caelundas', '--dry-run'),
    deckhand('deploy', 'caelundas'),
    deckhand('deploy', 'caelundas', '--cleanup', '--timeout', '1h'),
    deckhand('deploy', 'caelundas', '--cleanup', '--delete-volume'),
    deckhand('deploy', 'caelundas', '--image', 'ghcr.io/me/caelundas:sha-1a2b3c4'),
    deckhand('deploy', 'wpp-bot', '--dry-run'),
    deckhand('deploy', 'wpp-bot'),
    deckhand('deploy', 'wpp-bot', '--image', 'ghcr.io/me/wpp-bot-dashboard:sha-1a2b3c4'),
  ],
  configKeys: { timeout: 'DECKHAND_JOB_TIMEOUT' },
});

export const logs = defineCommand({
  name: 'logs',
  summary: "Show logs: a Job app's run (its newest pod, followed while it runs), or a service's Deployment",
  details: [
    "A Job app: the newest pod of the run's Job, followed while the Job runs.",
    "A service: a ready pod of the Deployment's current revision (default: the app's main Deployment); --previous",
    'shows the container run before the last restart (why it crashed); --follow keeps streaming.',
  ].join('\n'),
  args: [{ name: 'app', description: 'The app (see `apps`)', required: true }],
  options: {
    release: {
      type: 'string',
      valueName: 'name',
      description: 'The release whose logs to show. Without it, a picker on a terminal.',
      kinds: ['job'],
    },
    deployment: {
      type: 'string',
      valueName: 'name',
      description: "The Deployment whose logs to show (default: the app's main one).",
      kinds: ['service'],
    },
    previous: {
      type: 'boolean',
      description: 'The logs of the container run before the last restart (a crash).',
      kinds: ['service'],
    },
    tail: {
      type: 'string',
      valueName: 'lines',
      description: 'Only the last N lines (0 to 1,000,000).',
      integer: { min: 0, max: 1_000_000 },
    },
    follow: {
      type: 'boolean',
      description: 'Keep following the log (a Job is followed anyway while it runs).',
    },
  },
  examples: [
    deckhand('logs', 'caelundas'),
    deckhand('logs', 'caelundas', '--release', EXAMPLE_RELEASE, '--tail', '100'),
    deckhand('logs', 'wpp-bot', '--follow'),
    deckhand('logs', 'wpp-bot', '--deployment', 'postgres', '--previous'),
  ],
});
