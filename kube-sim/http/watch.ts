/**
 * Watch streams: newline-delimited `{"type","object"}` JSON over chunked encoding. Two client dialects matter:
 * kubectl lists then watches from the list's resourceVersion; helm 4 (client-go WatchListClient) opens
 * `sendInitialEvents=true` and waits for a BOOKMARK annotated `k8s.io/initial-events-end: "true"`.
 * Headers are flushed at once (client-go otherwise blocks on a quiet watch), and a stream ends when the client
 * closes the response, when `timeoutSeconds` passes, or when the simulator stops.
 */
import type { ServerResponse } from 'node:http';
import { clone } from '../json.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from '../selectors.ts';
import type { ObjectStore, StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { toTable } from './table.ts';

export interface WatchSpec {
  type: ResourceType;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  resourceVersion?: string;
  sendInitialEvents: boolean;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  table: boolean;
  includeObject: string;
}

/** What an open watch follows: its resource's plural, namespace, and whether it resumed from a resourceVersion. */
export interface OpenWatch {
  resource: string;
  namespace?: string;
  resourceVersion?: string;
}

/**
 * Open streams (watches, log follows, exec sessions), closed together when the simulator stops. Watches are known
 * apart so a test can end just them, as a real API server does when a watch's timeout (30–60 min) runs out.
 */
export class StreamTracker {
  private readonly closers = new Map<() => void, OpenWatch | undefined>();

  add(close: () => void, watch?: OpenWatch): () => void {
    this.closers.set(close, watch);
    return () => this.closers.delete(close);
  }

  get size(): number {
    return this.closers.size;
  }

  watches(): OpenWatch[] {
    return [...this.closers.values()].filter((watch): watch is OpenWatch => watch !== undefined);
  }

  /** Ends the open watches (all, or those `which` picks) cleanly; returns how many. */
  closeWatches(which: (watch: OpenWatch) => boolean = () => true): number {
    const picked = [...this.closers].filter(([, watch]) => watch !== undefined && which(watch));
    for (const [close] of picked) close();
    return picked.length;
  }

  closeAll(): void {
    for (const close of [...this.closers.keys()]) close();
    this.closers.clear();
  }
}

function matches(spec: WatchSpec, obj: KubeObject | undefined): boolean {
  if (!obj) return false;
  if (spec.namespace !== undefined && spec.type.namespaced && obj.metadata.namespace !== spec.namespace) return false;
  return matchesLabels(spec.labelSelector, obj.metadata.labels) && matchesFields(spec.fieldSelector, obj);
}

/** Translates a store change into what this watch sees, turning selector moves into ADDED/DELETED. */
function translate(spec: WatchSpec, event: StoreEvent): { type: string; object: KubeObject } | undefined {
  if (
    event.resource !== spec.type &&
    (event.resource.group !== spec.type.group || event.resource.plural !== spec.type.plural)
  )
    return undefined;
  const now = matches(spec, event.object);
  if (event.type === 'MODIFIED') {
    const before = matches(spec, event.previous);
    if (now && before) return { type: 'MODIFIED', object: event.object };
    if (now) return { type: 'ADDED', object: event.object };
    if (before) return { type: 'DELETED', object: event.object };
    return undefined;
  }
  return now ? { type: event.type, object: event.object } : undefined;
}

export function serveWatch(res: ServerResponse, store: ObjectStore, spec: WatchSpec, streams: StreamTracker): void {
  const replay: Array<{ type: string; object: KubeObject }> = [];
  const rv = spec.resourceVersion;
  if (spec.sendInitialEvents || rv === undefined || rv === '' || rv === '0') {
    for (const obj of store.list(spec.type, spec.type.namespaced ? spec.namespace : undefined)) {
      if (matches(spec, obj)) replay.push({ type: 'ADDED', object: obj });
    }
  } else {
    // Throws 410 Gone before any header is written when the history no longer reaches back that far.
    for (const event of store.eventsSince(Number(rv))) {
      const seen = translate(spec, event);
      if (seen) replay.push(seen);
    }
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let firstTableEvent = true;
  const send = (type: string, object: KubeObject): void => {
    let payload: unknown = object;
    if (spec.table && type !== 'BOOKMARK') {
      payload = toTable(
        spec.type.kind,
        [object],
        object.metadata.resourceVersion ?? '',
        spec.includeObject,
        firstTableEvent,
      );
      firstTableEvent = false;
    }
    res.write(`${JSON.stringify({ type, object: payload })}\n`);
  };
  for (const event of replay) send(event.type, clone(event.object));
  if (spec.sendInitialEvents && spec.allowBookmarks) {
    send('BOOKMARK', {
      kind: spec.type.kind,
      apiVersion: apiVersionOf(spec.type),
      metadata: {
        resourceVersion: String(store.currentRevision()),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      },
    });
  }

  const unsubscribe = store.subscribe((event) => {
    const seen = translate(spec, event);
    if (seen) send(seen.type, clone(seen.object));
  });
  let timer: NodeJS.Timeout | undefined;
  const close = (): void => {
    unsubscribe();
    untrack();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const untrack = streams.add(close, {
    resource: spec.type.plural,
    ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
    ...(rv !== undefined && rv !== '' && rv !== '0' && !spec.sendInitialEvents ? { resourceVersion: rv } : {}),
  });
  if (spec.timeoutSeconds && spec.timeoutSeconds > 0) timer = setTimeout(close, spec.timeoutSeconds * 1000);
  res.on('close', close);
}
