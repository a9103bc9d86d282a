/**
 * Namespaces: each new one gets the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap; a deleted one
 * stays Terminating while everything in it is deleted (pods gracefully, claims after their protection is lifted),
 * and disappears once it is empty.
 */
import { RESOURCE_TYPES, typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const NAMESPACE = typeFor('v1', 'Namespace');
const NAMESPACED = RESOURCE_TYPES.filter((t) => t.namespaced && t.verbs.includes('delete'));

const FAKE_CA = '-----BEGIN CERTIFICATE-----\nMIIBkube-sim-not-a-real-certificate\n-----END CERTIFICATE-----\n';

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private readonly ctx: ControllerContext;
  private readonly cleaning = new Set<string>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    if (obj.kind === 'Namespace') {
      if (event.type === 'ADDED') this.populate(obj.metadata.name ?? '');
      if (event.type === 'MODIFIED' && obj.metadata.deletionTimestamp) this.beginCleanup(obj.metadata.name ?? '');
      return;
    }
    const namespace = obj.metadata.namespace;
    if (event.type === 'DELETED' && namespace && this.cleaning.has(namespace)) this.finishIfEmpty(namespace);
  }

  private populate(namespace: string): void {
    const ns = this.ctx.registry.find(NAMESPACE, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const sa = typeFor('v1', 'ServiceAccount');
    if (!this.ctx.registry.find(sa, namespace, 'default')) {
      this.ctx.registry.create(sa, namespace, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default' },
      });
    }
    const cm = typeFor('v1', 'ConfigMap');
    if (!this.ctx.registry.find(cm, namespace, 'kube-root-ca.crt')) {
      this.ctx.registry.create(cm, namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': FAKE_CA },
      });
    }
  }

  private beginCleanup(namespace: string): void {
    if (this.cleaning.has(namespace)) return;
    this.cleaning.add(namespace);
    this.ctx.timers.after(this.ctx.timings.namespaceCleanupMs, `namespace cleanup ${namespace}`, () => {
      for (const type of NAMESPACED) {
        for (const obj of this.ctx.registry.list(type, { namespace })) {
          if (obj.metadata.deletionTimestamp) continue;
          this.ctx.registry.delete(type, namespace, obj.metadata.name ?? '', { propagationPolicy: 'Background' });
        }
      }
      this.finishIfEmpty(namespace);
    });
  }

  private finishIfEmpty(namespace: string): void {
    const remaining = NAMESPACED.some((type) => this.ctx.registry.list(type, { namespace }).length > 0);
    if (remaining) return;
    const ns = this.ctx.registry.find(NAMESPACE, undefined, namespace);
    this.cleaning.delete(namespace);
    if (ns?.metadata.deletionTimestamp) this.ctx.registry.remove(NAMESPACE, ns);
  }
}
