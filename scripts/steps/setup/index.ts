/** The stages of `setup`, for tasks.ts to put in order. */
export { prepareSetup, runStages, setupSummary, type SetupRun, type SetupRunbooks, type Stage } from './run.ts';
export { installToolsStage, lookAround } from './prerequisites.ts';
export { answerStage } from './answers.ts';
export { clusterStage, dnsStage, ingressStage, kubeconfigStage } from './cluster.ts';
export { deployStage, dryRunStage } from './deploy.ts';
