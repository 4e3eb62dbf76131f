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

/** Every method is async: the fleet lives behind the storage seam (src/storage/fleet.ts). */
export interface FleetStore {
  addAgent(a: {
    agentId: string;
    apiKey: string;
    label?: string;
    source: Agent["source"];
    referralCode?: string | null;
  }): Promise<Agent>;
  listAgents(): Promise<Agent[]>;
  getAgent(agentId: string): Promise<Agent | undefined>;
  /** the casino key; NOT_FOUND for an unknown agent */
  keyFor(agentId: string): Promise<string>;
  addDomainAccount(a: { accountId: string; apiKey: string; label?: string }): Promise<DomainAccount>;
  listDomainAccounts(): Promise<DomainAccount[]>;
  domainKeyFor(accountId: string): Promise<string>;

  limits(): Promise<EffectiveLimits>;
  limitsFor(agentId: string): Promise<RiskLimits>;
  /** lowers a limit (fleet-wide, or for one agent); a value above the current one → LIMIT_EXCEEDED, nothing written */
  tighten(change: Partial<RiskLimits>, agentId?: string): Promise<EffectiveLimits>;

  pauseState(): Promise<PauseState>;
  pause(opts: { agentId?: string; reason: string }): Promise<PauseState>;
  resume(opts: { agentId?: string }): Promise<PauseState>;

  /**
   * Rejects with FleetError (TRADING_PAUSED, LIMIT_EXCEEDED) if a bet of `stake` by `agentId` is not allowed now:
   * paused, above max bet, or today's realised loss (from the ledger) has reached the daily limit.
   */
  assertCanBet(agentId: string, stake: Micros): Promise<void>;
  /** the same for a whole batch before anything is enqueued: per-bet, batch total, and loss headroom */
  assertCanPlaceBatch(stakes: Array<{ agentId: string; stake: Micros }>): Promise<void>;
}
