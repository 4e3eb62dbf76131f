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
import type { PgConn } from "./connection.js";

interface AgentRow {
  agent_id: string;
  label: string;
  source: Agent["source"];
  referral_code: string | null;
  created_at: number;
  paused: boolean;
}

interface AccountRow {
  account_id: string;
  label: string;
  created_at: number;
}

const AGENT_COLUMNS = "agent_id, label, source, referral_code, created_at, paused";
const ACCOUNT_COLUMNS = "account_id, label, created_at";
/** `fleet_limit_overrides.scope` of a fleet-wide override; any other scope is an agent id */
const FLEET_SCOPE = "*";
/** the first half of the two-key advisory locks `lowerLimits` takes per scope: apart from every other advisory lock */
const LIMITS_LOCK_SPACE = 0x70665f6f; // "pf_o" (the ledger has "pf_l", rate limits "pf_r")
/** the advisory lock every `reserve` takes, to the end of its transaction: one check-and-reserve at a time */
const RESERVE_LOCK = `${0x70665f76}, 0`; // "pf_v"

const toAgent = (r: AgentRow): Agent => ({
  agentId: r.agent_id,
  label: r.label,
  source: r.source,
  referralCode: r.referral_code,
  createdAt: r.created_at,
  paused: r.paused,
});

const toAccount = (r: AccountRow): DomainAccount => ({
  accountId: r.account_id,
  label: r.label,
  createdAt: r.created_at,
});

/**
 * The fleet on PostgreSQL. Ids are COLLATE "C" (fleet-schema.ts), so they sort as on SQLite. `riskSnapshot` reads
 * `bet_day_totals`, the ledger's table, kept as bets are recorded.
 */
