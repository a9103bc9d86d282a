/**
 * Applying one phase of a roll-out: only the objects that differ from what the cluster holds (compare.ts), in one
 * server-side apply with deckhand as the field manager, manifests on stdin (the Secret's values never touch argv or
 * disk). The server's answer (`--output json`) says what each object is now; compared with what it was, each object
 * is reported as created, configured or unchanged.
 */
import { stringify as stringifyYaml } from 'yaml';
import * as kubectl from '../../kubectl.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { applyDecision, objectKey, resultOf, type ObjectResult } from './compare.ts';
import { targetOf, taskShell, type ServiceDeployRun } from './deploy-run.ts';
import { imageReferences, type SecretChange } from './desired.ts';
import { containerImages, describeObject, isDeployment, type Manifest } from './manifests.ts';

export interface AppliedPhase {
  /** Each object of the phase as the cluster holds it after the apply (`Kind/name`). */
  after: Map<string, Manifest>;
}

export async function applyPhase(
  run: ServiceDeployRun,
  task: StepTask,
  objects: readonly Manifest[],
  secrets: readonly SecretChange[] = [],
): Promise<AppliedPhase> {
  const shell = taskShell(run, task);
  const live = run.live!.objects;
  const decided = objects.map((object) => ({ object, decision: applyDecision(object, live.get(objectKey(object))) }));
  const toApply = [
    ...decided.filter((item) => item.decision !== 'skip').map((item) => item.object),
    ...secrets.filter((secret) => secret.result !== 'unchanged').map((secret) => secret.manifest),
  ];
  // The Namespace first, then the Secrets (the workloads read them), then the rest in file order.
  toApply.sort((a, b) => rank(a) - rank(b));
  const after = new Map<string, Manifest>();
  if (toApply.length > 0) {
    const answer = await shell.run(kubectl.applyArgs(targetOf(run), { namespace: run.namespace, output: 'json' }), {
      kind: 'write',
      // YAML documents rather than JSON ones: kubectl reads input that starts with `{` as one JSON stream.
      input: toApply.map((object) => stringifyYaml(object)).join('---\n'),
      hint: 'Does your kubeconfig user have permission to change objects in this namespace?',
      dryRunStdout: '',
    });
    if (!shell.dryRun) {
      const parsed = JSON.parse(answer.stdout) as Manifest & { items?: Manifest[] };
      for (const item of parsed.items ?? [parsed]) after.set(objectKey(item), item);
    }
  }
  const unchanged: string[] = [];
  const unpushed = new Set([...imageReferences(run).values()].filter((reference) => !reference.includes('@')));
  for (const { object, decision } of decided) {
    const key = objectKey(object);
    const before = live.get(key);
    if (decision === 'skip') {
      if (before) after.set(key, before);
      unchanged.push(describeObject(object));
      run.objects.set(key, 'unchanged');
      continue;
    }
    if (shell.dryRun) {
      task.output = `${describeObject(object)}: would be ${decision === 'create' ? 'created' : 'updated'}${runs(object, unpushed)}`;
      continue;
    }
    const now = after.get(key);
    const result: ObjectResult = now ? resultOf(before, now) : before ? 'configured' : 'created';
    run.objects.set(key, result);
    if (result === 'unchanged') unchanged.push(describeObject(object));
    else task.output = `${describeObject(object)}: ${result}${runs(object, unpushed)}`;
  }
  for (const secret of secrets) {
    run.objects.set(`Secret/${secret.name}`, secret.result === 'updated' ? 'configured' : secret.result);
    const keys =
      secret.result === 'updated' && secret.changed.length > 0 ? ` (changed: ${secret.changed.join(', ')})` : '';
    task.output = `Secret ${secret.name}: ${shell.dryRun && secret.result !== 'unchanged' ? `would be ${secret.result}` : secret.result}${keys}`;
  }
  if (unchanged.length > 0) task.output = `unchanged: ${unchanged.join(', ')}`;
  return { after };
}

/** For a Deployment, the images it is given: by digest (a dry run knows only the tags the build would push). */
function runs(object: Manifest, unpushed: ReadonlySet<string>): string {
  if (!isDeployment(object)) return '';
  const images = containerImages(object);
  const byTag = images.some((image) => unpushed.has(image));
  return `, running ${images.join(', ')}${byTag ? ' (by the digest its push reports)' : ''}`;
}

function rank(object: Manifest): number {
  return object.kind === 'Namespace' ? 0 : object.kind === 'Secret' ? 1 : 2;
}
