/**
 * The wpp-bot Deployments in k8s/wpp-bot, checked against the reliability checklist (section A, items 4-14) on the
 * parsed objects: labels and selectors, pinned images, resources, probes, security contexts, host access, volume
 * types and ServiceAccounts. Static and fast: no cluster, no binaries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wppBot } from '../../scripts/apps/wpp-bot.ts';
import { parseQuantity } from '../chart/quantity.ts';
import {
  allContainers,
  allObjects,
  containerDeclaresPort,
  containersOf,
  deployments,
  LABEL_VALUE,
  loadManifests,
  mountOf,
  objectsOfKind,
  splitImage,
  type KubeObject,
  type Probe,
} from './wpp-bot-manifests.ts';

const RECOMMENDED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
];
const SELECTOR_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/name'];
/** Tags that move: an image behind one of these is not the image that was tested. */
const MUTABLE_TAGS = new Set([
  'latest',
  'head',
  'canary',
  'main',
  'master',
  'develop',
  'dev',
  'stable',
  'edge',
  'nightly',
]);
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Volume types Pod Security "restricted" allows. */
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
/** kube-score's container-security-context-user-group-id wants IDs above this, clear of any host user. */
const MIN_NON_HOST_ID = 10000;

function labelsOf(object: KubeObject): Record<string, string> {
  return object.metadata.labels ?? {};
}

function probeTarget(probe: Probe): string | number | undefined {
  return probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
}

