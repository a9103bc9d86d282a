/**
 * The stage "Answer the questions and save them": asks for what the survey found missing (each answer validated as
 * the configuration validates it; tokens hidden), checks the Linode token against the API before anything is saved,
 * lets you choose the region and the node type from the API's lists with their monthly prices, and only then writes:
 * the typed values into .env (mode 0600, atomically, and only when git ignores .env) and the cluster settings into
 * terraform/terraform.tfvars. A value that is already set is never replaced without a yes.
 */
import path from 'node:path';
import { CONFIG_KEYS } from '../../lib/config.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { writeEnvValues } from '../../lib/env-write.ts';
import { formatMonthly, planMonthlyUsd } from '../../lib/prices.ts';
import { TOKEN_URL, createLinodeClient, type LinodeRegion, type LinodeType } from '../../linode.ts';
import { describeVerdict, verifyToken, type TokenVerdict } from '../checks/token-check.ts';
import { findToken } from '../infra/token.ts';
import { reloadConfig, type AskedKey, type SetupRun, type Setting, type Stage } from './run.ts';
import { CLUSTER_SETTINGS, readTfvars, tfvarsFile, writeTfvars, type ClusterSetting } from './tfvars.ts';
import { ensureGitIgnored } from './git-ignored.ts';

const QUESTIONS: Readonly<Record<AskedKey, { message: string; secret: boolean; optional?: boolean }>> = {
  LINODE_TOKEN: {
    message: `Linode API token (Kubernetes and Volumes read/write; create one at ${TOKEN_URL}; input hidden):`,
    secret: true,
  },
  IMAGE_OWNER: {
    message: 'Your GitHub user or organisation, lowercase (images go to ghcr.io/<owner>/<app>):',
    secret: false,
  },
  GITHUB_TOKEN: {
    message:
      'GitHub token with write:packages, for pushing images (input hidden; leave empty if you will run `docker login` yourself):',
    secret: true,
    optional: true,
  },
  DOMAIN: {
    message: 'Your domain, e.g. example.com (the ingress serves api.<domain> and dashboard.<domain>):',
    secret: false,
  },
  ACME_EMAIL: { message: "Email address for Let's Encrypt (it writes about your certificates):", secret: false },
};

/** Tokens typed here are checked at once; three wrong ones in a row end the stage. */
const TOKEN_TRIES = 3;

export const answerStage: Stage = {
  title: 'Answer the questions and save them',
  async look(run) {
    const survey = run.survey!;
    // A setting not yet in terraform.tfvars is checked against the API's lists (and a flag's is saved there).
    const written = readTfvars(tfvarsFile(run.ctx.config.terraformDir));
    const settingsPending =
      !survey.cluster &&
      CLUSTER_SETTINGS.some((key) => !survey.settings[key] || survey.settings[key].value !== written[key]);
    if (survey.ask.length > 0 || settingsPending) return undefined;
    if (!survey.cluster) {
      // The token that infra will use must work: checked now, not half-way through terraform.
      const token = findToken(run.ctx)!;
      const verdict = await verifyToken(run.ctx.config, token, run.ctx.interruption.signal);
      if (verdict.kind !== 'ok') return undefined;
      run.verdict = verdict;
    }
    const settings = CLUSTER_SETTINGS.filter((key) => survey.settings[key])
      .map((key) => `${key} ${survey.settings[key]!.value} (${survey.settings[key]!.source})`)
      .join(', ');
    return `everything is answered${run.verdict ? ` (the Linode token of ${run.verdict.profile.username || 'this user'} works)` : ''}${settings ? `; ${settings}` : ''}`;
  },
  async act(run) {
    const survey = run.survey!;
    const env: Record<string, string> = {};
    const replacing: string[] = [];
    for (const key of survey.ask) {
      if (key === 'LINODE_TOKEN') continue;
      const answer = await ask(run, key);
      if (answer) env[key] = answer;
    }
    if (!survey.cluster) {
      const token = await workingToken(run, env, replacing);
      const settings = await chooseSettings(run, token);
      await save(run, env, replacing, settings);
    } else await save(run, env, replacing, {});
  },
};

async function ask(run: SetupRun, key: AskedKey): Promise<string | undefined> {
  const question = QUESTIONS[key];
  const spec = CONFIG_KEYS.find((candidate) => candidate.key === key);
  const validate = (value: string) => {
    const trimmed = value.trim();
    if (trimmed === '') return question.optional ? true : 'An answer is needed.';
    const expected = spec?.validate?.(trimmed);
    return expected ? `Expected ${expected}` : true;
  };
  const context = { what: key, howToProvide: `set ${key} in .env or the environment` };
  const answer = (
    question.secret
      ? await run.ctx.prompter.password({ message: question.message, validate }, context)
      : await run.ctx.prompter.input({ message: question.message, validate }, context)
  ).trim();
  if (question.secret) run.ctx.masker.add(answer);
  return answer === '' ? undefined : answer;
}

