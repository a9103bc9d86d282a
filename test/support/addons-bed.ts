/**
 * What the add-on and access tests share: a simulated cluster and a sandbox (HOME, kubeconfig, the real helm and
 * kubectl first on PATH) and an environment for tasks.ts that reads nothing from the developer's checkout — its own
 * env folder (no .env), state root (no managed-cluster record) and backup folder — off a terminal (CI=true).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../../kube-sim/index.ts';
import { runCli, startCli, type CliOptions, type CliResult } from './cli.ts';
import { createSandbox, type Sandbox } from './sandbox.ts';

export interface AddonsBed {
  sim: KubeSim;
  sandbox: Sandbox;
  dir: string;
  backupDir: string;
  env: NodeJS.ProcessEnv;
  /** tasks.ts with this bed's environment (plus `extraEnv`). */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  start(args: readonly string[], options?: CliOptions): ReturnType<typeof startCli>;
  kubectlOk(args: string[], input?: string): Promise<string>;
  close(): Promise<void>;
}

export async function createAddonsBed(
  extraEnv: NodeJS.ProcessEnv = {},
  options: KubeSimOptions = {},
): Promise<AddonsBed> {
  const sim = await startKubeSim(options);
  const sandbox = await createSandbox(sim);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-addons-'));
  const backupDir = path.join(dir, 'backups');
  await mkdir(path.join(dir, 'env'));
  const env: NodeJS.ProcessEnv = {
    ...sandbox.env,
    CI: 'true',
    NO_COLOR: '1',
    DECKHAND_ENV_DIR: path.join(dir, 'env'),
    DECKHAND_STATE_ROOT: dir,
    DECKHAND_BACKUP_DIR: backupDir,
    ...extraEnv,
  };
  return {
    sim,
    sandbox,
    dir,
    backupDir,
    env,
    cli: (args, cliOptions = {}) =>
      runCli(args, {
        ...cliOptions,
        env: { ...env, ...cliOptions.env },
        replaceEnv: true,
        timeoutMs: cliOptions.timeoutMs ?? 120_000,
      }),
    start: (args, cliOptions = {}) =>
      startCli(args, {
        ...cliOptions,
        env: { ...env, ...cliOptions.env },
        replaceEnv: true,
        timeoutMs: cliOptions.timeoutMs ?? 120_000,
      }),
    async kubectlOk(args, input) {
      const result = await sandbox.run(sandbox.bin.kubectl, args, input === undefined ? {} : { input });
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    },
    async close() {
      await sandbox.cleanup();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` (recursively) whose content contains `needle`: for "this secret went nowhere else". */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (await stat(full)).size < 64 * 1024 * 1024) {
        if ((await readFile(full)).includes(needle)) found.push(full);
      }
    }
  };
  await walk(dir);
  return found;
}
