/**
 * StatefulSets and DaemonSets report themselves ready at once. They run no simulated pods: enough for
 * `helm --wait` on charts that include one, not for tests about their pods.
 */
import { getPath } from '../json.ts';
import { typeFor } from '../resources.ts';
import { NODE_NAMES } from '../seed.ts';
import type { StoreEvent } from '../store.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const STATEFUL_SET = typeFor('apps/v1', 'StatefulSet');
const DAEMON_SET = typeFor('apps/v1', 'DaemonSet');

export class WorkloadStatusController implements Controller {
  readonly name = 'workload-status';
  private readonly ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    if (event.type === 'DELETED' || obj.metadata.deletionTimestamp) return;
    const generation = obj.metadata.generation ?? 1;
    if (obj.kind === 'StatefulSet') {
      const replicas = Number(getPath(obj, 'spec.replicas') ?? 1);
      const revision = `${obj.metadata.name ?? ''}-${generation}`;
      this.ctx.registry.writeStatus(STATEFUL_SET, {
        ...obj,
        status: {
          observedGeneration: generation,
          replicas,
          readyReplicas: replicas,
          currentReplicas: replicas,
          updatedReplicas: replicas,
          availableReplicas: replicas,
          currentRevision: revision,
          updateRevision: revision,
          collisionCount: 0,
        },
      });
    } else if (obj.kind === 'DaemonSet') {
      const nodes = NODE_NAMES.length;
      this.ctx.registry.writeStatus(DAEMON_SET, {
        ...obj,
        status: {
          observedGeneration: generation,
          desiredNumberScheduled: nodes,
          currentNumberScheduled: nodes,
          numberReady: nodes,
          numberAvailable: nodes,
          updatedNumberScheduled: nodes,
          numberMisscheduled: 0,
        },
      });
    }
  }
}
