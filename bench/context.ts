import type { Call } from './http';
import type { BenchStack } from './stack';

export interface BenchContext {
  stack: BenchStack;
  call: Call;
  /** BENCH_SCALE: 1 is the full run; sizes and durations scale with it. */
  scale: number;
  log: (line: string) => void;
}

/** A size at this scale, never below `min`. */
export function scaled(ctx: BenchContext, full: number, min = 1): number {
  return Math.max(min, Math.round(full * ctx.scale));
}

export function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, msToWait)));
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(runners);
  return results;
}
