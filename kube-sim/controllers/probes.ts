/**
 * Probe timing and wording, as the kubelet derives them from a container's startupProbe/readinessProbe. Simulated
 * time is the probe's seconds times `probeMsPerSecond`, so a test sees the same number of probe periods (and of
 * Unhealthy events) as a real node, only faster.
 */
import { getPath, isPlainObject } from '../json.ts';

type Obj = Record<string, unknown>;

export interface ProbeTiming {
  which: 'Startup' | 'Readiness';
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  /** The probe as written, for its failure message. */
  probe: Obj;
}

function seconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && value >= 0 ? value : fallback;
}

/** The probe that gates readiness first: the startup probe when there is one, else the readiness probe. */
export function gatingProbe(container: Obj | undefined): ProbeTiming | undefined {
  for (const [key, which] of [
    ['startupProbe', 'Startup'],
    ['readinessProbe', 'Readiness'],
  ] as const) {
    const probe = container?.[key];
    if (isPlainObject(probe)) return timingOf(probe, which);
  }
  return undefined;
}

export function readinessProbe(container: Obj | undefined): ProbeTiming | undefined {
  const probe = container?.['readinessProbe'];
  return isPlainObject(probe) ? timingOf(probe, 'Readiness') : undefined;
}

function timingOf(probe: Obj, which: ProbeTiming['which']): ProbeTiming {
  return {
    which,
    initialDelaySeconds: seconds(probe['initialDelaySeconds'], 0),
    periodSeconds: Math.max(1, seconds(probe['periodSeconds'], 10)),
    failureThreshold: Math.max(1, seconds(probe['failureThreshold'], 3)),
    probe,
  };
}

/**
 * When a slow container turns Ready unless told otherwise: after failing all but the last probe its gating probe
 * allows (`initialDelaySeconds + periodSeconds × (failureThreshold − 1)`, plus half a period), so it is slow but
 * inside the window a roll-out watcher must tolerate.
 */
export function slowStartSeconds(container: Obj | undefined): number {
  const probe = gatingProbe(container);
  if (!probe) return 5;
  return probe.initialDelaySeconds + probe.periodSeconds * (probe.failureThreshold - 1) + probe.periodSeconds / 2;
}

function resolvePort(container: Obj | undefined, port: unknown): string {
  if (typeof port === 'number') return String(port);
  const ports = Array.isArray(container?.['ports']) ? (container['ports'] as unknown[]).filter(isPlainObject) : [];
  const named = ports.find((p) => p['name'] === port);
  return named ? String(named['containerPort']) : String(port);
}

/** The text after "Readiness probe failed: " in the kubelet's Unhealthy event, by the probe's handler. */
export function probeFailureMessage(probe: Obj, container: Obj | undefined, podIP: string): string {
  if (isPlainObject(probe['httpGet'])) return 'HTTP probe failed with statuscode: 503';
  if (isPlainObject(probe['tcpSocket']))
    return `dial tcp ${podIP}:${resolvePort(container, getPath(probe, 'tcpSocket.port'))}: connect: connection refused`;
  if (isPlainObject(probe['grpc'])) return `service unhealthy (responded with "NOT_SERVING")`;
  // An exec probe reports the command's output, which for most health checks is empty.
  return '';
}
