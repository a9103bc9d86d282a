/**
 * The real kubectl (v1.34.5, test/support/binaries.ts) reading k8s/wpp-bot with no cluster at all.
 *
 * `kubectl apply --dry-run=client` is not usable here: it still asks the API server for discovery (the REST mapping of
 * each kind) and fails with "connection refused" without one. The `--local` mode of `annotate` and `set image` needs
 * no server, so it is used instead:
 * - `annotate --local -f <dir>` reads the folder exactly as `kubectl apply -f <dir>` does (same file walk, same YAML
 *   1.1 decoder). Comparing its objects with the `yaml` package's (YAML 1.2) catches values the two read differently
 *   (`0440`, `on`, `y`, `1e3`), which would make the tests check something other than what gets applied.
 * - `set image --local` decodes each Deployment into the typed apps/v1 struct (a string where an int belongs fails)
 *   and proves the roll-out's image swap finds the container.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { wppBot } from '../../scripts/apps/wpp-bot.ts';
import { createJsonStreamSplitter } from '../../scripts/lib/json-stream.ts';
import { ensureKubeBinaries, REPO_ROOT } from '../support/binaries.ts';
import {
  allObjects,
  deployments,
  MANIFEST_DIR,
  parseManifestText,
  type Deployment,
  type KubeObject,
} from './wpp-bot-manifests.ts';

const KUBECTL_TIMEOUT_MS = 20_000;
const MARKER = 'deckhand.test/read-by';
const NEW_IMAGE = `ghcr.io/acme/wpp-bot@sha256:${'0123456789abcdef'.repeat(4)}`;

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

let kubectlPath = '';
let home = '';

/** Runs kubectl with an empty HOME and no KUBECONFIG, so no real cluster can ever be contacted. */
function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlPath,
      [...args],
      {
        cwd: REPO_ROOT,
        env: { HOME: home, PATH: '/usr/bin:/bin' },
        timeout: KUBECTL_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

function splitJsonDocuments(text: string): KubeObject[] {
  const documents: KubeObject[] = [];
  createJsonStreamSplitter((document) => documents.push(document as KubeObject)).write(text);
  return documents;
}

/** Reads manifests with kubectl's decoder and drops the marker annotation it was asked to add. */
async function readWithKubectl(filename: string, input?: string): Promise<KubeObject[]> {
  const result = await kubectl(
    ['annotate', '--local', '--filename', filename, '--output', 'json', `${MARKER}=kubectl`],
    input,
  );
  assert.equal(result.code, 0, result.stderr);
  return splitJsonDocuments(result.stdout).map((object) => {
    const { annotations = {}, ...rest } = object.metadata;
    const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => key !== MARKER));
    return { ...object, metadata: Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : rest };
  });
}

describe('k8s/wpp-bot read by the real kubectl, offline', () => {
  before(async () => {
    kubectlPath = (await ensureKubeBinaries()).kubectl;
    home = await mkdtemp(path.join(os.tmpdir(), 'deckhand-manifests-home-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('reads every object of the folder, in apply order, exactly as the tests parse them', async () => {
    const fromKubectl = await readWithKubectl(wppBot.manifests);
    assert.deepEqual(fromKubectl, allObjects());
  });

  it('notices when YAML 1.1 (kubectl) and YAML 1.2 (the tests) read a value differently', async () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: probe',
      '  namespace: wpp-bot',
      'x-mode: 0440',
      '',
    ].join('\n');
    const ours = parseManifestText(text, 'inline');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-yaml11-'));
    try {
      await writeFile(path.join(dir, 'probe.yaml'), text);
      const theirs = await readWithKubectl(path.join(dir, 'probe.yaml'));
      assert.equal(ours[0]?.['x-mode'], 440, 'YAML 1.2 reads 0440 as decimal');
      assert.equal(theirs[0]?.['x-mode'], 288, 'kubectl reads 0440 as octal');
      assert.notDeepEqual(theirs, ours);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('decodes every Deployment into the typed apps/v1 struct and swaps its image by container name', async () => {
    for (const deployment of deployments()) {
      const name = deployment.metadata.name;
      const result = await kubectl(
        ['set', 'image', '--local', '--filename', '-', '--output', 'json', `${name}=${NEW_IMAGE}`],
        stringify(deployment),
      );
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      const updated = JSON.parse(result.stdout) as Deployment;
      const images = Object.fromEntries(
        updated.spec.template.spec.containers.map((container) => [container.name, container.image]),
      );
      assert.equal(images[name], NEW_IMAGE, `${name}: image not replaced`);
    }
  });

  it('refuses a Deployment whose port is a string, proving the typed decode checks types', async () => {
    const [deployment] = deployments();
    assert.ok(deployment);
    const broken = structuredClone(deployment) as unknown as {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
    };
    const port = broken.spec.template.spec.containers[0]?.ports[0];
    assert.ok(port);
    port.containerPort = String(port.containerPort);
    const result = await kubectl(
      ['set', 'image', '--local', '--filename', '-', '--output', 'json', `${deployment.metadata.name}=${NEW_IMAGE}`],
      stringify(broken),
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot unmarshal string into Go struct field ContainerPort/);
  });

  it('cannot run a client dry-run apply without a cluster (why --local is used above)', async () => {
    // A kubeconfig aimed at a closed port: the dry-run fails on discovery, before it reads a single object.
    const kubeconfig = path.join(home, 'unreachable.yaml');
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'none', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'none', user: { token: 'unused' } }],
        contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
        'current-context': 'none',
      }),
    );
    const result = await kubectl([
      'apply',
      '--dry-run=client',
      '--validate=false',
      '--kubeconfig',
      kubeconfig,
      '--filename',
      path.relative(REPO_ROOT, MANIFEST_DIR),
      '--output',
      'json',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /connection refused/);
  });
});
