/**
 * The fleet (src/fleet/): Purple Flea identities pf-fleet acts for, their keys, the operator's risk limits and
 * the kill switch. Keys are stored here and handed only to the HTTP client; they never appear in tool
 * results, resources, logs or job rows.
 */
import type { RiskLimits } from "../config.js";
import type { Micros } from "../money.js";
import type { Reservation, SpendToday } from "../storage/fleet.js";
import type { Executor } from "../storage/types.js";

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

  /**
   * The kill switch for every money movement but bets (escrow release, …): TRADING_PAUSED if the fleet or the agent
   * is paused, NOT_FOUND for an unknown agent. `jobId`: a queued job refused at send time (the hint says how to send
   * it once resumed).
   */
  assertCanMoveMoney(agentId: string, opts?: { action?: string; jobId?: string }): Promise<void>;
  /** TRADING_PAUSED if the fleet is paused: for money that no agent pays (domain purchases) */
  assertFleetActive(opts?: { action?: string; jobId?: string }): Promise<void>;
  /**
   * Reserves a batch's stakes (worst-case loss) per member job against the daily loss limits, atomically with every
   * other process: headroom = limit − realised loss − stakes in flight. Refuses the whole batch (LIMIT_EXCEEDED,
   * TRADING_PAUSED) and writes nothing. Pass the transaction that creates the jobs, so both commit together.
   */
  reserveStakes(stakes: ReadonlyArray<StakeHold>, tx?: Pick<Executor, "fleet">): Promise<void>;
  /**
   * The pre-send check and reservation of an escrow create or transfer: pause, per-call max, fleet daily total.
   * Idempotent per job key. `tx`: the transaction creating the job; `jobId`: a queued job checked at send time.
   */
  reserveSpend(
    kind: "escrow" | "transfer",
    hold: StakeHold,
    opts?: { tx?: Pick<Executor, "fleet">; jobId?: string },
  ): Promise<void>;
  /** money in flight and spent today (UTC), for get_risk_limits */
  moneyToday(): Promise<MoneyToday>;
  /** live reservations, for tests and diagnostics */
  liveReservations(): Promise<Reservation[]>;
}

/** A reservation's holder: the idempotency key of its money job, who pays, and how much (micro-USD). */
export interface StakeHold {
  jobKey: string;
  agentId: string;
  amount: Micros;
}

export interface MoneyToday {
  /** stakes of bets in flight, counted as lost until they settle */
  reservedStake: { fleet: Micros; byAgent: Map<string, Micros> };
  escrow: SpendToday;
  transfer: SpendToday;
}
