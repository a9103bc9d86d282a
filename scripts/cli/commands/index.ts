/**
 * Every command deckhand has, in the order `--help` lists them. Declarations only (data): the implementations are
 * imported by tasks.ts when a command runs, so start-up loads nothing heavy.
 */
import { ci } from './ci.ts';
import { copy, deploy, logs, releases, uninstall } from './job.ts';
import { infra, kubeconfig } from './infra.ts';
import { apps, doctor } from './project.ts';
import { dashboard, db, ingress } from './addons.ts';
import { setup, tools } from './setup.ts';

export const COMMANDS = [
  setup,
  deploy,
  releases,
  uninstall,
  logs,
  copy,
  doctor,
  tools,
  apps,
  infra,
  kubeconfig,
  ingress,
  db,
  dashboard,
  ci,
] as const;

export type Commands = typeof COMMANDS;
