/**
 * The commands that need no pipeline of their own — they read and show, or run one tool-like operation — each
 * mapped to the step module that does it, imported only when the command runs. tasks.ts adds its runbooks to these.
 */
import type { Commands } from '../cli/commands/index.ts';
import * as shared from '../cli/commands/app.ts';
import type { Handlers } from '../cli/main.ts';

type Direct =
  | 'logs'
  | 'releases'
  | 'status'
  | 'doctor'
  | 'tools'
  | 'apps'
  | 'infra'
  | 'kubeconfig'
  | 'ci'
  | 'ingress'
  | 'db'
  | 'dashboard';

export const DIRECT_HANDLERS: Pick<Handlers<Commands>, Direct> = {
  logs: async (ctx) => {
    const app = (await import('../cli/app-kind.ts')).appForCommand(shared.logs, ctx.invocation);
    if (app.kind === 'job') return (await import('./job/commands.ts')).showLogs(ctx);
    return (await import('./service/logs.ts')).showServiceLogs(ctx, app);
  },
  releases: async (ctx) => (await import('./job/commands.ts')).showReleases(ctx),
  status: async (ctx) => (await import('./service/status.ts')).showStatus(ctx),
  doctor: async (ctx) => (await import('./checks/doctor.ts')).runDoctor(ctx),
  tools: async (ctx) => void (await (await import('./checks/tools-install.ts')).installTools(ctx)),
  apps: async (ctx) => (await import('./apps/describe.ts')).showApps(ctx),
  infra: async (ctx) => {
    const { runInfra } = await import('./infra/infra.ts');
    const { options } = ctx.invocation;
    await runInfra(ctx, ctx.invocation.args.action, {
      planFile: options['plan-file'],
      json: options.json,
      // Destroying the cluster loses every database in it: a dump is offered first.
      beforeDestroy: async () =>
        (await import('./service/db-dump.ts')).offerDumpsBefore(ctx, 'the cluster is destroyed'),
    });
  },
  kubeconfig: async (ctx) => {
    const { runKubeconfig } = await import('./infra/kubeconfig.ts');
    const { options } = ctx.invocation;
    await runKubeconfig(ctx, { clusterId: options['cluster-id'], label: options.label, merge: options.merge });
  },
  ci: async (ctx) => (await import('./ci/secrets.ts')).runCiSecrets(ctx),
  ingress: async (ctx) => (await import('./cluster/ingress.ts')).runIngress(ctx),
  db: async (ctx) => (await import('./service/db.ts')).runDb(ctx),
  dashboard: async (ctx) => (await import('./cluster/dashboard.ts')).runDashboard(ctx),
};