/**
 * The token from the environment or .env when it works; otherwise typed (and checked) until one works. A rejected
 * token from .env is replaced only after a yes; one from the real environment cannot be fixed from here.
 */
async function workingToken(run: SetupRun, env: Record<string, string>, replacing: string[]): Promise<string> {
  const { ctx } = run;
  const existing = findToken(ctx);
  let problem: string | undefined;
  if (existing) {
    const verdict = await verifyToken(ctx.config, existing, ctx.interruption.signal);
    if (verdict.kind === 'ok') {
      run.verdict = verdict;
      ctx.ui.success(
        `The Linode token works (user ${verdict.profile.username || '?'}, scopes ${verdict.profile.scopes.join(', ')}).`,
      );
      return existing;
    }
    throwUnlessFixable(verdict);
    const where = ctx.config.realEnv.LINODE_TOKEN || ctx.config.realEnv.TF_VAR_linode_token ? 'environment' : '.env';
    if (where === 'environment' || !ctx.prompter.interactive)
      throw new UsageError(
        `${describeVerdict(verdict)} It comes from the ${where}; nothing was written.`,
        `Put a working token in LINODE_TOKEN (${where === 'environment' ? 'the environment' : '.env'}): one with Kubernetes and Volumes read/write, from ${TOKEN_URL}.`,
      );
    problem = describeVerdict(verdict);
    const replace = await ctx.prompter.confirm(
      { message: `${problem} Type a new one and replace LINODE_TOKEN in .env?`, default: true },
      { what: 'replacing LINODE_TOKEN in .env', howToProvide: 'fix LINODE_TOKEN in .env' },
    );
    if (!replace) throw new UsageError('The Linode token in .env does not work, and was kept: nothing was written.');
    replacing.push('LINODE_TOKEN');
  }
  for (let attempt = 1; attempt <= TOKEN_TRIES; attempt += 1) {
    const typed = await ask(run, 'LINODE_TOKEN');
    const verdict = await verifyToken(ctx.config, typed!, ctx.interruption.signal);
    if (verdict.kind === 'ok') {
      run.verdict = verdict;
      ctx.ui.success(
        `The token works (user ${verdict.profile.username || '?'}, scopes ${verdict.profile.scopes.join(', ')}).`,
      );
      env.LINODE_TOKEN = typed!;
      return typed!;
    }
    throwUnlessFixable(verdict);
    ctx.ui.warn(`${describeVerdict(verdict)} It was not saved.${attempt < TOKEN_TRIES ? ' Try again:' : ''}`);
  }
  throw new UsageError(
    `${TOKEN_TRIES} tokens in a row did not work; none was saved.`,
    `Create a personal access token with Kubernetes and Volumes read/write at ${TOKEN_URL}, then run setup again.`,
  );
}

/** An API that cannot be asked is no reason to save an unchecked token: stop. */
function throwUnlessFixable(verdict: Exclude<TokenVerdict, { kind: 'ok' }>): void {
  if (verdict.kind === 'unreachable')
    throw new DeckhandError(
      `${describeVerdict(verdict)} Nothing was saved.`,
      'Check the network (and LINODE_API_URL if you set it), then run setup again.',
    );
}

interface Catalog {
  regions: LinodeRegion[];
  types: LinodeType[];
}

/** Region and node type: given ones are checked against the API's lists; missing ones are chosen from them. */
async function chooseSettings(run: SetupRun, token: string): Promise<Partial<Record<ClusterSetting, string>>> {
  const { ctx } = run;
  const survey = run.survey!;
  const client = createLinodeClient({
    token,
    baseUrl: ctx.config.linodeApiUrl,
    signal: ctx.interruption.signal,
    log: (line) => ctx.ui.info(line),
  });
  const [regions, types] = await Promise.all([client.listRegions(), client.listTypes()]);
  const catalog: Catalog = {
    regions: regions.filter((region) => region.capabilities.includes('Kubernetes') && region.status === 'ok'),
    types: types.filter((type) => !['nanode', 'gpu'].includes(type.class) && type.price.monthly !== null),
  };
  const region = survey.settings.region ?? { value: await pickRegion(run, catalog), source: 'your choice' };
  checkRegion(region, catalog);
  const nodeType = survey.settings.node_type ?? {
    value: await pickType(run, catalog, region.value),
    source: 'your choice',
  };
  checkType(nodeType, catalog);
  const chosen = catalog.types.find((type) => type.id === nodeType.value)!;
  ctx.ui.info(
    `  ${region.value}, ${nodeType.value} at ${formatMonthly(planMonthlyUsd(chosen, region.value))} per node (the autoscaler keeps 1 to 3 nodes unless terraform.tfvars says otherwise; \`infra apply\` shows the estimate before it asks)`,
  );
  return await settingsToWrite(run, { region, node_type: nodeType });
}

