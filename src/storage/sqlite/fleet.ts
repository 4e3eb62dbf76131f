import type { Mode } from "../../config.js";
import type { Agent, DomainAccount } from "../../fleet/types.js";
import type { Micros } from "../../money.js";
import {
  type AgentRiskState,
  type AgentWrite,
  DAY_MS,
  type DomainAccountWrite,
  DROP_RELEASED_RESERVATIONS_SQL,
  type FleetRepo,
  heldAmount,
  LIVE_RESERVATIONS_SQL,
  type LimitName,
  type LimitOverride,
  type LiveReservationRow,
  moneySnapshot,
  type Reservation,
  type RiskSnapshot,
  reservationTotals,
  type StoredPauseState,
} from "../fleet.js";
import type { SqliteConn } from "./connection.js";

interface AgentRow {
  agent_id: string;
  label: string;
  source: Agent["source"];
  referral_code: string | null;
  created_at: number;
  paused: number;
}

interface AccountRow {
  account_id: string;
  label: string;
  created_at: number;
}

const AGENT_COLUMNS = "agent_id, label, source, referral_code, created_at, paused";
/** `fleet_limit_overrides.scope` of a fleet-wide override; any other scope is an agent id */
const FLEET_SCOPE = "*";

const toAgent = (r: AgentRow): Agent => ({
  agentId: r.agent_id,
  label: r.label,
  source: r.source,
  referralCode: r.referral_code,
  createdAt: r.created_at,
  paused: r.paused === 1,
});

const toAccount = (r: AccountRow): DomainAccount => ({
  accountId: r.account_id,
  label: r.label,
  createdAt: r.created_at,
});

/**
 * The fleet on SQLite. Statements that read `bet_day_totals` (the ledger's, kept by triggers on `bets`) are compiled
 * on first use, so this repository may be built before the ledger has migrated.
 */
