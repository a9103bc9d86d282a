/**
 * Static checks of the sample apps' images. The images themselves cannot be built on this machine (the base image
 * cannot be pulled without the internet), so this reads each Dockerfile, .dockerignore and lock file and holds them
 * to what the manifests and the chart expect.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order: comments dropped, backslash-continued lines joined. */
function instructions(dockerfile: string): Instruction[] {
  const logical = dockerfile
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

interface ImageUse {
  /** The image the manifests run, without tag. */
  image: string;
  ports: number[];
  user: { uid: number; gid: number };
}

interface DeploymentDocument {
  kind?: string;
  metadata?: { name?: string };
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser: number; runAsGroup: number };
        containers: Array<{ image: string; ports: Array<{ containerPort: number }> }>;
      };
    };
  };
}

/** How a Deployment of a multi-document manifest file runs its image. */
function deploymentUse(manifest: string, name: string): ImageUse {
  const documents = parseAllDocuments(readFileSync(path.join(ROOT, manifest), 'utf8')).map(
    (document) => document.toJS() as DeploymentDocument,
  );
  const deployment = documents.find((document) => document.kind === 'Deployment' && document.metadata?.name === name);
  assert.ok(deployment, `no Deployment ${name} in ${manifest}`);
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  assert.ok(container);
  return {
    image: container.image.split(':')[0]!,
    ports: container.ports.map((port) => port.containerPort),
    user: { uid: pod.securityContext.runAsUser, gid: pod.securityContext.runAsGroup },
  };
}

/** How the kubernetes-job chart runs caelundas: values.yaml, then base.yaml, then the app's file (later wins). */
function chartUse(): ImageUse {
  const layers = [
    'charts/kubernetes-job/values.yaml',
    'charts/kubernetes-job/values/base.yaml',
    'charts/kubernetes-job/values/caelundas-production.yaml',
  ].map(
    (file) =>
      (parse(readFileSync(path.join(ROOT, file), 'utf8')) ?? {}) as {
        image?: { repository?: string };
        podSecurityContext?: { runAsUser?: number; runAsGroup?: number };
      },
  );
  const last = <T>(pick: (layer: (typeof layers)[number]) => T | undefined): T =>
    layers.reduce<T | undefined>((found, layer) => pick(layer) ?? found, undefined)!;
  return {
    image: last((layer) => layer.image?.repository),
    ports: [],
    user: {
      uid: last((layer) => layer.podSecurityContext?.runAsUser),
      gid: last((layer) => layer.podSecurityContext?.runAsGroup),
    },
  };
}

/** A .dockerignore pattern as Docker reads it (a path relative to the context; * matches within one path part). */
function ignores(patterns: string[], file: string): boolean {
  return patterns.some((pattern) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`).test(file),
  );
}

const apps: Array<ImageUse & { folder: string }> = [
  { folder: 'caelundas', ...chartUse() },
  { folder: 'wpp-bot', ...deploymentUse('k8s/wpp-bot/40-wpp-bot.yaml', 'wpp-bot') },
  { folder: 'wpp-bot-dashboard', ...deploymentUse('k8s/wpp-bot/50-dashboard.yaml', 'dashboard') },
];

for (const app of apps) {
  const dir = path.join(ROOT, 'applications', app.folder);
  const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const steps = instructions(dockerfile);
  const stages = steps.map((step, index) => ({ step, index })).filter(({ step }) => step.keyword === 'FROM');

  describe(`applications/${app.folder}/Dockerfile`, () => {
    it('is multi-stage, and every FROM pins its base image by sha256 digest, never "latest"', () => {
      assert.ok(stages.length >= 2, 'a single stage');
      for (const { step } of stages) {
        assert.match(step.args, /^node:24[\w.-]*@sha256:[0-9a-f]{64} AS \w+$/, `FROM ${step.args}`);
      }
      assert.doesNotMatch(dockerfile, /:latest\b/);
      // Where the digest came from, and that it must be refreshed, is written beside it.
      assert.match(dockerfile, /docker-library\/repo-info/);
      assert.match(dockerfile, /refresh it regularly/);
    });

    it(`runs the last stage as the numeric non-root user of the manifest (${app.user.uid}:${app.user.gid})`, () => {
      const lastStage = steps.slice(stages.at(-1)!.index);
      const users = lastStage.filter((step) => step.keyword === 'USER').map((step) => step.args);
      assert.deepEqual(users, [`${app.user.uid}:${app.user.gid}`]);
      assert.ok(app.user.uid > 0 && app.user.gid > 0);
    });

    it('installs from the committed lock file without devDependencies and copies only what it runs', () => {
      assert.ok(steps.some((step) => step.keyword === 'COPY' && step.args === 'package.json package-lock.json ./'));
      assert.ok(steps.some((step) => step.keyword === 'RUN' && /^npm ci --omit=dev\b/.test(step.args)));
      const cmd = steps.filter((step) => step.keyword === 'CMD').at(-1);
      const [, script] = JSON.parse(cmd?.args ?? '[]') as string[];
      assert.equal(JSON.parse(cmd!.args)[0], 'node');
      assert.ok(script && existsSync(path.join(dir, script)), `CMD runs ${script}, which does not exist`);
      // The toolkit adds the OCI labels at build time.
      assert.ok(!steps.some((step) => step.keyword === 'LABEL'));
      const exposed = steps.filter((step) => step.keyword === 'EXPOSE').map((step) => Number(step.args));
      assert.deepEqual(exposed, app.ports);
    });

    it('keeps node_modules and .env files out of the build context', () => {
      const patterns = readFileSync(path.join(dir, '.dockerignore'), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      for (const file of ['node_modules', 'node_modules/pg/package.json', '.env', '.env.production', '.env.wpp-bot'])
        assert.ok(ignores(patterns, file), `${file} is not ignored`);
      for (const file of ['package.json', 'package-lock.json', 'src/main.ts'])
        assert.ok(!ignores(patterns, file), `${file} is ignored but the Dockerfile copies it`);
    });

    it('has a package.json with a version (the image tag) and a lock file that matches it', () => {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        dependencies?: Record<string, string>;
      };
      const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
        name: string;
        version: string;
        lockfileVersion: number;
        packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
      };
      assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
      assert.equal(manifest.name, app.folder);
      assert.equal(app.image.split('/').at(-1), app.folder, `the manifests run ${app.image}, an image of another name`);
      assert.deepEqual([lock.name, lock.version, lock.lockfileVersion], [manifest.name, manifest.version, 3]);
      assert.deepEqual(lock.packages['']?.dependencies ?? {}, manifest.dependencies ?? {});
    });
  });
}

describe('the root devDependency pg that the tests run wpp-bot with', () => {
  it('is the version locked in applications/wpp-bot', () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'applications/wpp-bot/package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const installed = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/pg/package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(installed.version, lock.packages['node_modules/pg']?.version);
  });
});