function checkRegion(region: Setting, catalog: Catalog): void {
  if (catalog.regions.some((candidate) => candidate.id === region.value)) return;
  throw new UsageError(
    `Region "${region.value}" (${region.source}) does not offer Kubernetes to this account.`,
    `Choose one of: ${catalog.regions.map((candidate) => candidate.id).join(', ')}.`,
  );
}

function checkType(type: Setting, catalog: Catalog): void {
  if (catalog.types.some((candidate) => candidate.id === type.value)) return;
  throw new UsageError(
    `Node type "${type.value}" (${type.source}) is not a Linode plan LKE can use.`,
    `Choose one of: ${catalog.types.map((candidate) => candidate.id).join(', ')}.`,
  );
}

async function pickRegion(run: SetupRun, catalog: Catalog): Promise<string> {
  const choices = [...catalog.regions]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((region) => ({ name: `${region.id.padEnd(14)} ${region.label}`, value: region.id }));
  return run.ctx.prompter.select(
    { message: 'Region of the cluster (regions that offer Kubernetes):', choices },
    { what: 'region', howToProvide: 'pass --region ID' },
  );
}

async function pickType(run: SetupRun, catalog: Catalog, region: string): Promise<string> {
  const choices = [...catalog.types]
    .sort((a, b) => (planMonthlyUsd(a, region) ?? 0) - (planMonthlyUsd(b, region) ?? 0))
    .map((type) => ({
      name: `${type.id.padEnd(18)} ${type.vcpus} vCPU, ${Math.round(type.memory / 1024)} GB RAM  ${formatMonthly(planMonthlyUsd(type, region))} per node`,
      value: type.id,
    }));
  return run.ctx.prompter.select(
    { message: `Node type (price per node in ${region}):`, choices },
    { what: 'node type', howToProvide: 'pass --node-type TYPE' },
  );
}

/** The settings terraform.tfvars should get: chosen or flagged ones, and a replaced value only after a yes. */
async function settingsToWrite(
  run: SetupRun,
  settings: Record<ClusterSetting, Setting>,
): Promise<Partial<Record<ClusterSetting, string>>> {
  const { ctx } = run;
  const file = tfvarsFile(ctx.config.terraformDir);
  const written = readTfvars(file);
  const result: Partial<Record<ClusterSetting, string>> = {};
  for (const key of CLUSTER_SETTINGS) {
    const { value, source } = settings[key];
    // From the environment, terraform reads it itself; from the file, it is there already.
    if (source.startsWith('TF_VAR_') || value === written[key]) continue;
    if (written[key] !== undefined) {
      const message = `terraform/terraform.tfvars says ${key} = "${written[key]}", ${source} says "${value}".`;
      if (!ctx.prompter.interactive)
        throw new UsageError(
          `${message} Nothing was written.`,
          `Edit terraform/terraform.tfvars, or leave out ${source}.`,
        );
      const yes = await ctx.prompter.confirm(
        { message: `${message} Replace it (a different region replaces the whole cluster)?`, default: false },
        { what: `replacing ${key}`, howToProvide: 'edit terraform/terraform.tfvars' },
      );
      if (!yes) continue;
    }
    result[key] = value;
  }
  return result;
}

async function save(
  run: SetupRun,
  env: Record<string, string>,
  replacing: readonly string[],
  settings: Partial<Record<ClusterSetting, string>>,
): Promise<void> {
  const { ctx } = run;
  const envFile = path.join(ctx.config.envDir, '.env');
  const keys = Object.keys(env);
  if (keys.length > 0) {
    const secrets = keys.filter((key) => QUESTIONS[key as AskedKey]?.secret);
    if (secrets.length > 0) await ensureGitIgnored(ctx, envFile, secrets);
    const shown = keys.map((key) => (secrets.includes(key) ? `${key} (hidden)` : `${key}=${env[key]}`)).join(', ');
    if (ctx.config.dryRun) {
      ctx.shell.dryRunNote(`write ${shown} into ${envFile} (mode 0600)`);
      run.unsaved = { ...env };
    } else {
      const result = writeEnvValues(envFile, env, { template: path.join(ctx.config.repoRoot, '.env.example') });
      ctx.ui.success(
        `${result.created ? 'Created' : 'Updated'} ${envFile} (mode 0600): ${shown}${replacing.length ? ` (replaced ${replacing.join(', ')})` : ''}.`,
      );
    }
  }
  const settingKeys = Object.keys(settings) as ClusterSetting[];
  if (settingKeys.length > 0) {
    const file = tfvarsFile(ctx.config.terraformDir);
    const shown = settingKeys.map((key) => `${key} = "${settings[key]}"`).join(', ');
    if (ctx.config.dryRun) ctx.shell.dryRunNote(`write ${shown} into ${file}`);
    else {
      writeTfvars(file, settings);
      ctx.ui.success(`Saved ${shown} in ${file}.`);
    }
  }
  if (keys.length === 0 && settingKeys.length === 0) ctx.ui.info('  Nothing new to save.');
  else reloadConfig(run);
}
