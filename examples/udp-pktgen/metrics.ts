/**
 * What the comparison measures in each sending thread: garbage collections (PerformanceObserver
 * 'gc' entries: count and total pause) and event-loop delay (perf_hooks.monitorEventLoopDelay,
 * sampled every millisecond). Both are per isolate, so every thread measures its own.
 */
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import type { PerformanceObserverEntryList } from 'node:perf_hooks';

/** A thread's garbage collections and event-loop delay over a measured stretch. */
export interface ThreadMetrics {
  gcCount: number;
  gcMs: number;
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
}

export function startThreadMetrics(): { stop(): ThreadMetrics } {
  let gcCount = 0;
  let gcMs = 0;
  const count = (list: Pick<PerformanceObserverEntryList, 'getEntries'>): void => {
    for (const entry of list.getEntries()) {
      gcCount += 1;
      gcMs += entry.duration;
    }
  };
  const observer = new PerformanceObserver(count);
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  return {
    /** Stops measuring and returns { gcCount, gcMs, eventLoopDelay: { p50Ms, p99Ms, maxMs } }. */
    stop() {
      delay.disable();
      // Entries not yet delivered to the callback would be lost on disconnect.
      count({ getEntries: () => observer.takeRecords() });
      observer.disconnect();
      // A run shorter than one sample (a fast udp-mode worker) has no delay to report.
      const sampled = delay.count > 0;
      const ms = (ns: number): number => (sampled && Number.isFinite(ns) ? ns / 1e6 : 0);
      return {
        gcCount,
        gcMs,
        eventLoopDelay: { p50Ms: ms(delay.percentile(50)), p99Ms: ms(delay.percentile(99)), maxMs: ms(delay.max) },
      };
    },
  };
}

/** A counter of this thread's GCs that keeps running (the sink reports it for each mode). */
export function gcCounter(): { read(): number } {
  const state = { count: 0 };
  const observer = new PerformanceObserver((list) => {
    state.count += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    read() {
      state.count += observer.takeRecords().length;
      return state.count;
    },
  };
}