describe('k8s/wpp-bot workloads', () => {
  it('parses into objects that each have an apiVersion, a kind and a unique name in the wpp-bot namespace', () => {
    const objects = loadManifests();
    assert.ok(objects.length >= 20, `expected the full set of wpp-bot objects, found ${objects.length}`);
    const seen = new Set<string>();
    for (const { file, object } of objects) {
      assert.match(object.apiVersion, /^([a-z0-9.-]+\/)?v\d+$/, `${file}: apiVersion`);
      assert.ok(object.kind, `${file}: kind`);
      assert.ok(object.metadata?.name, `${file}: ${object.kind} without metadata.name`);
      const key = `${object.kind}/${object.metadata.name}`;
      assert.ok(!seen.has(key), `${key} is declared twice`);
      seen.add(key);
      if (object.kind === 'Namespace') assert.equal(object.metadata.name, wppBot.namespace);
      else
        assert.equal(
          object.metadata.namespace,
          wppBot.namespace,
          `${key} must name its namespace so an explicit --namespace can never misplace it`,
        );
    }
  });

  it('declares exactly the Deployments the app registry rolls out, each with a main container of the same name', () => {
    const names = deployments()
      .map((deployment) => deployment.metadata.name)
      .sort();
    assert.deepEqual(names, [...wppBot.deployments].sort());
    for (const deployment of deployments()) {
      // `kubectl set image deployment/<name> <name>=<ref>` is how a roll-out swaps the image.
      assert.ok(
        deployment.spec.template.spec.containers.some((container) => container.name === deployment.metadata.name),
        `${deployment.metadata.name}: no container named after the Deployment`,
      );
    }
  });

  it('puts the recommended app.kubernetes.io labels, with valid values, on every object and pod template', () => {
    const labelled: Array<[string, Record<string, string>]> = [
      ...allObjects().map((object): [string, Record<string, string>] => [
        `${object.kind}/${object.metadata.name}`,
        labelsOf(object),
      ]),
      ...deployments().map((deployment): [string, Record<string, string>] => [
        `pod template of ${deployment.metadata.name}`,
        deployment.spec.template.metadata.labels ?? {},
      ]),
    ];
    for (const [where, labels] of labelled) {
      for (const key of RECOMMENDED_LABELS) assert.ok(labels[key], `${where}: missing label ${key}`);
      assert.equal(labels['app.kubernetes.io/part-of'], 'wpp-bot', `${where}: part-of`);
      for (const [key, value] of Object.entries(labels)) {
        assert.ok(
          value.length <= 63 && LABEL_VALUE.test(value),
          `${where}: label ${key}="${value}" is not a valid label value`,
        );
      }
    }
  });

  it('selects pods by the stable name and instance labels only, and those are a subset of the pod template labels', () => {
    for (const deployment of deployments()) {
      const selector = deployment.spec.selector.matchLabels ?? {};
      assert.equal(
        deployment.spec.selector.matchExpressions,
        undefined,
        `${deployment.metadata.name}: matchExpressions`,
      );
      assert.deepEqual(Object.keys(selector).sort(), SELECTOR_LABELS, `${deployment.metadata.name}: selector keys`);
      const templateLabels = deployment.spec.template.metadata.labels ?? {};
      for (const [key, value] of Object.entries(selector)) {
        assert.equal(
          templateLabels[key],
          value,
          `${deployment.metadata.name}: selector ${key} does not match the pod template`,
        );
      }
    }
  });

  it('gives every Deployment a distinct selector, so no two ReplicaSets fight over the same pods', () => {
    const selectors = deployments().map((deployment) => JSON.stringify(deployment.spec.selector.matchLabels));
    assert.equal(new Set(selectors).size, selectors.length);
  });

  it('pins every image, init containers included, to a digest or a tag that does not move', () => {
    const images = allContainers();
    assert.ok(images.length >= 3);
    for (const { workload, container } of images) {
      const { repository, tag, digest } = splitImage(container.image);
      assert.ok(repository, `${workload}/${container.name}: image without a repository`);
      if (digest !== undefined) {
        assert.match(digest, DIGEST, `${workload}/${container.name}: malformed digest`);
        continue;
      }
      assert.ok(tag, `${workload}/${container.name}: "${container.image}" has no tag, so it means latest`);
      assert.ok(
        !MUTABLE_TAGS.has(tag.toLowerCase()),
        `${workload}/${container.name}: "${container.image}" uses a moving tag`,
      );
    }
  });

  it('ships each app image as a sha- placeholder of the registry image that a roll-out replaces', () => {
    for (const image of wppBot.images) {
      const workload = deployments().find((deployment) => deployment.metadata.name === image.deployment);
      const container = workload?.spec.template.spec.containers.find((candidate) => candidate.name === image.container);
      assert.ok(container, `${image.deployment}/${image.container}`);
      const { repository, tag } = splitImage(container.image);
      assert.ok(
        repository.endsWith(`/${image.name}`),
        `image ${container.image} is not the registry's ${image.name} image`,
      );
      assert.match(tag ?? '', /^sha-[0-9a-f]{7,40}$/, 'the placeholder tag has the shape of the tags the build pushes');
    }
  });

  it('pins postgres to a patch release of its major version', () => {
    const postgres = allContainers().find(({ workload }) => workload === 'postgres');
    assert.ok(postgres);
    const { repository, tag } = splitImage(postgres.container.image);
    assert.equal(repository, 'postgres');
    assert.match(tag ?? '', /^\d+\.\d+(-[a-z0-9]+)?$/, `postgres tag ${tag} must name major.minor`);
  });

  it('sets CPU, memory and ephemeral-storage requests and limits on every container, with requests at most the limits', () => {
    for (const { workload, container } of allContainers()) {
      const where = `${workload}/${container.name}`;
      const requests = container.resources?.requests ?? {};
      const limits = container.resources?.limits ?? {};
      for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
        assert.ok(requests[resource] !== undefined, `${where}: no ${resource} request`);
        assert.ok(limits[resource] !== undefined, `${where}: no ${resource} limit`);
      }
      for (const [resource, request] of Object.entries(requests)) {
        const limit = limits[resource];
        assert.ok(limit !== undefined, `${where}: ${resource} requested but not limited`);
        assert.ok(
          parseQuantity(request) <= parseQuantity(limit),
          `${where}: ${resource} request ${request} exceeds limit ${limit}`,
        );
        assert.ok(parseQuantity(request) > 0, `${where}: ${resource} request must be positive`);
      }
    }
  });

  it('gives every container a startup, a readiness and a different liveness probe, each aimed at a declared port', () => {
    for (const { workload, container } of allContainers()) {
      const where = `${workload}/${container.name}`;
      const { readinessProbe, livenessProbe, startupProbe } = container;
      assert.ok(readinessProbe, `${where}: no readinessProbe`);
      assert.ok(livenessProbe, `${where}: no livenessProbe`);
      assert.ok(startupProbe, `${where}: no startupProbe (liveness would kill a slow boot)`);
      assert.notDeepEqual(
        { ...readinessProbe, periodSeconds: undefined, failureThreshold: undefined, timeoutSeconds: undefined },
        { ...livenessProbe, periodSeconds: undefined, failureThreshold: undefined, timeoutSeconds: undefined },
        `${where}: readiness and liveness check the same thing`,
      );
      for (const [kind, probe] of [
        ['readiness', readinessProbe],
        ['liveness', livenessProbe],
        ['startup', startupProbe],
      ] as const) {
        const target = probeTarget(probe);
        if (target === undefined) {
          assert.ok(probe.exec?.command.length, `${where}: ${kind} probe has no handler`);
          continue;
        }
        assert.ok(
          containerDeclaresPort(container, target),
          `${where}: ${kind} probe targets undeclared port ${target}`,
        );
      }
      const bootBudgetSeconds = (startupProbe.periodSeconds ?? 10) * (startupProbe.failureThreshold ?? 3);
      assert.ok(bootBudgetSeconds >= 60, `${where}: startup probe allows only ${bootBudgetSeconds}s to boot`);
    }
  });

  it('probes the HTTP services at /health/ready and /health/live on the named http port', () => {
    for (const name of ['wpp-bot', 'dashboard']) {
      const container = allContainers().find(({ workload }) => workload === name)?.container;
      assert.ok(container, name);
      assert.deepEqual(container.readinessProbe?.httpGet, { path: '/health/ready', port: 'http' });
      assert.deepEqual(container.livenessProbe?.httpGet, { path: '/health/live', port: 'http' });
      assert.deepEqual(container.startupProbe?.httpGet, { path: '/health/live', port: 'http' });
    }
  });

  it('runs every pod as a numeric non-root user with the RuntimeDefault seccomp profile', () => {
    for (const deployment of deployments()) {
      const context = deployment.spec.template.spec.securityContext;
      const where = deployment.metadata.name;
      assert.equal(context?.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.ok(
        Number.isInteger(context?.runAsUser) && (context?.runAsUser ?? 0) > MIN_NON_HOST_ID,
        `${where}: runAsUser ${context?.runAsUser}`,
      );
      assert.ok(
        Number.isInteger(context?.runAsGroup) && (context?.runAsGroup ?? 0) > MIN_NON_HOST_ID,
        `${where}: runAsGroup ${context?.runAsGroup}`,
      );
      assert.equal(context?.seccompProfile?.type, 'RuntimeDefault', `${where}: seccompProfile`);
    }
  });

  it('locks down every container: no privilege escalation, all capabilities dropped, read-only root with an emptyDir /tmp', () => {
    for (const { workload, container, pod } of allContainers()) {
      const where = `${workload}/${container.name}`;
      const context = container.securityContext;
      assert.ok(context, `${where}: no securityContext`);
      assert.equal(context.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      assert.notEqual(context.privileged, true, `${where}: privileged`);
      assert.ok(context.capabilities?.drop?.includes('ALL'), `${where}: capabilities.drop must include ALL`);
      for (const added of context.capabilities?.add ?? [])
        assert.equal(added, 'NET_BIND_SERVICE', `${where}: adds capability ${added}`);
      assert.equal(context.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
      if (context.runAsUser !== undefined) assert.ok(context.runAsUser > 0, `${where}: runAsUser 0`);
      if (context.runAsNonRoot !== undefined) assert.equal(context.runAsNonRoot, true, `${where}: runAsNonRoot`);
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      assert.ok(tmp, `${where}: a read-only root needs a writable /tmp`);
      assert.ok(
        pod.volumes?.find((volume) => volume.name === tmp.name)?.emptyDir,
        `${where}: /tmp must be an emptyDir`,
      );
    }
  });

  it('gives Postgres a writable emptyDir for its socket directory', () => {
    const postgres = allContainers().find(({ workload }) => workload === 'postgres');
    assert.ok(postgres);
    const socket = postgres.container.volumeMounts?.find((mount) => mount.mountPath === '/var/run/postgresql');
    assert.ok(socket);
    assert.ok(postgres.pod.volumes?.find((volume) => volume.name === socket.name)?.emptyDir);
  });

  it('asks for no host access: no host network, PID or IPC namespace, no host ports, only restricted volume types', () => {
    for (const deployment of deployments()) {
      const spec = deployment.spec.template.spec;
      const where = deployment.metadata.name;
      assert.notEqual(spec.hostNetwork, true, `${where}: hostNetwork`);
      assert.notEqual(spec.hostPID, true, `${where}: hostPID`);
      assert.notEqual(spec.hostIPC, true, `${where}: hostIPC`);
      for (const container of containersOf(spec)) {
        for (const port of container.ports ?? [])
          assert.equal(port.hostPort, undefined, `${where}/${container.name}: hostPort`);
      }
      for (const volume of spec.volumes ?? []) {
        const types = Object.keys(volume).filter((key) => key !== 'name');
        assert.equal(types.length, 1, `${where}: volume ${volume.name} must have exactly one type`);
        assert.ok(
          RESTRICTED_VOLUME_TYPES.has(types[0] ?? ''),
          `${where}: volume ${volume.name} is of type ${types[0]}`,
        );
      }
    }
  });

  it('mounts only volumes the pod declares, and declares none it does not mount', () => {
    for (const { workload, container, pod } of allContainers()) {
      for (const mount of container.volumeMounts ?? []) {
        assert.ok(
          pod.volumes?.some((volume) => volume.name === mount.name),
          `${workload}/${container.name}: mounts undeclared volume ${mount.name}`,
        );
      }
    }
    for (const deployment of deployments()) {
      const spec = deployment.spec.template.spec;
      for (const volume of spec.volumes ?? []) {
        assert.ok(
          containersOf(spec).some((container) => mountOf(container, volume.name)),
          `${deployment.metadata.name}: volume ${volume.name} is never mounted`,
        );
      }
    }
  });

  it('runs every pod under its own existing ServiceAccount with no API token mounted', () => {
    const accounts = objectsOfKind('ServiceAccount');
    const used = new Set<string>();
    for (const deployment of deployments()) {
      const spec = deployment.spec.template.spec;
      const where = deployment.metadata.name;
      assert.ok(
        spec.serviceAccountName && spec.serviceAccountName !== 'default',
        `${where}: uses the namespace's default ServiceAccount`,
      );
      assert.ok(
        accounts.some((account) => account.metadata.name === spec.serviceAccountName),
        `${where}: ServiceAccount ${spec.serviceAccountName} is not declared`,
      );
      assert.ok(!used.has(spec.serviceAccountName), `${where}: shares ServiceAccount ${spec.serviceAccountName}`);
      used.add(spec.serviceAccountName);
      assert.equal(spec.automountServiceAccountToken, false, `${where}: automountServiceAccountToken`);
    }
    for (const account of accounts) {
      assert.equal(
        account.automountServiceAccountToken,
        false,
        `ServiceAccount ${account.metadata.name}: automountServiceAccountToken`,
      );
    }
  });

  it('turns off Service environment links, which would inject POSTGRES_PORT=tcp://… over the real settings', () => {
    for (const deployment of deployments()) {
      assert.equal(deployment.spec.template.spec.enableServiceLinks, false, deployment.metadata.name);
    }
  });

  it('keeps the single-writer workloads at one replica with the Recreate strategy', () => {
    for (const name of ['wpp-bot', 'postgres']) {
      const deployment = deployments().find((candidate) => candidate.metadata.name === name);
      assert.equal(deployment?.spec.replicas, 1, `${name}: replicas`);
      assert.equal(deployment?.spec.strategy?.type, 'Recreate', `${name}: strategy`);
    }
  });

  it('rolls the stateless dashboard without downtime', () => {
    const dashboard = deployments().find((candidate) => candidate.metadata.name === 'dashboard');
    assert.equal(dashboard?.spec.strategy?.type, 'RollingUpdate');
    assert.deepEqual((dashboard?.spec.strategy as { rollingUpdate?: unknown } | undefined)?.rollingUpdate, {
      maxUnavailable: 0,
      maxSurge: 1,
    });
  });

  it('justifies every scanner exception in writing', () => {
    let exceptions = 0;
    for (const object of allObjects()) {
      const annotations = object.metadata.annotations ?? {};
      for (const [key, value] of Object.entries(annotations)) {
        if (key.startsWith('ignore-check.kube-linter.io/')) {
          exceptions++;
          assert.ok(
            value.trim().length >= 20,
            `${object.kind}/${object.metadata.name}: ${key} needs a reason as its value`,
          );
        }
        if (key === 'kube-score/ignore') {
          exceptions++;
          assert.match(
            value,
            /^[a-z-]+(,[a-z-]+)*$/,
            `${object.kind}/${object.metadata.name}: kube-score/ignore is a comma-separated list of check ids`,
          );
          const reason = annotations['deckhand/kube-score-ignore-reason'] ?? '';
          assert.ok(
            reason.trim().length >= 40,
            `${object.kind}/${object.metadata.name}: kube-score/ignore without deckhand/kube-score-ignore-reason`,
          );
        }
      }
    }
    assert.ok(exceptions > 0, 'the single-replica Deployments carry their exceptions');
  });
});
