/**
 * The terraform configuration, read with HashiCorp's own HCL parser (hcl2json as WebAssembly) — no terraform binary
 * or provider registry is needed — and checked against the rules in docs/terraform.md.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from '@cdktn/hcl2json';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');

type Block = Record<string, unknown>;
interface Configuration {
  terraform: Block[];
  provider: Record<string, Block[]>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  resource: Record<string, Record<string, Block[]>>;
  locals: Block[];
}

let config: Configuration;

async function parseFile(file: string): Promise<Record<string, unknown>> {
  return (await parse(path.basename(file), readFileSync(file, 'utf8'))) as Record<string, unknown>;
}

/** Merges the files of the module the way terraform sees them: one namespace per block type. */
async function loadModule(dir: string): Promise<Configuration> {
  const merged: Configuration = { terraform: [], provider: {}, variable: {}, output: {}, resource: {}, locals: [] };
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort()) {
    const parsed = await parseFile(path.join(dir, name));
    merged.terraform.push(...((parsed.terraform as Block[] | undefined) ?? []));
    merged.locals.push(...((parsed.locals as Block[] | undefined) ?? []));
    Object.assign(merged.provider, parsed.provider ?? {});
    Object.assign(merged.variable, parsed.variable ?? {});
    Object.assign(merged.output, parsed.output ?? {});
    for (const [type, byName] of Object.entries((parsed.resource as Configuration['resource'] | undefined) ?? {})) {
      merged.resource[type] = { ...merged.resource[type], ...byName };
    }
  }
  return merged;
}

function only<T>(blocks: T[] | undefined, what: string): T {
  assert.ok(blocks && blocks.length === 1, `exactly one ${what}`);
  return blocks[0]!;
}

function variable(name: string): Block {
  return only(config.variable[name], `variable "${name}"`);
}

function resource(type: string, name: string): Block {
  return only(config.resource[type]?.[name], `resource ${type}.${name}`);
}

before(async () => {
  config = await loadModule(TERRAFORM_DIR);
});

