import assert from 'node:assert/strict';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { lkeKubeconfig } from '../../../test/support/linode-api-server.ts';
import {
  currentEntry,
  kubeconfigSecrets,
  mergeIntoDefault,
  mergeKubeconfigs,
  writeIfChanged,
} from './kubeconfig-file.ts';
import { parseClusterId } from './kubeconfig.ts';
import { tempDirs } from '../../../test/support/temp.ts';

const tempDir = tempDirs('kubeconfig');

const mode = (file: string) => statSync(file).mode & 0o777;
const LKE = lkeKubeconfig({
  clusterId: 424242,
  server: 'https://0b9a3c11.us-east-2-gw.linodelke.net:443',
  token: 'lke-admin-token-0123456789',
});
const EXISTING = [
  'apiVersion: v1',
  'kind: Config',
  'current-context: kind-dev',
  'clusters:',
  '- name: kind-dev',
  '  cluster: { server: "https://127.0.0.1:6443" }',
  '- name: lke424242',
  '  cluster: { server: "https://stale.example:443" }',
  'users:',
  '- name: kind-dev',
  '  user: { token: dev }',
  'contexts:',
  '- name: kind-dev',
  '  context: { cluster: kind-dev, user: kind-dev }',
  '',
].join('\n');

describe('reading a downloaded kubeconfig', () => {
  it('finds the current context, its cluster and API server, and the credentials to mask', () => {
    assert.deepEqual(currentEntry(LKE), {
      context: 'lke424242-ctx',
      cluster: 'lke424242',
      server: 'https://0b9a3c11.us-east-2-gw.linodelke.net:443',
    });
    assert.deepEqual(kubeconfigSecrets(LKE), ['lke-admin-token-0123456789']);
    assert.throws(() => currentEntry('apiVersion: v1\nkind: Config\n'), /no usable context/);
  });

  it('accepts only a numeric --cluster-id', () => {
    assert.equal(parseClusterId('424242'), 424242);
    for (const bad of ['abc', '-1', '0', '12.5', '--kubeconfig=/x'])
      assert.throws(() => parseClusterId(bad), /numeric id/);
  });
});

describe('writing the kubeconfig file', () => {
  it('creates it 0600 in a new 0700 folder, then leaves it alone while the content is the same', () => {
    const file = path.join(tempDir(), '.kube', 'deckhand-kubeconfig.yaml');
    assert.equal(writeIfChanged(file, LKE, { dryRun: false }), 'created');
    assert.equal(mode(file), 0o600);
    assert.equal(mode(path.dirname(file)), 0o700);
    const written = statSync(file).mtimeMs;
    assert.equal(writeIfChanged(file, LKE, { dryRun: false }), 'unchanged');
    assert.equal(statSync(file).mtimeMs, written);
    assert.equal(writeIfChanged(file, `${LKE}# rotated\n`, { dryRun: false }), 'updated');
    assert.equal(readFileSync(file, 'utf8'), `${LKE}# rotated\n`);
    assert.deepEqual(readdirSync(path.dirname(file)), ['deckhand-kubeconfig.yaml'], 'no temp file is left behind');
  });

  it('tightens the mode of an unchanged file that others could read', () => {
    const file = path.join(tempDir(), 'k.yaml');
    writeFileSync(file, LKE, { mode: 0o644 });
    chmodSync(file, 0o644);
    assert.equal(writeIfChanged(file, LKE, { dryRun: false }), 'permissions fixed');
    assert.equal(mode(file), 0o600);
  });

  it('writes nothing in a dry run', () => {
    const file = path.join(tempDir(), 'sub', 'k.yaml');
    assert.equal(writeIfChanged(file, LKE, { dryRun: true }), 'created');
    assert.throws(() => statSync(path.dirname(file)), /ENOENT/);
  });
});

describe('--merge into ~/.kube/config', () => {
  it('merges clusters, users and contexts by name and keeps the current context', () => {
    const merged = mergeKubeconfigs(EXISTING, LKE);
    assert.deepEqual(
      merged.clusters!.map((entry) => [entry.name, entry.cluster?.server]),
      [
        ['kind-dev', 'https://127.0.0.1:6443'],
        ['lke424242', 'https://0b9a3c11.us-east-2-gw.linodelke.net:443'],
      ],
    );
    assert.deepEqual(
      merged.users!.map((entry) => entry.name),
      ['kind-dev', 'lke424242-admin'],
    );
    assert.deepEqual(
      merged.contexts!.map((entry) => entry.name),
      ['kind-dev', 'lke424242-ctx'],
    );
    assert.equal(merged['current-context'], 'kind-dev');
    assert.equal(mergeKubeconfigs(undefined, LKE)['current-context'], 'lke424242-ctx');
  });

  it('backs up the previous file with a timestamp, and changes nothing the second time', () => {
    const file = path.join(tempDir(), 'config');
    writeFileSync(file, EXISTING, { mode: 0o600 });
    const first = mergeIntoDefault(file, LKE, { dryRun: false, now: new Date('2026-03-04T05:06:07.890Z') });
    assert.equal(first.outcome, 'updated');
    assert.equal(first.backup, `${file}.backup-2026-03-04T05-06-07-890Z`);
    assert.equal(readFileSync(first.backup!, 'utf8'), EXISTING);
    assert.equal(mode(first.backup!), 0o600);
    assert.equal(mode(file), 0o600);
    assert.equal((parseYaml(readFileSync(file, 'utf8')) as { contexts: unknown[] }).contexts.length, 2);

    const second = mergeIntoDefault(file, LKE, { dryRun: false, now: new Date('2026-03-04T05:07:00Z') });
    assert.deepEqual(second, { file, outcome: 'unchanged' });
    assert.equal(readdirSync(path.dirname(file)).length, 2, 'no second backup');
  });

  it('creates ~/.kube/config without a backup when there was none', () => {
    const file = path.join(tempDir(), '.kube', 'config');
    const result = mergeIntoDefault(file, LKE, { dryRun: false });
    assert.deepEqual(result, { file, outcome: 'created', backup: undefined });
    assert.equal(mode(file), 0o600);
  });
});
