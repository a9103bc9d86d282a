/**
 * The Kubernetes target: one kubeconfig file, one context, one namespace — resolved once per run and passed
 * explicitly to every helm and kubectl call, so nothing ever lands on whatever cluster happens to be the ambient
 * current-context.
 *
 * Which kubeconfig, highest first: --kubeconfig > KUBECONFIG (environment, then .env) > the kubeconfig that
 * `tasks.ts kubeconfig` wrote for the cluster this project manages > ~/.kube/config.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Config } from './config.ts';
import { DeckhandError, UsageError } from './errors.ts';
import { isDnsLabel } from './names.ts';
import { deckhand } from './hints.ts';

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

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; namespace?: string; user?: string } }[];
  clusters?: { name: string; cluster?: { server?: string } }[];
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
  const { file, source } = chooseKubeconfig(config, options);
  const parsed = readKubeconfig(file, source);
  const contextName = config.kube.context ?? parsed['current-context'];
  const contextNames = (parsed.contexts ?? []).map((entry) => entry.name);
  if (!contextName) {
    throw new UsageError(
      `${file} has no current-context and no context was chosen.`,
      `Pass --context NAME (one of: ${contextNames.join(', ') || 'none defined'}).`,
    );
  }
  const context = parsed.contexts?.find((entry) => entry.name === contextName);
  if (!context) {
    throw new UsageError(
      `Context "${contextName}" is not in ${file}.`,
      `Contexts there: ${contextNames.join(', ') || 'none'}. Pass --context with one of them, or --kubeconfig with another file.`,
    );
  }
  const clusterName = context.context?.cluster;
  const cluster = parsed.clusters?.find((entry) => entry.name === clusterName);
  if (!clusterName || !cluster?.cluster?.server) {
    throw new DeckhandError(
      `Context "${contextName}" in ${file} points at cluster "${clusterName ?? '?'}", which has no server address.`,
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
    kubeconfig: file,
    context: contextName,
    cluster: clusterName,
    server: cluster.cluster.server,
    namespace,
    explicit: Boolean(options.explicitFlags.kubeconfig || options.explicitFlags.context),
    kubeconfigSource: source,
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
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077)
      return `${file} is readable by other users (mode ${mode.toString(8)}); it holds cluster credentials. Fix: chmod 600 ${file}`;
  } catch {
    return undefined;
  }
  return undefined;
}

function chooseKubeconfig(config: Config, options: ResolveTargetOptions): { file: string; source: string } {
  const home = options.homeDir ?? os.homedir();
  const configured = config.kube.kubeconfig;
  if (configured) {
    if (configured.includes(path.delimiter)) {
      throw new UsageError(
        `KUBECONFIG lists several files (${configured}); deckhand uses exactly one so the target is never ambiguous.`,
        'Pass --kubeconfig FILE to choose one.',
      );
    }
    const source = options.explicitFlags.kubeconfig ? '--kubeconfig' : 'KUBECONFIG';
    return { file: path.resolve(expandHome(configured, home)), source };
  }
  if (options.managedKubeconfig)
    return { file: options.managedKubeconfig, source: 'the managed cluster (.deckhand/cluster.json)' };
  return { file: path.join(home, '.kube', 'config'), source: 'the default ~/.kube/config' };
}

function readKubeconfig(file: string, source: string): KubeconfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(
        `No kubeconfig at ${file} (from ${source}).`,
        `Get one with \`${deckhand('kubeconfig')}\`, pass --kubeconfig FILE, or try everything against a simulated cluster: npm run sim -- --kubeconfig /tmp/sim.yaml`,
      );
    }
    if (code === 'EISDIR') {
      throw new UsageError(
        `The kubeconfig ${file} (from ${source}) is a folder, not a file.`,
        'Name the kubeconfig file itself, e.g. --kubeconfig ~/.kube/config.',
      );
    }
    throw error;
  }
  try {
    return (parseYaml(text) ?? {}) as KubeconfigFile;
  } catch (error) {
    throw new UsageError(
      `${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      `Download a fresh kubeconfig: ${deckhand('kubeconfig')}`,
    );
  }
}

function expandHome(file: string, home: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(home, file.slice(1)) : file;
}