export class SqliteFleetRepo implements FleetRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async putAgent(a: AgentWrite): Promise<Agent> {
    const conn = this.#conn;
    return conn.atomic(() => {
      // Re-importing an agent (PF_API_KEY on every start) keeps its history; only the key and label follow the caller.
      conn
        .sql(
          `INSERT INTO fleet_agents (agent_id, api_key, label, source, referral_code, created_at)
           VALUES (@agentId, @apiKey, @label, @source, @referralCode, @createdAt)
           ON CONFLICT (agent_id) DO UPDATE SET api_key = excluded.api_key,
             label = CASE WHEN @labelGiven THEN excluded.label ELSE fleet_agents.label END,
             referral_code = COALESCE(excluded.referral_code, fleet_agents.referral_code)`,
        )
        .run({
          agentId: a.agentId,
          apiKey: a.apiKey,
          label: a.label,
          labelGiven: a.replaceLabel ? 1 : 0,
          source: a.source,
          referralCode: a.referralCode,
          createdAt: a.createdAt,
        });
      return this.#agent(a.agentId) as Agent;
    });
  }

  async getAgent(agentId: string): Promise<Agent | undefined> {
    return this.#agent(agentId);
  }

  async listAgents(): Promise<Agent[]> {
    const rows = this.#conn.sql(`SELECT ${AGENT_COLUMNS} FROM fleet_agents ORDER BY created_at, agent_id`).all();
    return (rows as AgentRow[]).map(toAgent);
  }

  async agentKey(agentId: string): Promise<string | undefined> {
    return this.#conn.sql("SELECT api_key FROM fleet_agents WHERE agent_id = ?").pluck(true).get(agentId) as
      | string
      | undefined;
  }

  async putDomainAccount(a: DomainAccountWrite): Promise<DomainAccount> {
    const conn = this.#conn;
    return conn.atomic(() => {
      conn
        .sql(
          `INSERT INTO fleet_domain_accounts (account_id, api_key, label, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET api_key = excluded.api_key, label = excluded.label`,
        )
        .run(a.accountId, a.apiKey, a.label, a.createdAt);
      const row = conn
        .sql("SELECT account_id, label, created_at FROM fleet_domain_accounts WHERE account_id = ?")
        .get(a.accountId) as AccountRow;
      return toAccount(row);
    });
  }

  async listDomainAccounts(): Promise<DomainAccount[]> {
    const rows = this.#conn
      .sql("SELECT account_id, label, created_at FROM fleet_domain_accounts ORDER BY created_at")
      .all() as AccountRow[];
    return rows.map(toAccount);
  }

  async domainAccountKey(accountId: string): Promise<string | undefined> {
    return this.#conn
      .sql("SELECT api_key FROM fleet_domain_accounts WHERE account_id = ?")
      .pluck(true)
      .get(accountId) as string | undefined;
  }

  async limitOverrides(): Promise<LimitOverride[]> {
    return this.#overrides();
  }

  async lowerLimits(
    agentId: string | null,
    values: ReadonlyArray<{ name: LimitName; value: Micros }>,
    at: number,
  ): Promise<void> {
    const conn = this.#conn;
    conn.atomic(() => {
      // MIN: the stored value never rises, even when another caller lowered it further since this one read it
      const upsert = conn.sql(
        `INSERT INTO fleet_limit_overrides (scope, name, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope, name) DO UPDATE SET value = MIN(fleet_limit_overrides.value, excluded.value),
           updated_at = excluded.updated_at`,
      );
      for (const { name, value } of values) upsert.run(agentId ?? FLEET_SCOPE, name, value, at);
    });
  }

  async pauseState(): Promise<StoredPauseState> {
    const conn = this.#conn;
    const reason = conn.sql("SELECT reason FROM fleet_pause WHERE id = 1").pluck(true).get() as string | undefined;
    const pausedAgents = conn
      .sql("SELECT agent_id FROM fleet_agents WHERE paused = 1 ORDER BY agent_id")
      .pluck(true)
      .all() as string[];
    return { fleetReason: reason ?? null, pausedAgents };
  }

  async pauseFleet(reason: string, at: number): Promise<void> {
    this.#conn
      .sql(
        "INSERT INTO fleet_pause (id, reason, paused_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason",
      )
      .run(reason, at);
  }

  async resumeFleet(): Promise<void> {
    this.#conn.sql("DELETE FROM fleet_pause WHERE id = 1").run();
  }

  async pauseAgent(agentId: string, reason: string): Promise<boolean> {
    return this.#setAgentPaused(agentId, 1, reason);
  }

  async resumeAgent(agentId: string): Promise<boolean> {
    return this.#setAgentPaused(agentId, 0, null);
  }

  async riskSnapshot(
    agentIds: readonly string[],
    dayStart: number,
    opts: { money?: boolean } = {},
  ): Promise<RiskSnapshot> {
    return this.#snapshot(agentIds, dayStart, opts.money ?? false);
  }

  async reserve(
    agentIds: readonly string[],
    dayStart: number,
    reservations: readonly Reservation[],
    check: (snapshot: RiskSnapshot, held: ReadonlySet<string>) => void,
    at: number,
  ): Promise<void> {
    const conn = this.#conn;
    // IMMEDIATE (or the caller's transaction, which is): the write lock serialises every reserve of every process
    conn.atomic(() => {
      conn.sql(DROP_RELEASED_RESERVATIONS_SQL).run();
      const snapshot = this.#snapshot(agentIds, dayStart, true);
      const isHeld = conn.sql("SELECT 1 FROM fleet_reservations WHERE job_key = ?").pluck(true);
      const held = new Set(reservations.filter((r) => isHeld.get(r.jobKey) !== undefined).map((r) => r.jobKey));
      check(snapshot, held);
      const insert = conn.sql(
        `INSERT INTO fleet_reservations (job_key, kind, agent_id, amount, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (job_key) DO NOTHING`,
      );
      for (const r of reservations) if (!held.has(r.jobKey)) insert.run(r.jobKey, r.kind, r.agentId, r.amount, at);
    });
  }

  async liveReservations(): Promise<Reservation[]> {
    const rows = this.#conn.sql(LIVE_RESERVATIONS_SQL).all() as LiveReservationRow[];
    return rows.map((r) => ({ jobKey: r.job_key, kind: r.kind, agentId: r.agent_id, amount: heldAmount(r) }));
  }

  async claimMode(mode: Mode): Promise<Mode> {
    return (await this.claimMeta("mode", mode)) as Mode;
  }

  async claimMeta(key: string, value: string): Promise<string> {
    const conn = this.#conn;
    return conn.atomic(() => {
      conn.sql("INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING").run(key, value);
      return conn.sql("SELECT value FROM fleet_meta WHERE key = ?").pluck(true).get(key) as string;
    });
  }

  /**
   * Reservations are read before the day's totals: a job that succeeds in between is then counted twice (its
   * reservation and its receipt), never not at all.
   */
  #snapshot(agentIds: readonly string[], dayStart: number, money: boolean): RiskSnapshot {
    const conn = this.#conn;
    const reserved = money ? reservationTotals(conn.sql(LIVE_RESERVATIONS_SQL).all() as LiveReservationRow[]) : null;
    // both switches and whether the agent exists, in one read: this runs before every bet
    const tradingState = conn.sql(
      `SELECT a.paused, a.pause_reason, (SELECT reason FROM fleet_pause WHERE id = 1) AS fleet_reason
       FROM fleet_agents a WHERE a.agent_id = ?`,
    );
    // the day's realised PnL per agent, kept by the ledger's triggers as bets are recorded: a row, not the day's bets
    const agentNet = conn.sql("SELECT net FROM bet_day_totals WHERE day_start = ? AND agent_id = ?").pluck(true);
    const agents = new Map<string, AgentRiskState>();
    for (const agentId of new Set(agentIds)) {
      const row = tradingState.get(agentId) as
        | { paused: number; pause_reason: string | null; fleet_reason: string | null }
        | undefined;
      if (!row) continue;
      agents.set(agentId, {
        paused: row.paused === 1,
        pauseReason: row.pause_reason,
        fleetPauseReason: row.fleet_reason,
        netToday: ((agentNet.get(dayStart, agentId) as number | undefined) ?? 0) as Micros,
      });
    }
    const fleetNetToday = conn
      .sql("SELECT COALESCE(SUM(net), 0) FROM bet_day_totals WHERE day_start = ?")
      .pluck(true)
      .get(dayStart) as Micros;
    const snapshot: RiskSnapshot = { overrides: this.#overrides(), agents, fleetNetToday };
    if (!reserved) return snapshot;
    const spent = conn
      .sql(
        `SELECT kind, -SUM(amount) AS spent FROM movements
         WHERE kind IN ('escrow_lock', 'transfer_out') AND at >= ? AND at < ? GROUP BY kind`,
      )
      .all(dayStart, dayStart + DAY_MS) as Array<{ kind: string; spent: number }>;
    snapshot.money = moneySnapshot(reserved, spent);
    return snapshot;
  }

  #agent(agentId: string): Agent | undefined {
    const row = this.#conn.sql(`SELECT ${AGENT_COLUMNS} FROM fleet_agents WHERE agent_id = ?`).get(agentId) as
      | AgentRow
      | undefined;
    return row ? toAgent(row) : undefined;
  }

  #overrides(): LimitOverride[] {
    const rows = this.#conn.sql("SELECT scope, name, value FROM fleet_limit_overrides").all() as Array<{
      scope: string;
      name: LimitName;
      value: number;
    }>;
    return rows.map((r) => ({ agentId: r.scope === FLEET_SCOPE ? null : r.scope, name: r.name, value: r.value }));
  }

  #setAgentPaused(agentId: string, paused: 0 | 1, reason: string | null): boolean {
    const result = this.#conn
      .sql("UPDATE fleet_agents SET paused = ?, pause_reason = ? WHERE agent_id = ?")
      .run(paused, reason, agentId);
    return result.changes > 0;
  }
}
