/**
 * A stand-in `terraform` for tests (no terraform binary can be installed on the test machines, and the real one
 * would need the provider registry). `installFakeTerraform()` puts an executable named `terraform` in a folder that
 * the test puts first on PATH; it answers the subcommands deckhand uses in terraform's documented formats:
 *
 *   version -json      {"terraform_version": …}
 *   init               creates .terraform/providers/ in its working folder
 *   plan … -out FILE   writes FILE: a zip archive like terraform's own, whose `tfplan` entry holds a marker saying
 *                      whether it is a destroy plan; needs TF_VAR_linode_token
 *   show -json FILE    the JSON plan representation given by the test (resource_changes[].change.actions)
 *   apply FILE         "applies" the plan: creates or removes a state marker in its working folder
 *   output -json       {name: {sensitive, type, value}} once state exists, else {}
 *
 * Every invocation is appended to a record file: argv, working folder, and the NAMES of the relevant environment
 * variables that were set — never their values (TF_IN_AUTOMATION and TF_INPUT, which hold no secret, are recorded
 * with their values so tests can check them). Like real terraform, `show -json` echoes the variables, the token
 * among them, so tests can prove deckhand never prints that stdout.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';

export interface FakeTerraformConfig {
  recordFile: string;
  /** When set, each record says whether TF_VAR_linode_token held exactly this value (without recording it). */
  expectToken?: string;
  /** `show -json` of a normal plan. */
  planJson: unknown;
  /** `show -json` of a `plan -destroy`. */
  destroyPlanJson?: unknown;
  /** `output -json` once something has been applied (see markTerraformApplied). */
  outputs?: unknown;
  /** Make `plan` fail with this text on stderr (exit 1). */
  planError?: string;
  /** How long `apply` takes, to interrupt it in the middle. */
  applyDelayMs?: number;
}

export interface FakeTerraformRecord {
  argv: string[];
  cwd: string;
  /** Names of the selected environment variables that were set. */
  env: string[];
  automation: { TF_IN_AUTOMATION?: string; TF_INPUT?: string };
  tokenMatches?: boolean;
}

const WATCHED_ENV = [
  'TF_VAR_linode_token',
  'TF_IN_AUTOMATION',
  'TF_INPUT',
  'LINODE_TOKEN',
  'LINODE_CLI_TOKEN',
  'TF_CLI_ARGS',
];
const STATE_MARKER = 'fake-terraform.tfstate';
const INIT_MARKER = 'fake-terraform-initialized';

/** Writes `<binDir>/terraform` (and its config) and returns the record file path. */
export function installFakeTerraform(
  binDir: string,
  config: Omit<FakeTerraformConfig, 'recordFile'> & { recordFile?: string },
): string {
  mkdirSync(binDir, { recursive: true });
  const recordFile = config.recordFile ?? path.join(binDir, 'terraform-calls.jsonl');
  const configFile = path.join(binDir, 'fake-terraform.json');
  writeFileSync(configFile, JSON.stringify({ ...config, recordFile }));
  const script = path.join(binDir, 'terraform');
  writeFileSync(
    script,
    `#!/bin/sh\nFAKE_TERRAFORM_CONFIG='${configFile}' exec '${process.execPath}' --no-warnings '${fileURLToPath(import.meta.url)}' "$@"\n`,
  );
  chmodSync(script, 0o755);
  return recordFile;
}

/** Makes the fake behave as if `apply` had already run in this configuration folder. */
export function markTerraformApplied(terraformDir: string): void {
  writeFileSync(path.join(terraformDir, STATE_MARKER), '{}');
}

export function readTerraformCalls(recordFile: string): FakeTerraformRecord[] {
  if (!existsSync(recordFile)) return [];
  return readFileSync(recordFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FakeTerraformRecord);
}

