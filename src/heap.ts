/**
 * How the process's V8 heap grows. pf-fleet's live heap is small and flat (~30 MB while a 50,000-bet chord runs),
 * but a batch allocates ~20 kB of short-lived objects per bet, and what is in flight across a call's await is
 * promoted to the old generation before it dies. V8 lets the old generation grow to up to 4× the live heap
 * between major collections when it judges the program throughput-bound, so a long batch held ~125 MB of
 * garbage (RSS ~245 MB) for a lazy collection. A growing factor of 1.5 (V8 picks 1.1–4 itself; 1.3 is its
 * conservative setting) keeps the old generation near the live heap: measured in bench/RESULTS.md, no loss of
 * bets per second beyond the machine's noise.
 *
 * Set at run time, before the heap has grown; a flag given to node itself (`--heap-growing-percent`, on the command
 * line or in NODE_OPTIONS) wins. The young generation's size can only be set when node starts
 * (`--max-semi-space-size`); the README says how.
 */
import { setFlagsFromString } from "node:v8";

export const HEAP_GROWING_PERCENT = 50;

export function tuneHeap(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => a.includes("heap-growing-percent"));
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
