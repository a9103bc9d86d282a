/**
 * What the simulated controllers share. Store changes reach controllers asynchronously (queued, then delivered in
 * order on the next turn of the event loop), so a controller never runs inside another write, and each reconcile
 * reads the current state, as real level-triggered controllers do. All delays go through `Timers`, which `stop()`
 * clears, and every exception becomes a loud gap.
 */
import type { Registry } from '../registry.ts';
import type { ObjectStore, StoreEvent } from '../store.ts';
import type { SimTimings } from '../types.ts';
import type { BehaviorBook } from '../behaviors.ts';
import type { LogBook } from '../logs.ts';
import type { VolumeStore } from '../volumes.ts';
import type { EventRecorder } from './events.ts';

export class Timers {
  private readonly handles = new Set<NodeJS.Timeout>();
  private readonly onError: (where: string, error: unknown) => void;
  private stopped = false;

  constructor(onError: (where: string, error: unknown) => void) {
    this.onError = onError;
  }

  /** Runs `fn` after `ms`; returns a cancel function. */
  after(ms: number, where: string, fn: () => void): () => void {
    if (this.stopped) return () => undefined;
    const handle = setTimeout(
      () => {
        this.handles.delete(handle);
        if (this.stopped) return;
        try {
          fn();
        } catch (error) {
          this.onError(where, error);
        }
      },
      Math.max(0, ms),
    );
    this.handles.add(handle);
    return () => {
      clearTimeout(handle);
      this.handles.delete(handle);
    };
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}

export interface ControllerContext {
  store: ObjectStore;
  registry: Registry;
  events: EventRecorder;
  timers: Timers;
  timings: SimTimings;
  behaviors: BehaviorBook;
  logs: LogBook;
  volumes: VolumeStore;
  reportError(where: string, error: unknown): void;
  recordGap(reason: string): void;
}

export interface Controller {
  readonly name: string;
  handle(event: StoreEvent): void;
}

/** Delivers store events to controllers in order, one event-loop turn after the write that caused them. */
export class ControllerManager {
  private readonly controllers: Controller[] = [];
  private readonly queue: StoreEvent[] = [];
  private readonly ctx: ControllerContext;
  private scheduled = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.unsubscribe = ctx.store.subscribe((event) => {
      this.queue.push(event);
      this.schedule();
    });
  }

  add(controller: Controller): void {
    this.controllers.push(controller);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    // Events that controllers cause while draining are queued behind and handled in this same pass.
    let handled = 0;
    while (this.queue.length > 0 && !this.stopped) {
      const event = this.queue.shift();
      if (!event) break;
      for (const controller of this.controllers) {
        try {
          controller.handle(event);
        } catch (error) {
          this.ctx.reportError(
            `${controller.name} handling ${event.type} ${event.object.kind} ${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}`,
            error,
          );
        }
      }
      handled += 1;
      if (handled > 10_000) {
        this.ctx.reportError(
          'controller manager',
          new Error('more than 10000 events in one pass: a controller is looping'),
        );
        this.queue.length = 0;
      }
    }
  }
}