export class PgFleetRepo implements FleetRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async putAgent(a: AgentWrite): Promise<Agent> {
    // Re-importing an agent (PF_API_KEY on every start) keeps its history; only the key and label follow the caller.
    const row = await this.#conn.row<AgentRow>(
      `INSERT INTO fleet_agents (agent_id, api_key, label, source, referral_code, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (agent_id) DO UPDATE SET api_key = excluded.api_key,
         label = CASE WHEN $7 THEN excluded.label ELSE fleet_agents.label END,
         referral_code = COALESCE(excluded.referral_code, fleet_agents.referral_code)
       RETURNING ${AGENT_COLUMNS}`,
      [a.agentId, a.apiKey, a.label, a.source, a.referralCode, a.createdAt, a.replaceLabel],
    );
    return toAgent(row as AgentRow);
  }

  async getAgent(agentId: string): Promise<Agent | undefined> {
    const row = await this.#conn.row<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM fleet_agents WHERE agent_id = $1`, [
      agentId,
    ]);
    return row && toAgent(row);
  }

  async listAgents(): Promise<Agent[]> {
    const rows = await this.#conn.rows<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM fleet_agents ORDER BY created_at, agent_id`,
    );
    return rows.map(toAgent);
  }

  async agentKey(agentId: string): Promise<string | undefined> {
    const row = await this.#conn.row<{ api_key: string }>("SELECT api_key FROM fleet_agents WHERE agent_id = $1", [
      agentId,
    ]);
    return row?.api_key;
  }

  async putDomainAccount(a: DomainAccountWrite): Promise<DomainAccount> {
    const row = await this.#conn.row<AccountRow>(
      `INSERT INTO fleet_domain_accounts (account_id, api_key, label, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET api_key = excluded.api_key, label = excluded.label
       RETURNING ${ACCOUNT_COLUMNS}`,
      [a.accountId, a.apiKey, a.label, a.createdAt],
    );
    return toAccount(row as AccountRow);
  }

  async listDomainAccounts(): Promise<DomainAccount[]> {
    const rows = await this.#conn.rows<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM fleet_domain_accounts ORDER BY created_at, seq`,
    );
    return rows.map(toAccount);
  }

  async domainAccountKey(accountId: string): Promise<string | undefined> {
    const row = await this.#conn.row<{ api_key: string }>(
      "SELECT api_key FROM fleet_domain_accounts WHERE account_id = $1",
      [accountId],
    );
    return row?.api_key;
  }

  async limitOverrides(): Promise<LimitOverride[]> {
    return this.#overrides();
  }

  async lowerLimits(
    agentId: string | null,
    values: ReadonlyArray<{ name: LimitName; value: Micros }>,
    at: number,
  ): Promise<void> {
    if (values.length === 0) return;
    const scope = agentId ?? FLEET_SCOPE;
    await this.#conn.atomic(async (c) => {
      // one lowering per scope at a time: rows are written in the caller's order (the order they are listed in, as
      // on SQLite), and two callers can never lock one scope's rows in opposite orders (a deadlock)
      await c.run(`SELECT pg_advisory_xact_lock(${LIMITS_LOCK_SPACE}, hashtext($1))`, [scope]);
      // LEAST against the row as committed (ON CONFLICT locks it): a concurrent lower is never undone
      for (const { name, value } of values) {
        await c.run(
          `INSERT INTO fleet_limit_overrides (scope, name, value, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (scope, name) DO UPDATE SET value = LEAST(fleet_limit_overrides.value, excluded.value),
             updated_at = excluded.updated_at`,
          [scope, name, value, at],
        );
      }
    });
  }

  async pauseState(): Promise<StoredPauseState> {
    const reason = await this.#conn.row<{ reason: string }>("SELECT reason FROM fleet_pause WHERE id = 1");
    const paused = await this.#conn.rows<{ agent_id: string }>(
      `SELECT agent_id FROM fleet_agents WHERE paused ORDER BY agent_id`,
    );
    return { fleetReason: reason?.reason ?? null, pausedAgents: paused.map((r) => r.agent_id) };
  }

  async pauseFleet(reason: string, at: number): Promise<void> {
    await this.#conn.run(
      "INSERT INTO fleet_pause (id, reason, paused_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason",
      [reason, at],
    );
  }

  async resumeFleet(): Promise<void> {
    await this.#conn.run("DELETE FROM fleet_pause WHERE id = 1");
  }

  async pauseAgent(agentId: string, reason: string): Promise<boolean> {
    return this.#setAgentPaused(agentId, true, reason);
  }

  async resumeAgent(agentId: string): Promise<boolean> {
    return this.#setAgentPaused(agentId, false, null);
  }

  async riskSnapshot(
    agentIds: readonly string[],
    dayStart: number,
    opts: { money?: boolean } = {},
  ): Promise<RiskSnapshot> {
    return snapshotOn(this.#conn, agentIds, dayStart, opts.money ?? false);
  }

  async reserve(
    agentIds: readonly string[],
    dayStart: number,
    reservations: readonly Reservation[],
    check: (snapshot: RiskSnapshot, held: ReadonlySet<string>) => void,
    at: number,
  ): Promise<void> {
    await this.#conn.atomic(async (c) => {
      // held to the end of the outermost transaction: a concurrent reserve waits here, then (READ COMMITTED) reads
      // what this one committed, its jobs and reservations included
      await c.run(`SELECT pg_advisory_xact_lock(${RESERVE_LOCK})`);
      await c.run(DROP_RELEASED_RESERVATIONS_SQL);
      const snapshot = await snapshotOn(c, agentIds, dayStart, true);
      const keys = reservations.map((r) => r.jobKey);
      const existing = await c.rows<{ job_key: string }>(
        "SELECT job_key FROM fleet_reservations WHERE job_key = ANY($1::text[])",
        [keys],
      );
      const held = new Set(existing.map((r) => r.job_key));
      check(snapshot, held);
      for (const r of reservations) {
        if (held.has(r.jobKey)) continue;
        await c.run(
          `INSERT INTO fleet_reservations (job_key, kind, agent_id, amount, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (job_key) DO NOTHING`,
          [r.jobKey, r.kind, r.agentId, r.amount, at],
        );
      }
    });
  }

  async liveReservations(): Promise<Reservation[]> {
    const rows = await this.#conn.rows<LiveReservationRow>(LIVE_RESERVATIONS_SQL);
    return rows.map((r) => ({ jobKey: r.job_key, kind: r.kind, agentId: r.agent_id, amount: heldAmount(r) }));
  }

  async claimMode(mode: Mode): Promise<Mode> {
    return (await this.claimMeta("mode", mode)) as Mode;
  }

  async claimMeta(key: string, value: string): Promise<string> {
    // DO UPDATE (to itself) rather than DO NOTHING: it waits for a racing claim to commit, then returns the row as
    // committed, so every process gets the recorded value from one statement
    const row = await this.#conn.row<{ value: string }>(
      `INSERT INTO fleet_meta (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = fleet_meta.value RETURNING value`,
      [key, value],
    );
    return (row as { value: string }).value;
  }

  #overrides(): Promise<LimitOverride[]> {
    return overridesOn(this.#conn);
  }

  async #setAgentPaused(agentId: string, paused: boolean, reason: string | null): Promise<boolean> {
    const changed = await this.#conn.run("UPDATE fleet_agents SET paused = $1, pause_reason = $2 WHERE agent_id = $3", [
      paused,
      reason,
      agentId,
    ]);
    return changed > 0;
  }
}

