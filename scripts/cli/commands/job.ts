/**
 * The batch-Job commands that look after runs once they exist (`deploy` and `logs`, which take either kind of app,
 * are in app.ts).
 */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

const APP = { name: 'app', description: 'The Job app (see `apps`)', required: true } as const;
const EXAMPLE_RELEASE = 'caelundas-20260125-143022';

export const releases = defineCommand({
  name: 'releases',
  summary:
    "List a Job app's runs: state, Job outcome, commit, age, PVC and volume, and whether the output was copied here",
  details: [
    'Shows every Helm release named <app>-YYYYMMDD-HHMMSS, plus any PVC or Released volume a run left behind without',
    'its release (those still cost money). "copied" means output/<release>/run.json records a verified copy. A release',
    'in a pending-* state (an interrupted helm operation) is shown as stuck, with the command that fixes it.',
  ].join('\n'),
  args: [APP],
  options: { json: { type: 'boolean', description: 'Print JSON for scripts.' } },
  examples: [deckhand('releases', 'caelundas'), deckhand('releases', 'caelundas', '--json')],
});

export const uninstall = defineCommand({
  name: 'uninstall',
  summary:
    'Remove runs of a Job app: pick, confirm, helm uninstall, wait for the pods, delete the PVC and (if told) the volume',
  details: [
    'On a terminal you pick releases from a list (finished and oldest first) and confirm (default: no); a run whose output',
    'was never copied here asks a second time. Off a terminal name them with --release and pass --yes (and --force for',
    'output never copied). LKE volumes are Retained: after the PVC goes, the volume and its data stay and are billed.',
    'It is deleted only with --delete-volume or a yes to that question (its reclaim policy is switched to Delete so the',
    'Linode CSI driver removes the Linode volume too). A stuck (pending-*) release needs --recover off a terminal.',
    'Uninstalling a run that is already gone succeeds with "nothing to do".',
  ].join('\n'),
  args: [APP],
  options: {
    release: {
      type: 'string',
      multiple: true,
      valueName: 'name',
      description: 'A release to uninstall. Without it, a picker on a terminal.',
    },
    force: {
      type: 'boolean',
      description: 'Also delete runs whose output was never copied here, without asking again.',
    },
    'keep-pvc': {
      type: 'boolean',
      description: 'Keep the PVC (and the output on it); remove only the Helm release, Job and pods.',
    },
    'delete-volume': {
      type: 'boolean',
      description: 'Also delete the volume a Retain policy keeps (its data is lost; it stops being billed).',
    },
    recover: {
      type: 'boolean',
      description: 'Uninstall a release stuck in pending-* (only when no helm command is still working on it).',
    },
  },
  examples: [
    deckhand('uninstall', 'caelundas'),
    deckhand('uninstall', 'caelundas', '--release', EXAMPLE_RELEASE, '--yes'),
    deckhand('uninstall', 'caelundas', '--release', EXAMPLE_RELEASE, '--delete-volume', '--yes'),
    deckhand('uninstall', 'caelundas', '--release', EXAMPLE_RELEASE, '--recover', '--yes'),
  ],
});

export const copy = defineCommand({
  name: 'copy',
  summary:
    "Copy a finished run's output from its PVC into the run's own output folder (verified), and record it in run.json",
  args: [APP],
  options: {
    release: {
      type: 'string',
      valueName: 'name',
      description: 'The release whose output to copy. Without it, a picker on a terminal.',
    },
    force: { type: 'boolean', description: 'Copy again even though a verified copy is already here.' },
  },
  examples: [deckhand('copy', 'caelundas'), deckhand('copy', 'caelundas', '--release', EXAMPLE_RELEASE)],
});
