/**
 * One simulated cluster plus one sandbox per test, torn down afterwards, with the gaps asserted last so an
 * unimplemented request fails the test with its description.
 *
 *   await withKubeSim(async ({ kubectl, helm, sim }) => { ... });
 */
import { createSandbox, type RunOptions, type RunResult, type Sandbox } from './sandbox.ts';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../../kube-sim/index.ts';

export interface SimCluster {
  sim: KubeSim;
  sandbox: Sandbox;
  /** Runs kubectl; resolves with the result whatever the exit code. */
  kubectl(args: string[], options?: RunOptions): Promise<RunResult>;
  helm(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Runs kubectl and returns stdout, throwing with stderr when it exits non-zero. */
  kubectlOk(args: string[], options?: RunOptions): Promise<string>;
  helmOk(args: string[], options?: RunOptions): Promise<string>;
  /** `kubectl ... -o json`, parsed. */
  kubectlJson<T = Record<string, unknown>>(args: string[], options?: RunOptions): Promise<T>;
}

function describeFailure(tool: string, args: string[], result: RunResult): Error {
  return new Error(
    `${tool} ${args.join(' ')} exited ${String(result.code ?? result.signal)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
}

export async function withKubeSim(
  fn: (cluster: SimCluster) => Promise<void>,
  options: KubeSimOptions = {},
): Promise<void> {
  const sim = await startKubeSim(options);
  const sandbox = await createSandbox(sim);
  const kubectl = (args: string[], runOptions?: RunOptions): Promise<RunResult> =>
    sandbox.run(sandbox.bin.kubectl, args, runOptions);
  const helm = (args: string[], runOptions?: RunOptions): Promise<RunResult> =>
    sandbox.run(sandbox.bin.helm, args, runOptions);
  const ok = async (tool: string, run: typeof kubectl, args: string[], runOptions?: RunOptions): Promise<string> => {
    const result = await run(args, runOptions);
    if (result.code !== 0) throw describeFailure(tool, args, result);
    return result.stdout;
  };
  const cluster: SimCluster = {
    sim,
    sandbox,
    kubectl,
    helm,
    kubectlOk: (args, runOptions) => ok('kubectl', kubectl, args, runOptions),
    helmOk: (args, runOptions) => ok('helm', helm, args, runOptions),
    kubectlJson: async <T>(args: string[], runOptions?: RunOptions) =>
      JSON.parse(await ok('kubectl', kubectl, [...args, '-o', 'json'], runOptions)) as T,
  };
  let failure: unknown;
  try {
    await fn(cluster);
  } catch (error) {
    failure = error;
  } finally {
    await sandbox.cleanup();
    await sim.stop();
  }
  // A gap explains most failures (a client waiting on an answer the simulator could not give), so it comes first.
  if (sim.gaps.length > 0) {
    const gapError = (() => {
      try {
        sim.assertNoGaps();
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    if (gapError && failure instanceof Error) gapError.message += `\n\nThe test itself failed with: ${failure.message}`;
    throw gapError;
  }
  if (failure) throw failure;
}
