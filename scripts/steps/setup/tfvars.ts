/**
 * The cluster settings setup chooses — region and node type — live where terraform reads them and where the docs
 * tell people to put them: terraform/terraform.tfvars (git-ignored). Only plain `key = "string"` lines are read and
 * written; anything else in the file is left exactly as it is. TF_VAR_region / TF_VAR_node_type in the environment
 * count too (terraform reads them itself), but are never written anywhere.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type ClusterSetting = 'region' | 'node_type';
export const CLUSTER_SETTINGS: readonly ClusterSetting[] = ['region', 'node_type'];

export function tfvarsFile(terraformDir: string): string {
  return path.join(terraformDir, 'terraform.tfvars');
}

function linePattern(key: ClusterSetting): RegExp {
  return new RegExp(`^\\s*${key}\\s*=\\s*"([^"\\n]*)"\\s*(#.*)?$`, 'm');
}

/** The string settings in a tfvars text. */
export function readSettings(text: string): Partial<Record<ClusterSetting, string>> {
  const found: Partial<Record<ClusterSetting, string>> = {};
  for (const key of CLUSTER_SETTINGS) {
    const match = linePattern(key).exec(text);
    if (match) found[key] = match[1]!;
  }
  return found;
}

export function readTfvars(file: string): Partial<Record<ClusterSetting, string>> {
  return existsSync(file) ? readSettings(readFileSync(file, 'utf8')) : {};
}

const HEADER = [
  '# Written by `tasks.ts setup` (edit freely; see terraform.tfvars.example and variables.tf for every setting).',
  '# The Linode token does NOT belong here: it reaches terraform through the environment.',
  '',
].join('\n');

/** The text with each setting's line replaced, or appended when the file has none. */
export function withSettings(text: string, values: Partial<Record<ClusterSetting, string>>): string {
  let next = text === '' ? HEADER : text.endsWith('\n') ? text : `${text}\n`;
  for (const key of CLUSTER_SETTINGS) {
    const value = values[key];
    if (value === undefined) continue;
    const line = `${key} = "${value}"`;
    next = linePattern(key).test(next) ? next.replace(linePattern(key), line) : `${next}${line}\n`;
  }
  return next;
}

/** Written whole to a temporary file and renamed over the old one. */
export function writeTfvars(file: string, values: Partial<Record<ClusterSetting, string>>): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, withSettings(text, values), { mode: 0o600 });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}
