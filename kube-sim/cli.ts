/**
 * Runs a simulated cluster for humans: `npm run sim -- --kubeconfig PATH [--port N] [--latency MS]`, with scripted
 * Job and Deployment behaviour (see cli-behaviors.ts) to try failures. Writes a kubeconfig (mode 0600, context
 * `kube-sim`), prints how to use it and what is scripted, and runs until Ctrl-C.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BEHAVIOR_HELP,
  BehaviorOptionError,
  parseDeploymentBehavior,
  parseJobBehavior,
  type ScriptedBehavior,
} from './cli-behaviors.ts';
import { startKubeSim } from './index.ts';

const USAGE = `Usage: npm run sim -- --kubeconfig PATH [--port N] [--latency MS] [--context NAME] [behaviour options]\n${BEHAVIOR_HELP}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string' },
      latency: { type: 'string' },
      context: { type: 'string', default: 'kube-sim' },
      'job-behavior': { type: 'string', multiple: true, default: [] },
      'deployment-behavior': { type: 'string', multiple: true, default: [] },
      'probe-second-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`--kubeconfig is required: the simulator writes its kubeconfig there.\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  const latencyMs = values.latency === undefined ? 0 : Number(values.latency);
  if ((port !== undefined && !Number.isInteger(port)) || !Number.isFinite(latencyMs)) {
    process.stderr.write(`--port and --latency take numbers.\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let scripted: ScriptedBehavior[];
  try {
    scripted = [
      ...values['job-behavior'].map(parseJobBehavior),
      ...values['deployment-behavior'].map(parseDeploymentBehavior),
    ];
  } catch (error) {
    if (!(error instanceof BehaviorOptionError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const probeSecondMs = values['probe-second-ms'] === undefined ? 1000 : Number(values['probe-second-ms']);
  if (!Number.isFinite(probeSecondMs) || probeSecondMs <= 0) {
    process.stderr.write(`--probe-second-ms takes a positive number of milliseconds.\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // A person watches in real time: pod restarts and image pull retries at the kubelet's first back-off (10 s).
  const sim = await startKubeSim({
    latencyMs,
    timings: {
      probeMsPerSecond: probeSecondMs,
      restartBackoffMs: 10 * probeSecondMs,
      imageBackoffMs: 10 * probeSecondMs,
    },
    ...(port !== undefined ? { port } : {}),
  });
  for (const behavior of scripted) behavior.apply(sim);
  const kubeconfig = path.resolve(values.kubeconfig);
  await sim.writeKubeconfig(kubeconfig, { context: values.context });
  process.stdout.write(
    [
      `kube-sim is serving a simulated LKE cluster at ${sim.url} (Ctrl-C to stop).`,
      `Kubeconfig written to ${kubeconfig} (context "${values.context}"). In another shell:`,
      '',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get ns',
      '',
      scripted.length > 0
        ? 'Scripted behaviour (later lines win where both match):'
        : 'Nothing is scripted: Jobs succeed, Deployment pods turn Ready (see --help to script failures).',
      ...scripted.map((b) => `  ${b.description}`),
      '',
      'Gaps (requests the simulator cannot answer faithfully) are printed here as they happen.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.stop();
  process.stdout.write(`\nkube-sim stopped. Requests answered: ${sim.requests.length}; gaps: ${sim.gaps.length}.\n`);
}

// `node --test` with no file arguments runs every .ts under test/ as a test file, this one included; serving
// forever there would hang the suite, so the CLI only starts when it is run as a program.
if (import.meta.main && process.env['NODE_TEST_CONTEXT'] === undefined) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
