/**
 * setup's first look, before anything is asked or written: which tools are there, which answers are already given
 * (flags, environment, .env, terraform.tfvars, the app's env file), whether terraform already made a cluster, and
 * whether caelundas already ran to the end. From that, the list of what is still missing — which, off a terminal,
 * ends the run at once with exit 2, every missing answer named with how to give it, nothing written.
 */
import { readAppInputs, howToProvide } from '../../apps/inputs.ts';
import { CONFIG_KEYS } from '../../lib/config.ts';
import { DeckhandError, MissingInputError, type MissingItem } from '../../lib/errors.ts';
import * as terraform from '../../terraform.ts';
import { readReleases } from '../job/runs.ts';
import { checkRegistryLogin } from '../checks/doctor-local.ts';
import { probeTools, type ToolName } from '../checks/tools.ts';
import { findToken } from '../infra/token.ts';
import { readManagedCluster } from '../../lib/cluster-state.ts';
import type { AskedKey, SetupRun, Setting, Survey } from './run.ts';
import { CLUSTER_SETTINGS, readTfvars, tfvarsFile, type ClusterSetting } from './tfvars.ts';
import { plural } from '../../lib/wording.ts';

export const SETUP_TOOLS: readonly ToolName[] = ['git', 'docker', 'helm', 'kubectl', 'terraform'];

const SETTING_FLAGS: Readonly<Record<ClusterSetting, 'region' | 'node-type'>> = {
  region: 'region',
  node_type: 'node-type',
};

export async function surveySetup(run: SetupRun): Promise<Survey> {
  const { config, shell, invocation } = run.ctx;
  const [tools, cluster] = await Promise.all([probeTools(shell, SETUP_TOOLS), readCluster(run)]);
  const tfvars = readTfvars(tfvarsFile(config.terraformDir));
  const settings: Partial<Record<ClusterSetting, Setting>> = {};
  for (const key of CLUSTER_SETTINGS) {
    const flag = invocation.options[SETTING_FLAGS[key]];
    const fromEnv = config.realEnv[`TF_VAR_${key}`];
    if (flag) settings[key] = { value: flag, source: `--${SETTING_FLAGS[key]}` };
    else if (fromEnv) settings[key] = { value: fromEnv, source: `TF_VAR_${key}` };
    else if (tfvars[key]) settings[key] = { value: tfvars[key], source: 'terraform/terraform.tfvars' };
  }
  const building = !invocation.options.image;
  const ask: AskedKey[] = [];
  if (!cluster && !findToken(run.ctx)) ask.push('LINODE_TOKEN');
  if (building && !config.image.owner) ask.push('IMAGE_OWNER');
  if (building && !config.githubToken && tools.docker.found) {
    const login = await checkRegistryLogin(config, shell);
    if (login.status !== 'ok') ask.push('GITHUB_TOKEN');
  }
  if (!config.addons.domain) ask.push('DOMAIN');
  if (!config.addons.acmeEmail) ask.push('ACME_EMAIL');

  const deployed = await completedRun(run);
  const appInputsMissing = deployed
    ? []
    : readAppInputs(run.app, config, run.ctx.masker).missing.map((input) => input.key);

  const missing: MissingItem[] = [];
  for (const key of ask) {
    if (key === 'GITHUB_TOKEN') {
      missing.push({
        name: 'GITHUB_TOKEN',
        howToProvide: `set GITHUB_TOKEN (write:packages) in .env or the environment, or log docker in once: docker login ${config.image.registry} (or pass --image REF to deploy an existing image)`,
      });
      continue;
    }
    const spec = CONFIG_KEYS.find((candidate) => candidate.key === key)!;
    missing.push({ name: key, howToProvide: `set ${key} in .env or the environment: ${spec.description}` });
  }
  if (!cluster) {
    for (const key of CLUSTER_SETTINGS) {
      if (settings[key]) continue;
      missing.push({
        name: SETTING_FLAGS[key] === 'region' ? 'region' : 'node type',
        howToProvide: `pass --${SETTING_FLAGS[key]} ${key === 'region' ? 'us-ord' : 'g6-standard-2'}, or set ${key} in terraform/terraform.tfvars (or TF_VAR_${key})`,
      });
    }
  }
  for (const key of appInputsMissing) {
    const input = run.app.secret.inputs.find((candidate) => candidate.key === key)!;
    missing.push({ name: key, howToProvide: howToProvide(run.app, input) });
  }
  const creates = !cluster || !deployed;
  if (creates && !config.yes && !config.dryRun && !run.ctx.prompter.interactive) {
    missing.push({
      name: 'confirmation',
      howToProvide: `pass --yes: setup ${cluster ? 'deploys caelundas' : 'creates an LKE cluster (billed monthly) and deploys caelundas'}`,
    });
  }
  return {
    tools,
    ...(cluster ? { cluster } : {}),
    settings,
    ask,
    ...(deployed ? { deployed } : {}),
    appInputsMissing,
    missing,
  };
}

/** Off a terminal nobody can answer: every missing answer at once, exit 2, nothing written. */
export function refuseWhatCannotBeAsked(run: SetupRun, survey: Survey): void {
  if (run.ctx.prompter.interactive || survey.missing.length === 0) return;
  throw new MissingInputError(
    `setup needs ${plural(survey.missing.length, 'answer')} that nobody is at a terminal to give (nothing was written):`,
    survey.missing,
  );
}

async function readCluster(run: SetupRun): Promise<Survey['cluster']> {
  const { config, shell } = run.ctx;
  if (!terraform.hasConfiguration(config.terraformDir)) return undefined;
  let outputs: terraform.TerraformOutputs;
  try {
    outputs = await terraform.output(shell, { dir: config.terraformDir });
  } catch (error) {
    // No terraform (the prerequisites stage says so), or no state yet.
    if (error instanceof DeckhandError) return undefined;
    throw error;
  }
  const kubeconfig = outputs.kubeconfig?.value;
  if (typeof kubeconfig !== 'string' || kubeconfig === '') return undefined;
  run.ctx.masker.add(kubeconfig);
  const id = Number(outputs.cluster_id?.value);
  const label = typeof outputs.cluster_label?.value === 'string' ? outputs.cluster_label.value : `lke${id}`;
  return { label, ...(Number.isFinite(id) && id > 0 ? { id } : {}), outputs };
}

/** The newest caelundas run that completed with its output copied here, read from the managed cluster. */
export async function completedRun(run: SetupRun): Promise<string | undefined> {
  const { config, shell } = run.ctx;
  if (!readManagedCluster(config.stateRoot)) return undefined;
  try {
    const target = run.ctx.resolveTarget(run.app.namespace);
    const rows = await readReleases({
      shell,
      target,
      app: run.app.name,
      namespace: target.namespace,
      outputDir: config.outputDir,
    });
    const done = rows.filter((row) => row.job.state === 'complete' && row.output.copied).at(-1);
    return done ? `${done.name} completed and its output is in ${done.output.dir}` : undefined;
  } catch (error) {
    if (error instanceof DeckhandError) return undefined;
    throw error;
  }
}
