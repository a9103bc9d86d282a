/**
 * The test bed for `deploy wpp-bot` and the service commands: the deploy bed (simulated cluster, sandbox with the real
 * kubectl, a clean git work tree, its own env, output and state folders) plus the wpp-bot inputs, and readers of
 * what the simulated cluster holds: the Deployments with their generation, revision and images, and the revisions.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject } from '../../kube-sim/index.ts';
import { createDeployBed, type DeployBed } from '../support/deploy-bed.ts';
import { runCli, type CliResult } from '../support/cli.ts';

export const NS = 'wpp-bot';

export const WPP_BOT_INPUTS = {
  ELEVENLABS_API_KEY: 'sk_canary_elevenlabs_0123456789',
  JWT_SECRET: 'jwt-canary-0123456789abcdef0123456789abcdef',
  POSTGRES_PASSWORD: 'pg-canary-0123456789abcdef',
} as const;

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const DIGEST_C = `sha256:${'c'.repeat(64)}`;

/** `--image` values for both images: existing references, so no docker is needed. */
export function givenImages(tag: string, digest = DIGEST_A): string[] {
  return [
    '--image',
    `registry.example:5000/tests/wpp-bot:${tag}@${digest}`,
    '--image',
    `registry.example:5000/tests/wpp-bot-dashboard:${tag}@${DIGEST_B}`,
  ];
}

export interface ServiceBed extends DeployBed {
  /** The bed's environment with the wpp-bot inputs and its own state folder. */
  serviceEnv: NodeJS.ProcessEnv;
  stateRoot: string;
  deploy(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  cli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  deployment(name: string): Deployment;
  /** name → generation, for every Deployment of the namespace. */
  generations(): Record<string, number>;
  /** Revisions of a Deployment, oldest first: [revision, image, change-cause]. */
  revisions(name: string): [number, string, string][];
  /** The roll-out records written so far, oldest first. */
  records(): Promise<Record<string, any>[]>;
}

export interface Deployment extends KubeObject {
  spec: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: { name: string; image: string }[] };
    };
  };
  status: { availableReplicas?: number; observedGeneration?: number };
}

export async function createServiceBed(): Promise<ServiceBed> {
  const bed = await createDeployBed();
  const stateRoot = path.join(bed.dir, 'state');
  const serviceEnv = { ...bed.env, ...WPP_BOT_INPUTS, DECKHAND_STATE_ROOT: stateRoot };
  const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { env: { ...serviceEnv, ...env }, timeoutMs: 90_000 });
  const deployment = (name: string): Deployment => {
    const found = bed.sim.get<Deployment>('apps/v1', 'Deployment', NS, name);
    assert.ok(found, `Deployment ${name} exists`);
    return found;
  };
  return {
    ...bed,
    serviceEnv,
    stateRoot,
    cli,
    deploy: (args, env) => cli(['deploy', 'wpp-bot', ...args], env),
    deployment,
    generations: () =>
      Object.fromEntries(
        bed.sim
          .list('apps/v1', 'Deployment', NS)
          .map((item) => [item.metadata.name ?? '', item.metadata.generation ?? 0]),
      ),
    revisions: (name) =>
      bed.sim
        .list<KubeObject & { spec: Deployment['spec'] }>('apps/v1', 'ReplicaSet', NS)
        .filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.name === name))
        .map((rs): [number, string, string] => [
          Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision']),
          rs.spec.template.spec.containers[0]!.image,
          rs.metadata.annotations?.['kubernetes.io/change-cause'] ?? '',
        ])
        .sort((a, b) => a[0] - b[0]),
    records: async () => {
      const dir = path.join(stateRoot, '.deckhand', 'rollouts', 'wpp-bot');
      const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.json')).sort();
      return Promise.all(
        files.map(async (file) => JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Record<string, any>),
      );
    },
  };
}

/** The image a Deployment's first container runs now. */
export function imageOf(bed: ServiceBed, name: string): string {
  return bed.deployment(name).spec.template.spec.containers[0]!.image;
}
