/**
 * Every command deckhand has, in the order `--help` lists them. Declarations only (data): the implementations are
 * imported by tasks.ts when a command runs, so start-up loads nothing heavy.
 */
import { deploy, logs } from './app.ts';
import { copy, releases, uninstall } from './job.ts';
import { restart, rollback, status } from './service.ts';
import { infra, kubeconfig } from './infra.ts';
import { apps, doctor } from './project.ts';

export const COMMANDS = [
  deploy,
  logs,
  releases,
  uninstall,
  copy,
  status,
  rollback,
  restart,
  doctor,
  apps,
  infra,
  kubeconfig,
] as const;

export type Commands = typeof COMMANDS;
