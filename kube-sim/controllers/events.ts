/**
 * Core v1 Events, as controllers and the kubelet record them: `involvedObject` is filled so `--field-selector
 * involvedObject.name=X` works, and repeats of the same reason and message are counted on one Event (like
 * client-go's event aggregation) instead of piling up.
 */
import { hashHex, timestamp } from '../json.ts';
import type { Registry } from '../registry.ts';
import { typeFor } from '../resources.ts';
import type { KubeObject } from '../types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  component: string;
  host?: string;
}

const EVENT = typeFor('v1', 'Event');

export class EventRecorder {
  private readonly registry: Registry;
  private readonly byKey = new Map<string, string>();

  constructor(registry: Registry) {
    this.registry = registry;
  }

  record(
    involved: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const involvedName = involved.metadata.name ?? '';
    const key = [involved.metadata.uid, fieldPath ?? '', type, reason, message, source.component].join('\u0000');
    const existingName = this.byKey.get(key);
    const now = timestamp();
    if (existingName) {
      const existing = this.registry.find(EVENT, namespace, existingName);
      if (existing) {
        existing['count'] = Number(existing['count'] ?? 1) + 1;
        existing['lastTimestamp'] = now;
        this.registry.writeInternal(EVENT, existing);
        return;
      }
    }
    const name = `${involvedName}.${hashHex(16)}`;
    // Events in a namespace being deleted cannot be created; losing them then is what a real cluster does too.
    const ns = this.registry.find(typeFor('v1', 'Namespace'), undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    this.registry.create(EVENT, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involvedName,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
    this.byKey.set(key, name);
  }
}
