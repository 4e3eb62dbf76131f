import type { SandboxStats } from "./types.js";

export type FaultKind = keyof SandboxStats["faults"];

/** Counters behind `GET /_sandbox/stats`; control routes never reach it. */
export class StatsCollector {
  #stats: SandboxStats = emptyStats();

  request(route: string, ip: string): void {
    this.#stats.requests++;
    bump(this.#stats.byRoute, route);
    bump(this.#stats.byIp, ip);
  }

  agent(agentId: string, route: string): void {
    bump(this.#stats.byAgent, agentId);
    this.#stats.byAgentRoute[agentId] ??= {};
    bump(this.#stats.byAgentRoute[agentId], route);
  }

  rateLimited(limiter: string): void {
    bump(this.#stats.rateLimited, limiter);
  }

  fault(kind: FaultKind): void {
    this.#stats.faults[kind]++;
  }

  betSettled(): void {
    this.#stats.betsSettled++;
  }

  /** A deep copy, so callers cannot change the live counters. */
  snapshot(): SandboxStats {
    return structuredClone(this.#stats);
  }

  reset(): void {
    this.#stats = emptyStats();
  }
}

function emptyStats(): SandboxStats {
  return {
    requests: 0,
    byRoute: {},
    byAgent: {},
    byAgentRoute: {},
    byIp: {},
    rateLimited: {},
    faults: { error: 0, reset: 0, drop: 0, partial: 0, burst429: 0 },
    betsSettled: 0,
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
