/**
 * Streaming sessions (exec, port-forward) held open to a pod. When the pod stops running or is deleted, its
 * containers and network namespace are gone on a real node, and so are these sessions: the kubelet ends them.
 */
import { getPath } from './json.ts';
import type { StoreEvent } from './store.ts';
import type { Controller } from './controllers/runtime.ts';

export class PodSessions implements Controller {
  readonly name = 'pod-sessions';
  private readonly byPod = new Map<string, Set<() => void>>();

  /** Registers how to end a session to the pod with this uid; returns how to forget it (when it ends by itself). */
  add(podUid: string, end: () => void): () => void {
    const set = this.byPod.get(podUid) ?? new Set();
    set.add(end);
    this.byPod.set(podUid, set);
    return () => {
      set.delete(end);
      if (set.size === 0 && this.byPod.get(podUid) === set) this.byPod.delete(podUid);
    };
  }

  handle(event: StoreEvent): void {
    const pod = event.object;
    if (pod.kind !== 'Pod') return;
    const uid = pod.metadata.uid ?? '';
    const gone =
      event.type === 'DELETED' ||
      pod.metadata.deletionTimestamp !== undefined ||
      getPath(pod, 'status.phase') !== 'Running';
    if (gone) this.end(uid);
  }

  end(podUid: string): void {
    const set = this.byPod.get(podUid);
    if (!set) return;
    this.byPod.delete(podUid);
    for (const end of [...set]) end();
  }
}
