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

/**
 * What a reservation holds: `stake` — the worst-case loss of a bet job's bets not yet settled; `escrow` / `transfer`
 * — the amount of an escrow create / a transfer not yet known to be done or not done.
 */
export type ReservationKind = "stake" | "escrow" | "transfer";

/**
 * Money set aside against a daily limit while a money job is in flight. It is tied to its job by the job's
 * idempotency key and is live exactly while that job is not final (queued, running, retrying, or `unknown`: an
 * unknown outcome may have moved money). When the job succeeds its receipt (bets, the escrow lock, the transfer)
 * commits in the same transaction that ends it, so the reservation gives way to what it reserved with no gap and
 * no double count; a job that fails, is cancelled, expires or dies releases it, and so does a crash (its job ends
 * by recovery), whoever runs it.
 */
export interface Reservation {
  /** the idempotency key of the money job that holds it */
  jobKey: string;
  kind: ReservationKind;
  agentId: string;
  amount: Micros;
}

/** Escrow or transfer money of the requested UTC day, fleet-wide. */
export interface SpendToday {
  /** done: −Σ of the day's ledger movements (`escrow_lock` / `transfer_out`) */
  spent: Micros;
  /** in flight: Σ live reservations of that kind */
  reserved: Micros;
}

export interface RiskSnapshot {
  overrides: LimitOverride[];
  /** the requested agents the fleet knows; an unknown one is missing */
  agents: ReadonlyMap<string, AgentRiskState>;
  /** Σ (payout − stake) of every agent's bets placed in the requested UTC day */
  fleetNetToday: Micros;
  /** money in flight and spent today: read only when asked for (`reserve` always does) */
  money?: MoneySnapshot;
}

export interface MoneySnapshot {
  /** per agent: its live `stake` reservations less the bets already settled */
  stakeByAgent: ReadonlyMap<string, Micros>;
  /** Σ of every agent's */
  fleetStake: Micros;
  escrowToday: SpendToday;
  transferToday: SpendToday;
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
   * midnight (ms since the epoch). `money`: also read the reservations and the day's escrow and transfer totals.
   */
  riskSnapshot(agentIds: readonly string[], dayStart: number, opts?: { money?: boolean }): Promise<RiskSnapshot>;

  /**
   * Check-and-reserve as one atomic unit, serialised across processes and machines (SQLite: the write lock;
   * PostgreSQL: an advisory lock held to the end of the caller's transaction): first drops reservations whose job
   * is final or gone, then reads the risk snapshot as every earlier reservation left it, hands it to `check`
   * together with the job keys of `reservations` already held, and — unless `check` throws, which writes nothing —
   * stores every reservation not held yet. Call it inside the transaction that creates the jobs (`Tx.fleet`), so
   * jobs and reservations commit together; `check` must be synchronous (no I/O inside a transaction body).
   */
  reserve(
    agentIds: readonly string[],
    dayStart: number,
    reservations: readonly Reservation[],
    check: (snapshot: RiskSnapshot, held: ReadonlySet<string>) => void,
    at: number,
  ): Promise<void>;
  /** live reservations (their job not final), in job-key order: for tests and diagnostics */
  liveReservations(): Promise<Reservation[]>;

  /** records `mode` as the database's unless one is recorded already; returns the recorded one */
  claimMode(mode: Mode): Promise<Mode>;
  /** records `value` under `key` in the database's metadata unless one is recorded already; returns the recorded one */
  claimMeta(key: string, value: string): Promise<string>;
}

/** Job states in which a reservation is released: final states, less `unknown` (its money may have moved). */
const RELEASING_STATES = "('succeeded', 'failed', 'dead', 'cancelled', 'expired')";

/**
 * The live reservations, one row each, with the stakes of their job's bets already in the ledger (so a bet's
 * reservation gives way to its settled result as soon as it is recorded, even while its job is still open).
 * Plain SQL both backends run as is: a reservation is live while its job exists and is not in a releasing state.
 */
export const LIVE_RESERVATIONS_SQL = `
  SELECT r.job_key, r.kind, r.agent_id, r.amount,
    CASE WHEN r.kind = 'stake'
      THEN COALESCE((SELECT SUM(b.stake) FROM bets b WHERE b.job_id = j.id), 0) ELSE 0 END AS settled
  FROM fleet_reservations r JOIN jobs j ON j.idempotency_key = r.job_key
  WHERE j.state NOT IN ${RELEASING_STATES}
  ORDER BY r.job_key`;

/** Drops the reservations whose job is final or gone (final jobs are deleted after their TTL). */
export const DROP_RELEASED_RESERVATIONS_SQL = `
  DELETE FROM fleet_reservations WHERE NOT EXISTS (
    SELECT 1 FROM jobs j WHERE j.idempotency_key = fleet_reservations.job_key AND j.state NOT IN ${RELEASING_STATES})`;

export interface LiveReservationRow {
  job_key: string;
  kind: ReservationKind;
  agent_id: string;
  amount: number;
  settled: number;
}

/** What is still held: a stake reservation less its settled bets (never below 0), any other its amount. */
export function heldAmount(r: LiveReservationRow): Micros {
  return r.kind === "stake" ? Math.max(0, r.amount - Number(r.settled)) : r.amount;
}

/** Sums live reservations into the snapshot's terms. */
export function reservationTotals(rows: readonly LiveReservationRow[]): {
  stakeByAgent: Map<string, Micros>;
  fleetStake: Micros;
  escrow: Micros;
  transfer: Micros;
} {
  const stakeByAgent = new Map<string, Micros>();
  let fleetStake = 0;
  let escrow = 0;
  let transfer = 0;
  for (const r of rows) {
    const held = heldAmount(r);
    if (r.kind === "stake") {
      stakeByAgent.set(r.agent_id, (stakeByAgent.get(r.agent_id) ?? 0) + held);
      fleetStake += held;
    } else if (r.kind === "escrow") escrow += held;
    else transfer += held;
  }
  return { stakeByAgent, fleetStake, escrow, transfer };
}

/** The money in flight and spent today, from the live reservations and the day's spent rows (kind, spent). */
export function moneySnapshot(
  reserved: ReturnType<typeof reservationTotals>,
  spent: ReadonlyArray<{ kind: string; spent: number }>,
): MoneySnapshot {
  const spentOf = (kind: string) => spent.find((r) => r.kind === kind)?.spent ?? 0;
  return {
    stakeByAgent: reserved.stakeByAgent,
    fleetStake: reserved.fleetStake,
    escrowToday: { spent: spentOf("escrow_lock"), reserved: reserved.escrow },
    transferToday: { spent: spentOf("transfer_out"), reserved: reserved.transfer },
  };
}

export const DAY_MS = 86_400_000;
