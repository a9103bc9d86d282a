/**
 * Everything `setup` meets on its way from nothing to a running app, on loopback: the loopback Linode API (token
 * check, regions, plans), the stand-in terraform (whose outputs hand out the simulated cluster's kubeconfig, as the
 * real LKE cluster's would), the simulated cluster with its NodeBalancer, the stand-in Traefik chart in the real
 * registry, a DNS server that already points the hosts at the load balancer, and a git work tree for the commit. The
 * project's own .env, terraform/ and .deckhand/ are never touched: every folder is a temp one. No KUBECONFIG: setup
 * must find the cluster through terraform and `kubeconfig`, like a person starting from nothing.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli, type CliOptions, type CliResult } from '../support/cli.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { installFakeTerraform, readTerraformCalls, type FakeTerraformRecord } from '../support/fake-terraform.ts';
import { startLinodeApiServer, type LinodeApiServer } from '../support/linode-api-server.ts';
import { startCliInPty, type PtySession } from '../support/pty.ts';

const execFileAsync = promisify(execFile);
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/terraform');

export const TOKEN = 'setup-linode-token-4b7d9e1f3a5c7e9b1d3f';
export const BAD_TOKEN = 'setup-wrong-token-0000000000000000';
export const LB_IP = '127.0.0.1';
export const IMAGE = 'ghcr.io/example/caelundas:1.0.0';
export const DOMAIN = 'example.test';
export const INPUTS = { START_DATE: '2026-01-01', END_DATE: '2026-01-31', LATITUDE: '40.7128', LONGITUDE: '-74.0060' };

export interface SetupBed {
  sim: KubeSim;
  api: LinodeApiServer;
  dir: string;
  home: string;
  envDir: string;
  stateRoot: string;
  terraformDir: string;
  outputDir: string;
  work: string;
  env: NodeJS.ProcessEnv;
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  pty(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): PtySession;
  terraformCalls(): FakeTerraformRecord[];
  close(): Promise<void>;
}

export interface SetupBedOptions {
  /** The stand-in Traefik chart's reference (oci://…); without one, `ingress install` cannot find its chart. */
  traefikChart: string;
  scopes?: string;
  /** Put the env folder inside the git work tree (which ignores nothing). */
  envInWorkTree?: boolean;
}

export async function createSetupBed(options: SetupBedOptions): Promise<SetupBed> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-setup-'));
  const [sim, { binDir }, api] = await Promise.all([
    startKubeSim({ quiet: true }),
    ensureKubeBinaries(),
    startLinodeApiServer({
      token: TOKEN,
      clusters: [{ id: 424242, label: 'deckhand' }],
      ...(options.scopes ? { scopes: options.scopes } : {}),
    }),
  ]);
  sim.setLoadBalancerBehavior({ namespace: 'traefik', name: 'traefik' }, { ip: LB_IP });
  const dns: TestDnsServer = await startDnsServer({ [`api.${DOMAIN}`]: [LB_IP], [`dashboard.${DOMAIN}`]: [LB_IP] });

  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const work = path.join(dir, 'work');
  const envDir = options.envInWorkTree ? work : path.join(dir, 'env');
  const terraformDir = path.join(dir, 'terraform');
  const outputDir = path.join(dir, 'output');
  await Promise.all([home, work, envDir, terraformDir, outputDir].map((folder) => mkdir(folder, { recursive: true })));
  await writeFile(path.join(terraformDir, 'main.tf'), '# the stand-in terraform does not read this\n');

  // The cluster terraform "creates" is the simulated one: its outputs carry the simulator's kubeconfig.
  const simKubeconfig = path.join(dir, 'sim-kubeconfig.yaml');
  await sim.writeKubeconfig(simKubeconfig);
  const outputs = JSON.parse(await readFile(path.join(FIXTURES, 'outputs.json'), 'utf8')) as Record<
    string,
    { value: unknown }
  >;
  outputs.kubeconfig!.value = Buffer.from(await readFile(simKubeconfig, 'utf8')).toString('base64');
  const records = installFakeTerraform(bin, {
    expectToken: TOKEN,
    planJson: JSON.parse(await readFile(path.join(FIXTURES, 'plan-create.json'), 'utf8')),
    outputs,
  });

  const gitEnv = {
    GIT_DIR: path.join(work, '.git'),
    GIT_WORK_TREE: work,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.invalid',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.invalid',
  };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: work, env: { ...process.env, ...gitEnv } });
  await git('init', '-q');
  await writeFile(path.join(work, 'README'), 'a work tree\n');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'first');

  const env: NodeJS.ProcessEnv = {
    PATH: [bin, binDir, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    ...gitEnv,
    LINODE_API_URL: api.apiUrl,
    DECKHAND_ENV_DIR: envDir,
    DECKHAND_STATE_ROOT: dir,
    DECKHAND_TERRAFORM_DIR: terraformDir,
    DECKHAND_OUTPUT_DIR: outputDir,
    DECKHAND_JOB_TIMEOUT: '60s',
    DECKHAND_TRAEFIK_CHART: options.traefikChart,
    DECKHAND_DNS_SERVERS: dns.address,
  };
  return {
    sim,
    api,
    dir,
    home,
    envDir,
    stateRoot: dir,
    terraformDir,
    outputDir,
    work,
    env,
    cli: (args, cliOptions = {}) =>
      runCli(args, {
        ...cliOptions,
        env: { ...env, CI: 'true', ...cliOptions.env },
        replaceEnv: true,
        timeoutMs: cliOptions.timeoutMs ?? 180_000,
      }),
    pty: (args, extraEnv = {}) =>
      startCliInPty(args, { env: { ...env, ...extraEnv }, cols: 200, rows: 60, watchdogMs: 180_000 }),
    terraformCalls: () => readTerraformCalls(records),
    async close() {
      await Promise.all([sim.stop(), api.close(), dns.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The same setup run as a person gives it: setup with the existing image (no docker needed). */
export const SETUP_ARGS = ['setup', '--image', IMAGE] as const;
