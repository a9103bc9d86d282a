/**
 * Every command deckhand has, in the order `--help` lists them. Declarations only (data): the implementations are
 * imported by tasks.ts when a command runs, so start-up loads nothing heavy.
 */
import { dashboard, db, ingress } from './addons.ts';
import { deploy, logs } from './app.ts';
import { ci } from './ci.ts';
import { infra, kubeconfig } from './infra.ts';
import { copy, releases, uninstall } from './job.ts';
import { apps, doctor } from './project.ts';
import { restart, rollback, status } from './service.ts';
import { setup, tools } from './setup.ts';

export const COMMANDS = [
  setup,
  deploy,
  logs,
  releases,
  uninstall,
  copy,
  status,
  rollback,
  restart,
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
