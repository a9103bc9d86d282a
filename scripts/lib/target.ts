/**
 * The Kubernetes target: one kubeconfig file, one context, one namespace — resolved once per run and passed
 * explicitly to every helm and kubectl call, so nothing ever lands on whatever cluster happens to be the ambient
 * current-context.
 *
 * Which kubeconfig, highest first: --kubeconfig > KUBECONFIG (environment, then .env) > the kubeconfig that
 * `tasks.ts kubeconfig` wrote for the cluster this project manages > ~/.kube/config. A KUBECONFIG listing several
 * files is merged as kubectl merges it (kubeconfig-files.ts); --kubeconfig takes one file, as kubectl's does.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from './config.ts';
import { DeckhandError, UsageError } from './errors.ts';
import { isDnsLabel } from './names.ts';
import { deckhand } from './hints.ts';
import { plural } from './wording.ts';
import {
  existingKubeconfigs,
  kubeconfigForContext,
  kubeconfigList,
  kubeconfigSources,
  mergeKubeconfigs,
  readKubeconfig,
} from './kubeconfig-files.ts';

export interface KubeTarget {
  /** Absolute path of the kubeconfig file. */
  kubeconfig: string;
  context: string;
  /** Name of the cluster entry the context points at. */
  cluster: string;
  /** API server URL of that cluster. */
  server: string;
  namespace: string;
  /** True when --kubeconfig or --context was given on this command line (the cluster guard trusts those). */
  explicit: boolean;
  /** Where the kubeconfig path came from, for messages. */
  kubeconfigSource: string;
}

export interface ResolveTargetOptions {
  /** The app's own namespace, used unless --namespace / DECKHAND_NAMESPACE says otherwise. */
  defaultNamespace: string;
  /** Kubeconfig written by `tasks.ts kubeconfig` for the managed cluster, if any. */
  managedKubeconfig?: string;
  /** Flags given on this command line (to tell an explicit choice from a configured default). */
  explicitFlags: { kubeconfig?: string; context?: string };
  homeDir?: string;
}

export function resolveTarget(config: Config, options: ResolveTargetOptions): KubeTarget {
  const { files, source } = chooseKubeconfig(config, options);
  const merged = mergeKubeconfigs(files.map((file) => ({ file, document: readKubeconfig(file, source) })));
  // One file keeps today's messages; several are named as the list KUBECONFIG gave.
  const where =
    files.length === 1 ? files[0]! : `the ${plural(files.length, 'file')} KUBECONFIG lists (${files.join(', ')})`;
  const contextName = config.kube.context ?? merged.currentContext?.name;
  const contextNames = [...merged.contexts.keys()];
  if (!contextName) {
    throw new UsageError(
      `${where} has no current-context and no context was chosen.`,
      `Pass --context NAME (one of: ${contextNames.join(', ') || 'none defined'}).`,
    );
  }
  const context = merged.contexts.get(contextName);
  if (!context) {
    throw new UsageError(
      `Context "${contextName}" is not in ${where}.`,
      `Contexts there: ${contextNames.join(', ') || 'none'}. Pass --context with one of them, or --kubeconfig with another file.`,
    );
  }
  const clusterName = context.entry.context?.cluster;
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (!clusterName || !cluster?.entry.cluster?.server) {
    throw new DeckhandError(
      `Context "${contextName}" in ${context.file} points at cluster "${clusterName ?? '?'}", which has no server address.`,
      `Download a fresh kubeconfig: ${deckhand('kubeconfig')}`,
    );
  }
  const namespace = config.kube.namespace ?? options.defaultNamespace;
  if (!isDnsLabel(namespace))
    throw new UsageError(
      `"${namespace}" is not a valid namespace name.`,
      'Use lowercase letters, digits and -, at most 63 characters.',
    );
  return {
    kubeconfig: files.length === 1 ? files[0]! : kubeconfigForContext(merged, contextName),
    context: contextName,
    cluster: clusterName,
    server: cluster.entry.cluster.server,
    namespace,
    explicit: Boolean(options.explicitFlags.kubeconfig || options.explicitFlags.context),
    kubeconfigSource:
      files.length === 1
        ? source
        : `${source}: ${files.join(path.delimiter)}, merged as kubectl does; context "${contextName}" from ${context.file}`,
  };
}

/** `--kubeconfig F --context C`: the target arguments for every kubectl call. */
export function kubectlTargetArgs(target: KubeTarget): string[] {
  return ['--kubeconfig', target.kubeconfig, '--context', target.context];
}

/** `--kubeconfig F --kube-context C`: the target arguments for every helm call. */
export function helmTargetArgs(target: KubeTarget): string[] {
  return ['--kubeconfig', target.kubeconfig, '--kube-context', target.context];
}

/** The one line printed before any write, so nobody changes a cluster without seeing which one. */
export function targetBanner(target: KubeTarget): string {
  return `Target: context "${target.context}" · API server ${target.server} · namespace "${target.namespace}"`;
}

/** Warns when a kubeconfig (a credential) can be read by other users of the machine. */
export function kubeconfigPermissionProblem(file: string): string | undefined {
  // A kubeconfig merged from several files is deckhand's own 0600 copy: the files it was made from are the question.
  const problems = kubeconfigSources(file).flatMap((source) => {
    try {
      const mode = statSync(source).mode & 0o777;
      return mode & 0o077
        ? [
            `${source} is readable by other users (mode ${mode.toString(8)}); it holds cluster credentials. Fix: chmod 600 ${source}`,
          ]
        : [];
    } catch {
      return [];
    }
  });
  return problems.length > 0 ? problems.join('\n') : undefined;
}

function chooseKubeconfig(config: Config, options: ResolveTargetOptions): { files: string[]; source: string } {
  const home = options.homeDir ?? os.homedir();
  const configured = config.kube.kubeconfig;
  if (configured && options.explicitFlags.kubeconfig) {
    if (configured.includes(path.delimiter)) {
      throw new UsageError(
        `--kubeconfig takes one file, as kubectl's does; it was given a list (${configured}).`,
        'Pass one file, or list the files in KUBECONFIG: deckhand merges them as kubectl does.',
      );
    }
    return { files: [path.resolve(expandHome(configured, home))], source: '--kubeconfig' };
  }
  if (configured) {
    const listed = kubeconfigList(configured, home);
    if (listed.length === 1) return { files: listed, source: 'KUBECONFIG' };
    const existing = existingKubeconfigs(listed);
    if (existing.length === 0) {
      throw new UsageError(
        `None of the files KUBECONFIG lists exists: ${listed.join(', ')}.`,
        `Fix KUBECONFIG, get a kubeconfig with \`${deckhand('kubeconfig')}\`, or pass --kubeconfig FILE.`,
      );
    }
    return { files: existing, source: 'KUBECONFIG' };
  }
  if (options.managedKubeconfig)
    return { files: [options.managedKubeconfig], source: 'the managed cluster (.deckhand/cluster.json)' };
  return { files: [path.join(home, '.kube', 'config')], source: 'the default ~/.kube/config' };
}

function expandHome(file: string, home: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(home, file.slice(1)) : file;
}
