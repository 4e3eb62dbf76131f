import type { FaultConfig } from "./types.js";

export type FaultAction = "none" | "reset" | "error" | "burst429" | "drop" | "partial";

export interface FaultDecision {
  action: FaultAction;
  /** wait this long before anything else */
  latencyMs: number;
}

const NO_FAULT: FaultDecision = { action: "none", latencyMs: 0 };
const DEFAULT_BURST_LENGTH = 5;
/** Without an explicit seed the sequence is still reproducible run to run. */
const DEFAULT_SEED = 1;

/**
 * Decides, per in-scope request and in arrival order, which fault (if any) it gets. One PRNG draw per in-scope
 * request, always, so a seed replays the same sequence whatever the outcomes were; requests outside the scope
 * draw nothing, so read-only polling cannot shift a `money`-scoped sequence.
 */
export class FaultInjector {
  #config: FaultConfig | null = null;
  #random: () => number = mulberry32(DEFAULT_SEED);
  #burstRemaining = 0;

  get config(): FaultConfig | null {
    return this.#config === null ? null : { ...this.#config };
  }

  /** Installs a (validated) config and restarts its PRNG from the seed. */
  set(config: FaultConfig | null): void {
    this.#config = config === null ? null : { ...config };
    this.#random = mulberry32(config?.seed ?? DEFAULT_SEED);
    this.#burstRemaining = 0;
  }

  decide(isMoneyRequest: boolean, route = ""): FaultDecision {
    const config = this.#config;
    if (config === null) return NO_FAULT;
    if (config.scope === "money" && !isMoneyRequest) return NO_FAULT;
    if (config.route !== undefined && !route.startsWith(config.route)) return NO_FAULT;
    const latencyMs = config.latencyMs ?? 0;
    const draw = this.#random();
    if (this.#burstRemaining > 0) {
      this.#burstRemaining--;
      return { action: "burst429", latencyMs };
    }
    let threshold = 0;
    for (const action of ["reset", "error", "burst429", "drop", "partial"] as const) {
      threshold += config[action] ?? 0;
      if (draw < threshold) {
        if (action === "burst429") this.#burstRemaining = (config.burstLength ?? DEFAULT_BURST_LENGTH) - 1;
        return { action, latencyMs };
      }
    }
    return { action: "none", latencyMs };
  }
}

/** Tiny, well-known 32-bit PRNG: uniform floats in [0, 1), fully determined by the seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
