/** Small numeric helpers for the benchmark's report. */

/** The p-th percentile (0–100) of `values` by nearest rank; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Samples this process's RSS every `everyMs` until stopped; returns the peak in bytes. */
export function rssSampler(everyMs = 25): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      // maxRSS (KiB) also catches spikes between samples
      return Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
    },
  };
}

export const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

/** CPU time (user + system) this process spends from now until `stop`, in ms. */
export function cpuMeter(): { stop(): number } {
  const start = process.cpuUsage();
  return {
    stop() {
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    },
  };
}
