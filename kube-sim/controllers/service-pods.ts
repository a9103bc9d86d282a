/**
 * The parts of the simulated kubelet that only long-running (Deployment) containers exercise: readiness driven by
 * the container's own probe settings (a slow start, or a container that never turns Ready), and the wording of
 * image pull failures and restart back-offs.
 */
import type { PodPlan } from '../behaviors.ts';
import { gatingProbe, probeFailureMessage, readinessProbe, slowStartSeconds } from './probes.ts';

type Obj = Record<string, unknown>;

export interface ReadinessHooks {
  later(ms: number, fn: () => void): void;
  podIP(): string;
  /** A Warning `Unhealthy` event, e.g. "Readiness probe failed: HTTP probe failed with statuscode: 503". */
  unhealthy(message: string): void;
  /** The startup probe passed: `started` turns true (readiness probing begins). */
  started(): void;
  ready(): void;
  gap(reason: string): void;
}

/**
 * Runs the probes of a container that is not Ready at once. `never`: the startup probe (if any) passes at its first
 * period, then the readiness probe fails every period forever. `after`: the gating probe fails every period until
 * the container turns Ready (by default just inside the window the probe allows).
 */
export function driveReadiness(
  container: Obj | undefined,
  plan: PodPlan,
  msPerSecond: number,
  hooks: ReadinessHooks,
): void {
  const readiness = plan.readiness;
  if (!readiness) return;
  const failure = (probe: Obj): string => plan.probeMessage ?? probeFailureMessage(probe, container, hooks.podIP());
  if (readiness.mode === 'never') {
    const probe = readinessProbe(container);
    if (!probe) {
      hooks.gap(
        `container "${String(container?.['name'])}" is scripted never-ready but has no readinessProbe: a real kubelet would report it Ready`,
      );
      return;
    }
    const startup = gatingProbe(container);
    const startedAt = startup && startup.which === 'Startup' ? startup.initialDelaySeconds + startup.periodSeconds : 0;
    if (startedAt > 0) hooks.later(startedAt * msPerSecond, () => hooks.started());
    const first = Math.max(startedAt, probe.initialDelaySeconds);
    const tick = (): void => {
      hooks.unhealthy(`Readiness probe failed: ${failure(probe.probe)}`);
      hooks.later(probe.periodSeconds * msPerSecond, tick);
    };
    hooks.later(first * msPerSecond, tick);
    return;
  }
  const probe = gatingProbe(container);
  const readyAtMs = readiness.ms ?? slowStartSeconds(container) * msPerSecond;
  hooks.later(readyAtMs, () => {
    hooks.started();
    hooks.ready();
  });
  if (!probe) return;
  const periodMs = probe.periodSeconds * msPerSecond;
  for (let at = probe.initialDelaySeconds * msPerSecond; at < readyAtMs; at += periodMs) {
    hooks.later(at, () => hooks.unhealthy(`${probe.which} probe failed: ${failure(probe.probe)}`));
  }
}

/** The containerd error for a failed pull of `reference` (already fully qualified), as the kubelet quotes it. */
export function pullErrorMessage(reference: string, why: PodPlan['pullError']): string {
  if (why === 'unauthorized') {
    const [registry = 'docker.io', ...rest] = reference.split('/');
    const repository = rest.join('/').replace(/[:@].*$/, '');
    return `rpc error: code = Unknown desc = failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${registry}/token?scope=repository%3A${encodeURIComponent(repository).replace(/%2F/g, '%2F')}%3Apull&service=${registry}: 401 Unauthorized`;
  }
  if (why === 'wrong-platform')
    return `rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": no match for platform in manifest: not found`;
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ${reference}: not found`;
}

/** The kubelet's restart back-off as it quotes it: 10s, doubling per restart, capped at 5m0s. */
export function backOffText(restarts: number): string {
  const secondsTotal = Math.min(300, 10 * 2 ** Math.max(0, restarts - 1));
  return secondsTotal >= 300
    ? '5m0s'
    : secondsTotal >= 60
      ? `${Math.floor(secondsTotal / 60)}m${secondsTotal % 60}s`
      : `${secondsTotal}s`;
}