function main(): number {
  const config = JSON.parse(readFileSync(process.env.FAKE_TERRAFORM_CONFIG!, 'utf8')) as FakeTerraformConfig;
  const argv = process.argv.slice(2);
  const record: FakeTerraformRecord = {
    argv,
    cwd: process.cwd(),
    env: WATCHED_ENV.filter((name) => process.env[name] !== undefined),
    automation: { TF_IN_AUTOMATION: process.env.TF_IN_AUTOMATION, TF_INPUT: process.env.TF_INPUT },
    ...(config.expectToken !== undefined
      ? { tokenMatches: process.env.TF_VAR_linode_token === config.expectToken }
      : {}),
  };
  appendFileSync(config.recordFile, `${JSON.stringify(record)}\n`);

  const [command, ...rest] = argv;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const fail = (text: string) => {
    process.stderr.write(`\nError: ${text}\n\n`);
    return 1;
  };
  switch (command) {
    case 'version':
      out(
        JSON.stringify({
          terraform_version: '1.11.4',
          platform: 'linux_amd64',
          provider_selections: {},
          terraform_outdated: false,
        }),
      );
      return 0;
    case 'init':
      mkdirSync(path.join(process.cwd(), '.terraform', 'providers'), { recursive: true });
      writeFileSync(path.join(process.cwd(), '.terraform', INIT_MARKER), '');
      out('Initializing provider plugins...');
      out('Terraform has been successfully initialized!');
      return 0;
    case 'plan': {
      // A folder initialised by something else than this stand-in's init (a test's stale .terraform/) needs init again.
      if (!existsSync(path.join(process.cwd(), '.terraform', INIT_MARKER)))
        return fail(
          'Inconsistent dependency lock file\n\nTo make the initial dependency selections that will initialize the dependency lock file, run:\n  terraform init',
        );
      if (!process.env.TF_VAR_linode_token)
        return fail('No value for required variable\n\nThe root module input variable "linode_token" is not set.');
      if (config.planError) return fail(config.planError);
      const outIndex = rest.indexOf('-out');
      const planFile = outIndex === -1 ? undefined : rest[outIndex + 1];
      if (!planFile) return fail('fake terraform: deckhand must always plan into a file (-out)');
      const destroy = rest.includes('-destroy');
      // Like terraform: the existing file is truncated and rewritten in place, which keeps its mode.
      writeFileSync(
        planFile,
        zipSync({ tfplan: strToU8(JSON.stringify({ fakePlan: true, destroy })), tfstate: strToU8('{}') }),
      );
      out(
        destroy
          ? 'Terraform will perform the following actions:\n  # linode_lke_cluster.this will be destroyed'
          : 'Terraform will perform the following actions:\n  # linode_lke_cluster.this will be created',
      );
      out(`Saved the plan to: ${planFile}`);
      return 0;
    }
    case 'show': {
      const planFile = rest.at(-1);
      if (!rest.includes('-json') || !planFile || !existsSync(planFile))
        return fail('fake terraform: expected show -json PLANFILE');
      const marker = readPlanMarker(planFile);
      if (!marker) return fail('Failed to load the plan file');
      const representation = (marker.destroy ? config.destroyPlanJson : config.planJson) as Record<string, unknown>;
      out(
        JSON.stringify({
          ...representation,
          variables: { linode_token: { value: process.env.TF_VAR_linode_token ?? null } },
        }),
      );
      return 0;
    }
    case 'apply': {
      const planFile = rest.at(-1);
      if (!planFile || !existsSync(planFile)) return fail('fake terraform: deckhand must apply a saved plan file');
      const marker = readPlanMarker(planFile);
      if (!marker?.fakePlan) return fail('Failed to load the plan file');
      const state = path.join(process.cwd(), STATE_MARKER);
      if (config.applyDelayMs) {
        out('linode_lke_cluster.this: Still creating... [10s elapsed]');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, config.applyDelayMs);
      }
      if (marker.destroy) {
        rmSync(state, { force: true });
        out('Destroy complete! Resources: 3 destroyed.');
      } else {
        writeFileSync(state, '{}');
        out('linode_lke_cluster.this: Creating...');
        out('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
      }
      return 0;
    }
    case 'output': {
      const applied = existsSync(path.join(process.cwd(), STATE_MARKER));
      out(JSON.stringify(applied ? (config.outputs ?? {}) : {}));
      return 0;
    }
    default:
      return fail(`fake terraform: unexpected command ${argv.join(' ')}`);
  }
}

function readPlanMarker(planFile: string): { fakePlan?: boolean; destroy: boolean } | undefined {
  try {
    const entry = unzipSync(readFileSync(planFile)).tfplan;
    return entry ? (JSON.parse(strFromU8(entry)) as { fakePlan?: boolean; destroy: boolean }) : undefined;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
