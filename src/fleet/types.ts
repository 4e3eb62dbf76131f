/**
 * The fleet (src/fleet/): Purple Flea identities pf-fleet acts for, their keys, the operator's risk limits and
 * the kill switch. Keys are stored here and handed only to the HTTP client; they never appear in tool
 * results, resources, logs or job rows.
 */
import type { RiskLimits } from "../config.js";
import type { Micros } from "../money.js";

export interface Agent {
  /** casino identity `ag_…` (escrow and faucet use it too) */
  agentId: string;
  label: string;
  source: "registered" | "imported";
  referralCode: string | null;
  createdAt: number;
  paused: boolean;
}

export interface DomainAccount {
  accountId: string;
  label: string;
  createdAt: number;
}

export interface PauseState {
  fleetPaused: boolean;
  reason: string | null;
  pausedAgents: string[];
}

/** Operator limits with any tightening applied; never looser than the operator's configuration. */
export interface EffectiveLimits extends RiskLimits {
  /** per-agent tightening (lower values only) */
  perAgent: Record<string, Partial<RiskLimits>>;
}

export interface FleetStore {
  addAgent(a: {
    agentId: string;
    apiKey: string;
    label?: string;
    source: Agent["source"];
    referralCode?: string | null;
  }): Agent;
  listAgents(): Agent[];
  getAgent(agentId: string): Agent | undefined;
  /** the casino key; NOT_FOUND for an unknown agent */
  keyFor(agentId: string): string;
  addDomainAccount(a: { accountId: string; apiKey: string; label?: string }): DomainAccount;
  listDomainAccounts(): DomainAccount[];
  domainKeyFor(accountId: string): string;

  limits(): EffectiveLimits;
  limitsFor(agentId: string): RiskLimits;
  /** lowers a limit (fleet-wide, or for one agent); a value above the current one → LIMIT_EXCEEDED, nothing written */
  tighten(change: Partial<RiskLimits>, agentId?: string): EffectiveLimits;

  pauseState(): PauseState;
  pause(opts: { agentId?: string; reason: string }): PauseState;
  resume(opts: { agentId?: string }): PauseState;

  /**
   * Throws FleetError (TRADING_PAUSED, LIMIT_EXCEEDED) if a bet of `stake` by `agentId` is not allowed now:
   * paused, above max bet, or today's realised loss (from the ledger) has reached the daily limit.
   */
  assertCanBet(agentId: string, stake: Micros): void;
  /** the same for a whole batch before anything is enqueued: per-bet, batch total, and loss headroom */
  assertCanPlaceBatch(stakes: Array<{ agentId: string; stake: Micros }>): void;
}
