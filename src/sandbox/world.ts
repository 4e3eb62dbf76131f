import type { Logger } from "../log.js";
import type { Db } from "../storage/sqlite/connection.js";
import { AgentStore } from "./casino/agents.js";
import type { SandboxClock } from "./clock.js";
import { Faucet } from "./faucet/faucet.js";
import { FaultInjector } from "./fault-injector.js";
import { HttpError } from "./http/http-error.js";
import { Ledger } from "./ledger.js";
import { FixedWindowLimiter } from "./rate-limiter.js";
import { StatsCollector } from "./stats.js";

/** Everything the four services share: one database, one clock, one ledger, one set of limiters and counters. */
export interface SandboxWorld {
  db: Db;
  clock: SandboxClock;
  log: Logger;
  limiter: FixedWindowLimiter;
  faults: FaultInjector;
  stats: StatsCollector;
  agents: AgentStore;
  ledger: Ledger;
  faucet: Faucet;
}

export function createWorld(db: Db, clock: SandboxClock, log: Logger): SandboxWorld {
  const stats = new StatsCollector();
  const agents = new AgentStore(db, clock);
  const ledger = new Ledger(db, clock);
  return {
    db,
    clock,
    log,
    limiter: new FixedWindowLimiter(clock),
    faults: new FaultInjector(),
    stats,
    agents,
    ledger,
    faucet: new Faucet(db, clock, agents, ledger, stats),
  };
}

/**
 * The casino's per-agent limiter (games share one bucket, batch has its own):
 * `429 {error:"rate_limit_exceeded", reset_at}`.
 */
export function enforceAgentLimit(
  world: SandboxWorld,
  agentId: string,
  bucket: "games" | "batch",
  max: number,
  message: string,
): void {
  const result = world.limiter.hit(`agent:${agentId}:${bucket}`, max);
  if (result.allowed) return;
  world.stats.rateLimited(`${bucket}-agent`);
  throw new HttpError(429, "rate_limit_exceeded", message, { reset_at: new Date(result.resetAt).toISOString() });
}
