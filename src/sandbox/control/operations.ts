import { FleetError } from "../../errors.js";
import type { DomainAccountStore } from "../domains/account-store.js";
import { validateFaultConfig } from "../fault-config.js";
import { randomHex } from "../ids.js";
import type { FaultConfig, SandboxStats } from "../types.js";
import type { SandboxWorld } from "../world.js";

const MAX_FUND_USD = 1_000_000_000;

export interface FundResult {
  agent_id: string;
  service: "casino" | "domains";
  amount_usd: number;
  balance_usd: number;
}

/** The sandbox-only operations, shared by `RunningSandbox` and the `/_sandbox/` routes. */
export interface SandboxControls {
  fund(agentId: string, usd: number): FundResult;
  advanceClock(ms: number): number;
  now(): number;
  setFaults(faults: FaultConfig | null): void;
  faults(): FaultConfig | null;
  setRateLimits(enabled: boolean): void;
  rateLimitsEnabled(): boolean;
  stats(): SandboxStats;
  resetStats(): void;
  balanceOf(agentId: string): number;
}

export function createControls(world: SandboxWorld, domainAccounts: DomainAccountStore): SandboxControls {
  return {
    fund(agentId, usd) {
      if (typeof usd !== "number" || !Number.isFinite(usd) || usd <= 0 || usd > MAX_FUND_USD) {
        throw new FleetError("INVALID_INPUT", `amount_usd must be a number > 0 and ≤ ${MAX_FUND_USD}, got \`${usd}\``);
      }
      const depositId = `dep_${randomHex(8)}`;
      if (world.agents.byId(agentId)) {
        // Like a completed deposit: a ledger credit plus a deposit row (so the faucet then answers has_deposits).
        const balance = world.db.transaction(() => {
          const after = world.ledger.credit(agentId, usd, {
            id: depositId,
            reason: "sandbox_fund",
            reference: depositId,
            service: "sandbox",
          });
          world.agents.recordDeposit(depositId, agentId, usd);
          return after;
        })();
        return { agent_id: agentId, service: "casino", amount_usd: usd, balance_usd: balance };
      }
      if (domainAccounts.byId(agentId)) {
        const balance = domainAccounts.deposit(`tx_${depositId}`, agentId, usd);
        return { agent_id: agentId, service: "domains", amount_usd: usd, balance_usd: balance };
      }
      throw new FleetError("NOT_FOUND", `no casino agent or domains account with id \`${agentId}\``);
    },
    advanceClock: (ms) => world.clock.advance(ms),
    now: () => world.clock.now(),
    setFaults(faults) {
      world.faults.set(faults === null ? null : validateFaultConfig(faults));
    },
    faults: () => world.faults.config,
    setRateLimits(enabled) {
      if (typeof enabled !== "boolean") {
        throw new FleetError("INVALID_INPUT", `enabled must be true or false, got \`${JSON.stringify(enabled)}\``);
      }
      world.limiter.enabled = enabled;
    },
    rateLimitsEnabled: () => world.limiter.enabled,
    stats: () => world.stats.snapshot(),
    resetStats: () => world.stats.reset(),
    balanceOf(agentId) {
      const balance = world.ledger.balance(agentId) ?? domainAccounts.byId(agentId)?.balance_usd;
      if (balance === undefined) {
        throw new FleetError("NOT_FOUND", `no casino agent or domains account with id \`${agentId}\``);
      }
      return balance;
    },
  };
}
