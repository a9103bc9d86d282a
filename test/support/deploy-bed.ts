/**
 * Everything a test needs to run `tasks.ts deploy` for real: a simulated cluster with a sandbox (HOME, kubeconfig,
 * the pinned helm and kubectl first on PATH), a clean git work tree for the commit, an output folder and an env
 * folder of its own — so nothing from the developer's checkout (.env, .env.caelundas, output/) leaks in.
 * Docker and the registry are optional: tests that build images ask for them.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../../kube-sim/index.ts';
import { createSandbox, type Sandbox } from './sandbox.ts';

const execFileAsync = promisify(execFile);

export const VALID_INPUTS = {
  START_DATE: '2026-01-01',
  END_DATE: '2026-12-31',
  LATITUDE: '40.7128',
  LONGITUDE: '-74.0060',
} as const;

/** What the bed's kubeconfig calls the simulated cluster: the first folder of every run's output. */
export const SIM_CLUSTER = 'kube-sim';
/** A run's name, with the suffix a run gets when another one took its second. */
export const RUN_NAME = /caelundas-\d{8}-\d{6}(?:-\d{1,2})?/;

export interface DeployBed {
  sim: KubeSim;
  sandbox: Sandbox;
  /** A scratch folder: git work tree, env files, output. */
  dir: string;
  outputDir: string;
  envDir: string;
  /** Environment for tasks.ts: sandbox + git + folders, CI=true (off a terminal). */
  env: NodeJS.ProcessEnv;
  /** Commits a change so the work tree is clean at a new commit. */
  commit(message: string): Promise<string>;
  /** output/kube-sim/<namespace>/<release>: the run's record (run.json) and its files (files/). */
  runDir(release: string, namespace?: string): string;
  /** The run's record, parsed. */
  record(release: string, namespace?: string): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export async function createDeployBed(options: KubeSimOptions = {}): Promise<DeployBed> {
  const sim = await startKubeSim(options);
  const sandbox = await createSandbox(sim);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-deploy-'));
  const work = path.join(dir, 'work');
  const outputDir = path.join(dir, 'output');
  const envDir = path.join(dir, 'env');
  await Promise.all([mkdir(work), mkdir(outputDir), mkdir(envDir)]);
  const gitEnv = {
    ...process.env,
    GIT_DIR: path.join(work, '.git'),
    GIT_WORK_TREE: work,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.invalid',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.invalid',
  };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: work, env: gitEnv });
  await git('init', '-q');
  const commit = async (message: string) => {
    await writeFile(path.join(work, 'change.txt'), `${message}\n`);
    await git('add', '-A');
    await git('commit', '-q', '-m', message);
    return (await git('rev-parse', 'HEAD')).stdout.trim();
  };
  await commit('first');

  const env: NodeJS.ProcessEnv = {
    ...sandbox.env,
    CI: 'true',
    NO_COLOR: '1',
    GIT_DIR: gitEnv.GIT_DIR,
    GIT_WORK_TREE: gitEnv.GIT_WORK_TREE,
    DECKHAND_OUTPUT_DIR: outputDir,
    DECKHAND_ENV_DIR: envDir,
    DECKHAND_JOB_TIMEOUT: '60s',
    IMAGE_OWNER: 'tests',
  };
  return {
    sim,
    sandbox,
    dir,
    outputDir,
    envDir,
    env,
    commit,
    runDir: (release, namespace = 'caelundas') => path.join(outputDir, SIM_CLUSTER, namespace, release),
    record: async (release, namespace = 'caelundas') =>
      JSON.parse(await readFile(path.join(outputDir, SIM_CLUSTER, namespace, release, 'run.json'), 'utf8')) as Record<
        string,
        any
      >,
    async close() {
      await sim.stop();
      await sandbox.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