/**
 * Everything a risk check reads, on `conn` (the pool, or a transaction's client). Reservations are read before the
 * day's totals: a job that succeeds in between is then counted twice (its reservation and its receipt), never not
 * at all.
 */
async function snapshotOn(
  conn: PgConn,
  agentIds: readonly string[],
  dayStart: number,
  money: boolean,
): Promise<RiskSnapshot> {
  const ids = [...new Set(agentIds)];
  const reserved = money ? reservationTotals(await conn.rows<LiveReservationRow>(LIVE_RESERVATIONS_SQL)) : null;
  // One statement for the switches and PnL (this runs before every bet): the day's fleet total on a row of its own,
  // joined to each requested agent the fleet knows (none: the row alone), with both switches and the agent's total.
  const rows = await conn.rows<{
    fleet_net: number;
    agent_id: string | null;
    paused: boolean;
    pause_reason: string | null;
    fleet_reason: string | null;
    net: number;
  }>(
    `SELECT f.net AS fleet_net, a.agent_id, a.paused, a.pause_reason, p.reason AS fleet_reason,
       COALESCE(t.net, 0) AS net
     FROM (SELECT COALESCE(SUM(net), 0)::bigint AS net FROM bet_day_totals WHERE day_start = $2) f
     LEFT JOIN fleet_agents a ON a.agent_id = ANY($1::text[])
     LEFT JOIN fleet_pause p ON p.id = 1
     LEFT JOIN bet_day_totals t ON t.day_start = $2 AND t.agent_id = a.agent_id`,
    [ids, dayStart],
  );
  const byId = new Map(rows.map((r) => [r.agent_id, r]));
  const agents = new Map<string, AgentRiskState>();
  for (const agentId of ids) {
    const r = byId.get(agentId);
    if (!r) continue;
    agents.set(agentId, {
      paused: r.paused,
      pauseReason: r.pause_reason,
      fleetPauseReason: r.fleet_reason,
      netToday: r.net as Micros,
    });
  }
  const snapshot: RiskSnapshot = {
    overrides: await overridesOn(conn),
    agents,
    fleetNetToday: (rows[0]?.fleet_net ?? 0) as Micros,
  };
  if (!reserved) return snapshot;
  const spent = await conn.rows<{ kind: string; spent: number }>(
    `SELECT kind, (-SUM(amount))::bigint AS spent FROM movements
     WHERE kind IN ('escrow_lock', 'transfer_out') AND at >= $1 AND at < $2 GROUP BY kind`,
    [dayStart, dayStart + DAY_MS],
  );
  snapshot.money = moneySnapshot(reserved, spent);
  return snapshot;
}

async function overridesOn(conn: PgConn): Promise<LimitOverride[]> {
  const rows = await conn.rows<{ scope: string; name: LimitName; value: number }>(
    "SELECT scope, name, value FROM fleet_limit_overrides ORDER BY seq",
  );
  return rows.map((r) => ({ agentId: r.scope === FLEET_SCOPE ? null : r.scope, name: r.name, value: r.value }));
}
