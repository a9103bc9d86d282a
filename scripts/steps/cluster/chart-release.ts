/**
 * A cluster add-on installed from a pinned remote chart (Traefik, Headlamp): what is installed now, and whether the
 * wanted version and values differ from it. `helm upgrade` always makes a new revision — and restarts pods whose
 * template carries a checksum — even when nothing changed, so a re-run with the same version and values must not run
 * it at all: that is what makes `ingress install` and `dashboard install` idempotent.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import * as helm from '../../helm.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';

export interface InstalledRelease {
  status: helm.ReleaseStatus;
  revision: number;
  /** e.g. "41.3.0", from helm's "traefik-41.3.0". */
  chartVersion: string;
  appVersion: string;
  values: Record<string, unknown>;
}

export type ReleaseDecision =
  { action: 'install' } | { action: 'upgrade'; reason: string } | { action: 'unchanged'; reason: string };

/** The release, or undefined when it is not installed. */
export async function readRelease(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
  chartName: string,
): Promise<InstalledRelease | undefined> {
  const [entries, values] = await Promise.all([
    helm.list(shell, target, namespace, `^${release}$`),
    helm.getValues(shell, target, namespace, release),
  ]);
  const entry = entries.find((candidate) => candidate.name === release);
  if (!entry || values === undefined) return undefined;
  return {
    status: entry.status,
    revision: Number(entry.revision),
    chartVersion: entry.chart.startsWith(`${chartName}-`) ? entry.chart.slice(chartName.length + 1) : entry.chart,
    appVersion: entry.app_version,
    values,
  };
}

/** The values helm will record for `--values FILE` plus `--set-string` pairs: the file, with each pair set in it. */
export function wantedValues(
  valuesFileText: string,
  setString: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const values = (parseYaml(valuesFileText) ?? {}) as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(setString)) {
    const keys = dotted.split('.');
    let node = values;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node = (next !== null && typeof next === 'object' && !Array.isArray(next) ? next : (node[key] = {})) as Record<
        string,
        unknown
      >;
    }
    node[keys.at(-1)!] = value;
  }
  return values;
}

/** Which top-level value sections differ (names only: values can hold personal data such as an email address). */
export function changedSections(live: Record<string, unknown>, wanted: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(live), ...Object.keys(wanted)]);
  return [...keys].filter((key) => !isDeepStrictEqual(live[key], wanted[key])).sort();
}

export function decideRelease(
  live: InstalledRelease | undefined,
  wanted: { chartVersion: string; values: Record<string, unknown> },
): ReleaseDecision {
  if (!live) return { action: 'install' };
  if (live.status !== 'deployed') return { action: 'upgrade', reason: `the release is ${live.status}` };
  if (live.chartVersion !== wanted.chartVersion)
    return { action: 'upgrade', reason: `chart ${live.chartVersion} → ${wanted.chartVersion}` };
  const changed = changedSections(live.values, wanted.values);
  if (changed.length > 0) return { action: 'upgrade', reason: `values changed: ${changed.join(', ')}` };
  return { action: 'unchanged', reason: `chart ${live.chartVersion} with these values, revision ${live.revision}` };
}