describe('the terraform configuration', () => {
  it('keeps the conventional file roles and parses as HCL, examples included', async () => {
    const files = readdirSync(TERRAFORM_DIR);
    for (const name of [
      'versions.tf',
      'providers.tf',
      'main.tf',
      'variables.tf',
      'outputs.tf',
      'terraform.tfvars.example',
    ])
      assert.ok(files.includes(name), name);
    for (const example of files.filter((name) => name.endsWith('.example'))) {
      await assert.doesNotReject(parseFile(path.join(TERRAFORM_DIR, example)), example);
    }
  });

  it('pins terraform and both providers to a major version', () => {
    const settings = only(config.terraform, 'terraform block');
    assert.match(String(settings.required_version), />=\s*1\.9[.\d]*\s*,\s*<\s*2/);
    const providers = only(settings.required_providers as Block[], 'required_providers') as Record<
      string,
      { source: string; version: string }
    >;
    assert.deepEqual(Object.keys(providers).sort(), ['linode', 'local']);
    assert.equal(providers.linode!.source, 'linode/linode');
    assert.match(providers.linode!.version, /^~>\s*3\.\d+$/);
    assert.equal(providers.local!.source, 'hashicorp/local');
    assert.match(providers.local!.version, /^~>\s*2\.\d+$/);
  });

  it('takes the Linode token only from a sensitive variable without a default', () => {
    const token = variable('linode_token');
    assert.equal(token.type, '${string}');
    assert.equal(token.sensitive, true);
    assert.ok(!('default' in token), 'no default for the token');
    const provider = only(config.provider.linode, 'provider "linode"');
    assert.equal(provider.token, '${var.linode_token}');
  });

  it('types and describes every variable, and gives no secret a default', () => {
    for (const [name, blocks] of Object.entries(config.variable)) {
      const block = only(blocks, `variable "${name}"`);
      assert.match(String(block.type ?? ''), /^\$\{.+\}$/, `${name} has a type`);
      assert.ok(typeof block.description === 'string' && block.description.length > 20, `${name} is described`);
      if (/token|password|secret|key/i.test(name)) assert.ok(!('default' in block), `${name} has no default`);
      if (typeof block.default === 'string')
        assert.doesNotMatch(block.default, /^[a-f0-9]{32,}$/i, `${name}'s default looks like a token`);
    }
  });

  it('describes every output and marks the kubeconfig sensitive', () => {
    for (const [name, blocks] of Object.entries(config.output)) {
      const block = only(blocks, `output "${name}"`);
      assert.ok(typeof block.description === 'string' && block.description.length > 10, `${name} is described`);
      if (/kubeconfig|token/.test(name) && name !== 'kubeconfig_path')
        assert.equal(block.sensitive, true, `${name} is sensitive`);
    }
    for (const name of [
      'cluster_id',
      'cluster_label',
      'api_endpoints',
      'kubeconfig_path',
      'dashboard_url',
      'kubeconfig',
    ])
      assert.ok(config.output[name], `output ${name}`);
    assert.equal(only(config.output.kubeconfig, 'output kubeconfig').value, '${linode_lke_cluster.this.kubeconfig}');
  });

  it('writes the kubeconfig with local_sensitive_file, file 0600 in a 0700 folder', () => {
    assert.equal(
      config.resource.local_file,
      undefined,
      'local_file writes 0777 by default and shows its content in plans',
    );
    const file = resource('local_sensitive_file', 'kubeconfig');
    assert.equal(file.file_permission, '0600');
    assert.equal(file.directory_permission, '0700');
    assert.equal(file.content_base64, '${linode_lke_cluster.this.kubeconfig}');
  });

  it('defines an autoscaled LKE pool whose bounds are validated against each other', () => {
    const cluster = resource('linode_lke_cluster', 'this');
    assert.equal(cluster.k8s_version, '${var.k8s_version}');
    assert.equal(cluster.region, '${var.region}');
    assert.equal(cluster.tags, '${var.tags}');
    const pool = only(cluster.pool as Block[], 'pool');
    assert.equal(pool.type, '${var.node_type}');
    assert.equal(pool.count, '${var.node_count}');
    assert.deepEqual(only(pool.autoscaler as Block[], 'autoscaler'), {
      min: '${var.node_min}',
      max: '${var.node_max}',
    });

    const rule = (name: string) =>
      String(only(variable(name).validation as Block[], `validation of ${name}`).condition);
    assert.match(rule('node_min'), /var\.node_min >= 1/);
    assert.match(rule('node_max'), /var\.node_max >= var\.node_min/);
    assert.match(rule('node_max'), /var\.node_max <= 100/);
    assert.match(rule('node_count'), /var\.node_count == null/);
    assert.equal(variable('node_count').default, null);
  });

  it('validates labels, region, version and node type, with the documented defaults', () => {
    assert.equal(variable('k8s_version').default, '1.34');
    assert.equal(variable('region').default, 'us-east');
    for (const name of ['cluster_label', 'region', 'k8s_version', 'node_type', 'volume_label']) {
      const condition = String(only(variable(name).validation as Block[], `validation of ${name}`).condition);
      assert.match(condition, /regex\(/, `${name} is checked against a pattern`);
    }
    const cidrRule = String(
      only(variable('control_plane_allowed_ipv4').validation as Block[], 'ACL validation').condition,
    );
    assert.match(cidrRule, /cidrhost/);
    assert.match(cidrRule, /0\.0\.0\.0\/0/);
  });

  it('enables the control plane ACL only when an allowlist is given', () => {
    const controlPlane = only(resource('linode_lke_cluster', 'this').control_plane as Block[], 'control_plane');
    const acl = only((controlPlane.dynamic as Record<string, Block[]>).acl, 'dynamic acl');
    assert.match(String(acl.for_each), /local\.acl_enabled/);
    const content = only(acl.content as Block[], 'acl content');
    assert.equal(content.enabled, true);
    assert.deepEqual(only(content.addresses as Block[], 'addresses'), {
      ipv4: '${var.control_plane_allowed_ipv4}',
      ipv6: '${var.control_plane_allowed_ipv6}',
    });
  });

  it('protects the optional data volume from destruction and keeps it in the cluster region', () => {
    const volume = resource('linode_volume', 'data');
    assert.match(String(volume.count), /var\.volume_size_gb == null \? 0 : 1/);
    assert.equal(volume.region, '${linode_lke_cluster.this.region}');
    assert.equal(only(volume.lifecycle as Block[], 'lifecycle').prevent_destroy, true);
    assert.match(String(only(variable('volume_size_gb').validation as Block[], 'size validation').condition), />= 10/);
  });

  it('keeps the token out of the example variables file', () => {
    const example = readFileSync(path.join(TERRAFORM_DIR, 'terraform.tfvars.example'), 'utf8');
    assert.doesNotMatch(example, /^\s*linode_token\s*=/m);
  });

  it('git-ignores state, plans, variable files, provider caches and kubeconfigs', async () => {
    const ignored = [
      'terraform/terraform.tfstate',
      'terraform/terraform.tfstate.backup',
      'terraform/deckhand.tfplan',
      'terraform/terraform.tfvars',
      'terraform/.terraform/x',
      'terraform/.kube/deckhand-kubeconfig.yaml',
      '.deckhand/cluster.json',
    ];
    const result = await promisify(execFile)('git', ['check-ignore', '--no-index', ...ignored], { cwd: REPO_ROOT });
    assert.deepEqual(result.stdout.trim().split('\n'), ignored);
  });
});
