/**
 * How the process's V8 heap grows. pf-fleet's live heap is small and flat (~30 MB while a 50,000-bet chord runs),
 * but a batch allocates ~20 kB of short-lived objects per bet, and what is in flight across a call's await is
 * promoted to the old generation before it dies.
 *
 * - Old generation: V8 lets it grow to up to 4× the live heap between major collections when it judges the
 *   program throughput-bound, so a long batch held ~125 MB of garbage (RSS ~245 MB) for a lazy collection. A
 *   growing factor of 1.5 (V8 picks 1.1–4 itself; 1.3 is its conservative setting) keeps it near the live heap.
 * - Young generation: each semi-space starts at 1 MB and doubles, under load, up to 16 MB (32 MB of RSS for the
 *   pair). Its ceiling (`--max-semi-space-size`) is read only when node starts, but the growth step is read at
 *   each growth: once a semi-space has reached 8 MB, the step is set to 1 and the young generation stays there —
 *   what `--max-semi-space-size=8` does, ~16 MB less at peak.
 * Both measured in bench/RESULTS.md: no loss of bets per second beyond the machine's noise.
 *
 * A flag given to node itself wins over each of these: `--max-semi-space-size` on its command line or in
 * NODE_OPTIONS, `--heap-growing-percent` on its command line (node refuses it in NODE_OPTIONS).
 */
import { channel } from "node:diagnostics_channel";
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import type { Worker } from "node:worker_threads";

export const HEAP_GROWING_PERCENT = 50;
export const MAX_SEMI_SPACE_MB = 8;

function givenToNode(flag: string): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => a.includes(flag));
}

export function tuneHeap(): void {
  if (!givenToNode("heap-growing-percent")) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (!givenToNode("semi-space")) capYoungGeneration(MAX_SEMI_SPACE_MB);
}

/** held here: Node 20 keeps a channel only as long as someone references it */
const workerThreads = channel("worker_threads");

let youngGenerationCapped = false;

/** Whether the young generation's growth has been stopped (a new isolate would undo it). */
export function youngGenerationStopped(): boolean {
  return youngGenerationCapped;
}

function stopGrowth(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/** A V8 isolate now exists that did not before: stop the young generation's growth again if it was stopped. */
export function isolateStarted(): void {
  if (youngGenerationCapped) stopGrowth();
}

/** bytes of the new space (both semi-spaces) */
function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

/**
 * Stops the young generation's growth once a semi-space is `semiSpaceMb`, checked after each garbage collection (a
 * semi-space only grows in one, and only after as many bytes as it holds have survived since the last growth, i.e.
 * several collections later); then the observer goes.
 */
export function capYoungGeneration(semiSpaceMb: number): void {
  const capBytes = 2 * semiSpaceMb * 1024 * 1024;
  const reached = (): boolean => {
    if (newSpaceBytes() < capBytes) return false;
    youngGenerationCapped = true;
    stopGrowth();
    return true;
  };
  workerThreads.subscribe((message) => {
    (message as { worker: Worker }).worker.once("online", isolateStarted);
  });
  if (reached()) return;
  const observer = new PerformanceObserver(() => {
    if (reached()) observer.disconnect();
  });
  observer.observe({ entryTypes: ["gc"] });
}
