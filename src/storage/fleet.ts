/**
 * The fleet's repository: agents and their keys, domain accounts, tightened limits, the kill switch, the mode the
 * database belongs to, and the one read every risk check makes. The rules (key shapes, tighten-only, which pause
 * wins) stay in src/fleet; a backend only keeps rows.
 *
 * Keys are written by `putAgent` / `putDomainAccount` and read back only by `agentKey` / `domainAccountKey`: every
 * other method leaves them out of what it returns.
 */
import type { Mode, RiskLimits } from "../config.js";
import type { Agent, DomainAccount } from "../fleet/types.js";
import type { Micros } from "../money.js";

export type LimitName = keyof RiskLimits;

export interface AgentWrite {
  agentId: string;
  apiKey: string;
  label: string;
  /** false: an agent already in the fleet keeps its own label (a new one gets `label`) */
  replaceLabel: boolean;
  source: Agent["source"];
  /** null keeps the referral code an existing agent has */
  referralCode: string | null;
  /** used only when the agent is new: re-importing keeps its history */
  createdAt: number;
}

export interface DomainAccountWrite {
  accountId: string;
  apiKey: string;
  label: string;
  /** used only when the account is new */
  createdAt: number;
}

/** A tightened limit: fleet-wide (`agentId` null) or for one agent. */
export interface LimitOverride {
  agentId: string | null;
  name: LimitName;
  value: Micros;
}

export interface StoredPauseState {
  /** the fleet-wide switch's reason; null when the fleet is not paused */
  fleetReason: string | null;
  /** ids of the agents paused on their own, in id order */
  pausedAgents: string[];
}

/** What a risk check needs to know about one agent the fleet knows. */
export interface AgentRiskState {
  paused: boolean;
  pauseReason: string | null;
  /** the fleet-wide switch's reason, read with the agent's own */
  fleetPauseReason: string | null;
  /** Σ (payout − stake) of the agent's bets placed in the requested UTC day (the ledger's `bets`) */
  netToday: Micros;
}

export interface RiskSnapshot {
  overrides: LimitOverride[];
  /** the requested agents the fleet knows; an unknown one is missing */
  agents: ReadonlyMap<string, AgentRiskState>;
  /** Σ (payout − stake) of every agent's bets placed in the requested UTC day */
  fleetNetToday: Micros;
}

export interface FleetRepo {
  /** inserts the agent or updates its key (and label, referral code as `AgentWrite` says); returns it, keyless */
  putAgent(agent: AgentWrite): Promise<Agent>;
  getAgent(agentId: string): Promise<Agent | undefined>;
  /** in creation order */
  listAgents(): Promise<Agent[]>;
  /** the agent's casino key; undefined for an agent the fleet does not know */
  agentKey(agentId: string): Promise<string | undefined>;

  /** inserts the account or replaces its key and label; returns it, keyless */
  putDomainAccount(account: DomainAccountWrite): Promise<DomainAccount>;
  /** in creation order */
  listDomainAccounts(): Promise<DomainAccount[]>;
  domainAccountKey(accountId: string): Promise<string | undefined>;

  limitOverrides(): Promise<LimitOverride[]>;
  /**
   * Stores every value as an override for `agentId` (null: fleet-wide), all or none. A stored override never rises:
   * where one is already lower, it stays, so two callers lowering at once cannot loosen each other's limit.
   */
  lowerLimits(
    agentId: string | null,
    values: ReadonlyArray<{ name: LimitName; value: Micros }>,
    at: number,
  ): Promise<void>;

  pauseState(): Promise<StoredPauseState>;
  /** sets the fleet-wide switch, or replaces its reason (the time it was first set stays) */
  pauseFleet(reason: string, at: number): Promise<void>;
  resumeFleet(): Promise<void>;
  /** false when the fleet has no such agent (nothing written) */
  pauseAgent(agentId: string, reason: string): Promise<boolean>;
  resumeAgent(agentId: string): Promise<boolean>;

  /**
   * Everything a risk check of `agentIds` reads, in one call: this runs before every bet. `dayStart` is a UTC
   * midnight (ms since the epoch).
   */
  riskSnapshot(agentIds: readonly string[], dayStart: number): Promise<RiskSnapshot>;

  /** records `mode` as the database's unless one is recorded already; returns the recorded one */
  claimMode(mode: Mode): Promise<Mode>;
  /** records `value` under `key` in the database's metadata unless one is recorded already; returns the recorded one */
  claimMeta(key: string, value: string): Promise<string>;
}
