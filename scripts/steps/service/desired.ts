/**
 * The objects of a roll-out as the cluster should hold them, built in memory from the manifests: each image-carrying
 * container set to the image this roll-out runs (by digest), the image pull secret added when there is one, a
 * checksum of the config each Deployment reads on its pod template, a change-cause for each new revision, and a
 * fingerprint on every object (see compare.ts). The app's Secret and the pull secret come from the inputs.
 */
import { changedKeys, dockerConfigJson, secretManifest, type SecretSpec } from '../cluster/namespace.ts';
import { formatImageReference } from '../../lib/image-ref.ts';
import { changeCause } from './change-cause.ts';
import { CHANGE_CAUSE, CONFIG_HASH, shortHash, TEMPLATE_HASH, withFingerprint } from './compare.ts';
import { configChecksum, configRefs, missingKeys, type ConfigData } from './config-refs.ts';
import type { ServiceDeployRun } from './deploy-run.ts';
import { containerImages, isDeployment, withImage, type DeploymentManifest, type Manifest } from './manifests.ts';

/** The image reference each image-carrying container runs: repository:tag@digest (tag only in a dry run). */
export function imageReferences(run: Pick<ServiceDeployRun, 'plan' | 'digests'>): Map<string, string> {
  const references = new Map<string, string>();
  for (const { image, plan } of run.plan!.images) {
    const digest = run.digests[image.name] ?? plan.digest;
    references.set(
      `${image.deployment}/${image.container}`,
      formatImageReference({ repository: plan.repository, tag: plan.tag, ...(digest ? { digest } : {}) }),
    );
  }
  return references;
}

/** The data deckhand writes, for the config checksums: the Secrets' values and every ConfigMap of the manifests. */
export function configData(run: Pick<ServiceDeployRun, 'app' | 'plan' | 'inputs' | 'deps'>): ConfigData {
  const plan = run.plan!;
  const configMaps: Record<string, Record<string, string>> = {};
  for (const object of Object.values(plan.phases).flat())
    if (object.kind === 'ConfigMap')
      configMaps[object.metadata.name] = (object['data'] as Record<string, string> | undefined) ?? {};
  const secrets: Record<string, Record<string, string>> = { [run.app.secret.name]: run.inputs ?? {} };
  const pull = pullSecretSpec(run);
  if (pull) secrets[pull.name] = { ...pull.values };
  return { secrets, configMaps };
}

/**
 * References no roll-out could satisfy: a Secret key the app's inputs do not have, a ConfigMap key the manifests do
 * not set. Checked from the registry and the files alone, before anything is applied.
 */
export function impossibleReferences(run: Pick<ServiceDeployRun, 'app' | 'plan' | 'deps'>): string[] {
  const keysOnly = Object.fromEntries(run.app.secret.inputs.map((input) => [input.key, '']));
  const data = configData({ ...run, inputs: keysOnly });
  return Object.values(run.plan!.phases)
    .flat()
    .filter(isDeployment)
    .flatMap((deployment) =>
      missingKeys(configRefs(deployment.spec.template.spec), data).map(
        (what) => `Deployment ${deployment.metadata.name} reads ${what}`,
      ),
    );
}

/** The objects of one phase, ready to compare and apply. */
export function desiredObjects(run: ServiceDeployRun, objects: readonly Manifest[]): Manifest[] {
  const images = imageReferences(run);
  const data = configData(run);
  return objects.map((object) =>
    isDeployment(object) ? desiredDeployment(run, object, images, data) : withFingerprint(object),
  );
}

function desiredDeployment(
  run: ServiceDeployRun,
  source: DeploymentManifest,
  images: ReadonlyMap<string, string>,
  data: ConfigData,
): DeploymentManifest {
  const name = source.metadata.name;
  let deployment = source;
  let runsOurImage = false;
  for (const container of source.spec.template.spec.containers) {
    const reference = images.get(`${name}/${container.name}`);
    if (!reference) continue;
    deployment = withImage(deployment, container.name, reference);
    runsOurImage = true;
  }
  deployment = structuredClone(deployment);
  const template = deployment.spec.template;
  const pull = run.plan!.pullSecret;
  if (pull && runsOurImage) {
    const named = template.spec.imagePullSecrets ?? [];
    if (!named.some((secret) => secret.name === pull.name))
      template.spec.imagePullSecrets = [...named, { name: pull.name }];
  }
  const checksum = configChecksum(configRefs(template.spec), data);
  if (checksum)
    template.metadata = {
      ...template.metadata,
      annotations: { ...template.metadata?.annotations, [CONFIG_HASH]: checksum },
    };

  const templateHash = shortHash(template);
  const live = run.live?.objects.get(`Deployment/${name}`);
  const liveAnnotations = live?.metadata.annotations ?? {};
  const liveTemplate = (
    live?.['spec'] as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined
  )?.template;
  // The same template as the revision running now keeps that revision's change-cause: nothing new rolls out.
  const cause =
    liveAnnotations[TEMPLATE_HASH] === templateHash && liveAnnotations[CHANGE_CAUSE]
      ? liveAnnotations[CHANGE_CAUSE]
      : changeCause({
          action: 'deploy',
          shortCommit: run.plan!.shortCommit,
          who: run.plan!.who,
          at: run.plan!.startedAt,
          images: containerImages(deployment),
          ...(live && checksum && liveTemplate?.metadata?.annotations?.[CONFIG_HASH] !== checksum
            ? { note: 'the Secret or ConfigMap values it reads changed' }
            : {}),
        });
  deployment.metadata.annotations = {
    ...deployment.metadata.annotations,
    [TEMPLATE_HASH]: templateHash,
    [CHANGE_CAUSE]: cause,
  };
  return withFingerprint(deployment);
}

function pullSecretSpec(run: Pick<ServiceDeployRun, 'plan' | 'deps'>): SecretSpec | undefined {
  const pull = run.plan!.pullSecret;
  const token = run.deps.config.pullToken;
  if (!pull || !token) return undefined;
  return {
    name: pull.name,
    namespace: run.plan!.namespace,
    type: 'kubernetes.io/dockerconfigjson',
    values: { '.dockerconfigjson': dockerConfigJson(pull.registry, pull.user, token) },
  };
}

export interface SecretChange {
  name: string;
  result: 'created' | 'updated' | 'unchanged';
  /** Key names only, never values. */
  changed: string[];
  manifest: Manifest;
}

/** The app's Secret (and the pull secret), and whether each differs from what the cluster holds. */
export function desiredSecrets(run: ServiceDeployRun): SecretChange[] {
  const specs: SecretSpec[] = [
    {
      name: run.app.secret.name,
      namespace: run.plan!.namespace,
      values: run.inputs!,
      labels: { 'app.kubernetes.io/part-of': run.app.name },
    },
  ];
  const pull = pullSecretSpec(run);
  if (pull) specs.push(pull);
  return specs.map((spec) => {
    const live = run.live?.secrets[spec.name];
    const changed = changedKeys(live?.['data'] as Record<string, string> | undefined, spec.values);
    const manifest = secretManifest(spec) as unknown as Manifest;
    const sameType = ((live?.['type'] as string | undefined) ?? 'Opaque') === (spec.type ?? 'Opaque');
    const result = !live ? 'created' : changed.length > 0 || !sameType ? 'updated' : 'unchanged';
    return { name: spec.name, result, changed, manifest };
  });
}
