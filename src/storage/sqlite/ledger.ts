/**
 * The ledger on SQLite. Every statement is compiled once per connection (`conn.sql`): the writers run inside hot
 * transactions (a bet's receipt commits with its job), where compiling the same SQL again on every call shows up
 * in profiles. The SQL is the ledger's as it was tuned and tested; the rules around it are src/ledger's.
 */
import { IMPORTED_PREFIX, isSameAsImported } from "../../ledger/matching.js";
import { DrawdownTracker, SharpeAccumulator } from "../../ledger/stats.js";
import type {
  BalanceSnapshot,
  DailyPnl,
  ServerOrigin,
  ServerRow,
  StoredBet,
  StoredMovement,
  StoredSummary,
  SummaryKind,
} from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import type {
  BetGroup,
  BetGrouping,
  BetListQuery,
  BetWrite,
  LedgerFilter,
  LedgerRepo,
  MovementInsert,
  MovementKey,
  MovementListQuery,
  MovementWrite,
  NewBet,
  NewMovement,
  ServerRowQuery,
  SnapshotWrite,
} from "../ledger.js";
import {
  type BetRow,
  type MovementRow,
  pruneServerRowsSql,
  SERVER_ROW_COLUMNS,
  type ServerRowRow,
  type SnapshotRow,
  serverRowValues,
  toBet,
  toMovement,
  toServerRow,
  toSnapshot,
} from "../ledger-rows.js";
import type { SqliteConn } from "./connection.js";

// ── filters ───────────────────────────────────────────────────────────────────────────────────────────────────

/** A WHERE clause with its bound parameters (named, so clauses compose without counting `?`). */
interface Where {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * The filter every ledger query shares: `timeColumn` in [from, to) and, optionally, a set of agents.
 * Agents are bound as one JSON array so the statement text does not depend on how many there are.
 */
function rowFilter(q: LedgerFilter, timeColumn: string, extra: string[] = []): Where {
  const clauses = [...extra];
  const params: Record<string, unknown> = {};
  if (q.from !== undefined) {
    clauses.push(`${timeColumn} >= @from`);
    params.from = q.from;
  }
  if (q.to !== undefined) {
    clauses.push(`${timeColumn} < @to`);
    params.to = q.to;
  }
  if (q.agentIds?.length) {
    clauses.push("agent_id IN (SELECT value FROM json_each(@agentIds))");
    params.agentIds = JSON.stringify(q.agentIds);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

const GROUP_BY: Record<BetGrouping, string> = { all: "'*'", game: "game", agent: "agent_id" };

// ── statements ────────────────────────────────────────────────────────────────────────────────────────────────

const BET_COLUMNS = `agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, payout_multiplier, won,
         payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at`;
const BET_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** Rows per multi-row insert: 18 parameters each (PARAMS_PER_BET), far below SQLite's limit of 32,766; a batch call has ≤ 20. */
const BETS_PER_INSERT = 100;

const PARAMS_PER_BET = 18;

/** Thrown inside `atomic` to undo an insert that skipped some receipts (it is made again with RETURNING). */
const SOME_ALREADY_STORED = new Error("some receipts were already stored");

/** The bound parameters of `bets`, in BET_COLUMNS order, in one array (a multi-row insert's, without an array per bet). */
function betParams(bets: readonly NewBet[], now: number): unknown[] {
  const params = new Array<unknown>(bets.length * PARAMS_PER_BET);
  let k = 0;
  for (const b of bets) {
    params[k++] = b.agentId;
    params[k++] = b.clientSeed;
    params[k++] = b.betId;
    params[k++] = b.game;
    params[k++] = JSON.stringify(b.params);
    params[k++] = b.stake;
    params[k++] = b.multiplierBasis;
    params[k++] = b.payoutMultiplier;
    params[k++] = b.won ? 1 : 0;
    params[k++] = b.payout;
    params[k++] = b.serverSeedHash;
    params[k++] = b.nonce;
    params[k++] = b.resultHash;
    params[k++] = b.roll;
    params[k++] = b.jobId ?? null;
    params[k++] = b.placedAt;
    params[k++] = b.source;
    params[k++] = now;
  }
  return params;
}

const SELECT_BET = `SELECT agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, won,
  payout, net, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at FROM bets`;

const SELECT_MOVEMENT =
  "SELECT agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at FROM movements";

const SELECT_SNAPSHOT = "SELECT agent_id, at, server, server_usd, local, difference FROM balance_snapshots";
const PRUNE_SERVER_ROWS_SQL = pruneServerRowsSql(
  { before: "@before", skip: "@skip", limit: "@limit" },
  (alias) => `${alias}.behind_head = 0`,
);

export class SqliteLedgerRepo implements LedgerRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  // ── bets ────────────────────────────────────────────────────────────────────────────────────────────────────

  async recordBet(bet: NewBet, now: number): Promise<BetWrite> {
    const result = this.#conn
      .sql(
        `INSERT INTO bets (${BET_COLUMNS})
       VALUES ${BET_VALUES}
       ON CONFLICT DO NOTHING`,
      )
      .run(betParams([bet], now));
    if (result.changes === 1) return { inserted: true };
    return { inserted: false, existing: this.#existingBet(bet) };
  }

  async recordBets(bets: readonly NewBet[], now: number): Promise<BetWrite[]> {
    if (bets.length === 0) return [];
    const insert = (): BetWrite[] => {
      const writes: BetWrite[] = [];
      for (let i = 0; i < bets.length; i += BETS_PER_INSERT) {
        writes.push(...this.#insertBets(bets.slice(i, i + BETS_PER_INSERT), now));
      }
      return writes;
    };
    return bets.length > BETS_PER_INSERT ? this.#conn.atomic(insert) : insert();
  }

  /**
   * One multi-row insert. Almost always every receipt is new, and the insert's count of rows says so without
   * handing any back (RETURNING costs ~6 µs a bet in row objects and matching). When some were already stored, the
   * insert is undone and made again with RETURNING, which names the rows that went in (in no promised order).
   */
  #insertBets(chunk: readonly NewBet[], now: number): BetWrite[] {
    const conn = this.#conn;
    const params = betParams(chunk, now);
    const insert = `INSERT INTO bets (${BET_COLUMNS}) VALUES ${chunk.map(() => BET_VALUES).join(", ")} ON CONFLICT DO NOTHING`;
    try {
      conn.atomic(() => {
        if (conn.sql(insert).run(params).changes !== chunk.length) throw SOME_ALREADY_STORED;
      });
      return chunk.map(() => ({ inserted: true }));
    } catch (err) {
      if (err !== SOME_ALREADY_STORED) throw err;
    }
    const rows = conn.sql(`${insert} RETURNING client_seed, bet_id`).all(params) as Array<{
      client_seed: string;
      bet_id: string;
    }>;
    const inserted = new Set(rows.map((r) => identity(r.client_seed, r.bet_id)));
    // Rows are inserted in list order, so of receipts sharing a client seed and bet id the first is the one
    // stored; any other receipt was skipped, as it would have been one by one.
    return chunk.map((b): BetWrite => {
      if (inserted.delete(identity(b.clientSeed, b.betId))) return { inserted: true };
      return { inserted: false, existing: this.#existingBet(b) };
    });
  }

  async betByClientSeed(clientSeed: string): Promise<StoredBet | undefined> {
    return this.#betByClientSeed(clientSeed);
  }

  async betByBetId(betId: string): Promise<StoredBet | undefined> {
    return this.#betByBetId(betId);
  }

  async betsByClientSeeds(clientSeeds: readonly string[]): Promise<StoredBet[]> {
    const rows = this.#conn
      .sql(`${SELECT_BET} WHERE client_seed IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(clientSeeds)) as BetRow[];
    return rows.map(toBet);
  }

  async betsByJobIds(jobIds: readonly string[]): Promise<StoredBet[]> {
    const rows = this.#conn
      .sql(`${SELECT_BET} WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY id`)
      .all(JSON.stringify(jobIds)) as BetRow[];
    return rows.map(toBet);
  }

  async listBets(q: BetListQuery): Promise<StoredBet[]> {
    const where = rowFilter(q, "placed_at", q.game === undefined ? [] : ["game = @game"]);
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const rows = this.#conn
      .sql(`${SELECT_BET} ${where.sql} ORDER BY placed_at ${dir}, id ${dir} LIMIT @limit OFFSET @offset`)
      .all({
        ...where.params,
        ...(q.game === undefined ? {} : { game: q.game }),
        limit: q.limit,
        offset: q.offset,
      }) as BetRow[];
    return rows.map(toBet);
  }

  async recordedBetIds(agentId: string, betIds: readonly string[]): Promise<Set<string>> {
    if (betIds.length === 0) return new Set();
    const ids = this.#conn
      .sql("SELECT bet_id FROM bets WHERE agent_id = ? AND bet_id IN (SELECT value FROM json_each(?))")
      .pluck()
      .all(agentId, JSON.stringify(betIds)) as string[];
    return new Set(ids);
  }

  #betByClientSeed(clientSeed: string): StoredBet | undefined {
    const row = this.#conn.sql(`${SELECT_BET} WHERE client_seed = ?`).get(clientSeed) as BetRow | undefined;
    return row && toBet(row);
  }

  #betByBetId(betId: string): StoredBet | undefined {
    const row = this.#conn.sql(`${SELECT_BET} WHERE bet_id = ?`).get(betId) as BetRow | undefined;
    return row && toBet(row);
  }

  /** what kept a receipt out: the row under its client seed, else the one under its bet id */
  #existingBet(bet: NewBet): StoredBet | undefined {
    return this.#betByClientSeed(bet.clientSeed) ?? this.#betByBetId(bet.betId);
  }

  // ── movements ───────────────────────────────────────────────────────────────────────────────────────────────

  async recordMovement(movement: NewMovement, now: number): Promise<MovementWrite> {
    return this.#conn.atomic((): MovementWrite => {
      const keyed = this.#movement(movement.agentId, movement.reference) !== undefined;
      if (!keyed && !movement.reference.startsWith(IMPORTED_PREFIX)) {
        const adopted = this.#adoptImported(movement);
        if (adopted) return adopted;
      }
      return this.#insertMovement(movement, now, null);
    });
  }

  async recordImportedMovement(movement: NewMovement, origin: ServerOrigin, now: number): Promise<MovementInsert> {
    return this.#insertMovement(movement, now, origin);
  }

  async movement(agentId: string, reference: string): Promise<StoredMovement | undefined> {
    return this.#movement(agentId, reference);
  }

  async listMovements(q: MovementListQuery): Promise<StoredMovement[]> {
    const kinds = q.kinds?.length ? q.kinds : undefined;
    const extra = kinds ? ["kind IN (SELECT value FROM json_each(@kinds))"] : [];
    if (q.referencePrefix !== undefined) extra.push("substr(reference, 1, length(@prefix)) = @prefix");
    const where = rowFilter(q, "at", extra);
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const rows = this.#conn
      .sql(`${SELECT_MOVEMENT} ${where.sql} ORDER BY at ${dir}, id ${dir} LIMIT @limit OFFSET @offset`)
      .all({
        ...where.params,
        ...(kinds ? { kinds: JSON.stringify(kinds) } : {}),
        ...(q.referencePrefix === undefined ? {} : { prefix: q.referencePrefix }),
        limit: q.limit,
        offset: q.offset,
      }) as MovementRow[];
    return rows.map(toMovement);
  }

  async movementKeys(agentId: string): Promise<MovementKey[]> {
    return this.#conn
      .sql("SELECT kind, reference, server_entry_id AS serverEntryId FROM movements WHERE agent_id = ?")
      .all(agentId) as MovementKey[];
  }

  async openingBalanceAt(agentId: string): Promise<number | undefined> {
    const at = this.#conn
      .sql("SELECT MAX(at) FROM movements WHERE agent_id = ? AND kind = 'opening_balance'")
      .pluck()
      .get(agentId) as number | null;
    return at ?? undefined;
  }

  #movement(agentId: string, reference: string): StoredMovement | undefined {
    const row = this.#conn.sql(`${SELECT_MOVEMENT} WHERE agent_id = ? AND reference = ?`).get(agentId, reference) as
      | MovementRow
      | undefined;
    return row && toMovement(row);
  }

  #insertMovement(m: NewMovement, now: number, origin: ServerOrigin | null): MovementInsert {
    const result = this.#conn
      .sql(
        `INSERT INTO movements (agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at,
         server_entry_id, server_reference, server_reason)
       VALUES (@agentId, @kind, @amount, @reference, @fee, @description, @jobId, @at, @now,
         @entryId, @serverReference, @serverReason)
       ON CONFLICT (agent_id, reference) DO NOTHING`,
      )
      .run({
        agentId: m.agentId,
        kind: m.kind,
        amount: m.amount,
        reference: m.reference,
        fee: m.fee,
        description: m.description,
        jobId: m.jobId,
        at: m.at,
        now,
        entryId: origin?.entryId ?? null,
        serverReference: origin?.reference ?? null,
        serverReason: origin?.reason ?? null,
      });
    if (result.changes === 1) return { outcome: "inserted" };
    return { outcome: "exists", existing: this.#movement(m.agentId, m.reference) };
  }

  /** Takes over an imported row that is the same money as `m`; undefined when there is none. */
  #adoptImported(m: NewMovement): MovementWrite | undefined {
    const candidates = this.#conn
      .sql(
        `SELECT id, amount, reference, server_entry_id, server_reference, server_reason FROM movements
       WHERE agent_id = ? AND kind = ? AND server_entry_id IS NOT NULL AND substr(reference, 1, ?) = ?`,
      )
      .all(m.agentId, m.kind, IMPORTED_PREFIX.length, IMPORTED_PREFIX) as Array<{
      id: number;
      amount: number;
      reference: string;
      server_entry_id: string;
      server_reference: string | null;
      server_reason: string | null;
    }>;
    const match = candidates.find((c) =>
      isSameAsImported(
        { serverEntryId: c.server_entry_id, serverReference: c.server_reference, serverReason: c.server_reason },
        m,
      ),
    );
    if (!match) return undefined;
    if (match.amount !== m.amount) {
      return { outcome: "mismatch", serverEntryId: match.server_entry_id, amount: match.amount };
    }
    this.#conn
      .sql(
        "UPDATE movements SET reference = ?, fee = ?, description = COALESCE(?, description), job_id = ? WHERE id = ?",
      )
      .run(m.reference, m.fee, m.description, m.jobId, match.id);
    return { outcome: "adopted" };
  }

  // ── the server ledger mirror ───────────────────────────────────────────────────────────────────────────────

  async mirrorHead(agentId: string): Promise<{ head: ServerRow | undefined; lastSeq: number }> {
    const row = this.#conn
      .sql(
        `SELECT ${SERVER_ROW_COLUMNS} FROM server_ledger_rows WHERE agent_id = ? AND behind_head = 0 AND type <> 'opening'
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(agentId) as ServerRowRow | undefined;
    const lastSeq = this.#conn
      .sql("SELECT COALESCE(MAX(seq), 0) FROM server_ledger_rows WHERE agent_id = ?")
      .pluck()
      .get(agentId) as number;
    return { head: row && toServerRow(row), lastSeq };
  }

  async serverRowIds(agentId: string, entryIds: readonly string[]): Promise<Set<string>> {
    if (entryIds.length === 0) return new Set();
    const ids = this.#conn
      .sql(
        "SELECT entry_id FROM server_ledger_rows WHERE agent_id = ? AND entry_id IN (SELECT value FROM json_each(?))",
      )
      .pluck()
      .all(agentId, JSON.stringify(entryIds)) as string[];
    return new Set(ids);
  }

  async appendServerRows(rows: readonly ServerRow[]): Promise<number> {
    const insert = this.#conn.sql(
      `INSERT INTO server_ledger_rows (${SERVER_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, entry_id) DO NOTHING`,
    );
    let inserted = 0;
    for (const r of rows) inserted += insert.run(...serverRowValues(r, (b) => (b ? 1 : 0))).changes;
    return inserted;
  }

  async serverRows(q: ServerRowQuery): Promise<ServerRow[]> {
    const clauses = ["agent_id = @agentId"];
    const params: Record<string, unknown> = { agentId: q.agentId, limit: q.limit ?? -1 };
    const filter = (sql: string, name: string, value: unknown) => {
      if (value === undefined) return;
      clauses.push(sql);
      params[name] = value;
    };
    filter("at >= @sinceAt", "sinceAt", q.sinceAt);
    filter("at < @beforeAt", "beforeAt", q.beforeAt);
    filter("service = @service", "service", q.service);
    filter("reference = @reference", "reference", q.reference);
    filter(
      "entry_id IN (SELECT value FROM json_each(@entryIds))",
      "entryIds",
      q.entryIds && JSON.stringify(q.entryIds),
    );
    if (q.gapsOnly) clauses.push("gap_before IS NOT NULL");
    const rows = this.#conn
      .sql(
        `SELECT ${SERVER_ROW_COLUMNS} FROM server_ledger_rows WHERE ${clauses.join(" AND ")} ORDER BY seq LIMIT @limit`,
      )
      .all(params) as ServerRowRow[];
    return rows.map(toServerRow);
  }

  async pruneServerRows(q: { before: number; keepNewest: number; limit: number }): Promise<number> {
    return this.#conn.sql(PRUNE_SERVER_ROWS_SQL).run({ before: q.before, skip: q.keepNewest - 1, limit: q.limit })
      .changes;
  }

  // ── balances and PnL ────────────────────────────────────────────────────────────────────────────────────────

  async localBalance(agentId: string): Promise<Micros> {
    return this.#localBalance(agentId);
  }

  async betNet(filter: LedgerFilter): Promise<Micros> {
    const where = rowFilter(filter, "placed_at");
    return this.#conn.sql(`SELECT COALESCE(SUM(net), 0) FROM bets ${where.sql}`).pluck().get(where.params) as Micros;
  }

  async agentDayNet(agentId: string, dayStart: number): Promise<Micros> {
    const net = this.#conn
      .sql("SELECT net FROM bet_day_totals WHERE day_start = ? AND agent_id = ?")
      .pluck()
      .get(dayStart, agentId) as number | undefined;
    return net ?? 0;
  }

  async fleetDayNet(dayStart: number): Promise<Micros> {
    return this.#conn
      .sql("SELECT COALESCE(SUM(net), 0) FROM bet_day_totals WHERE day_start = ?")
      .pluck()
      .get(dayStart) as Micros;
  }

  async betGroups(filter: LedgerFilter, by: BetGrouping): Promise<BetGroup[]> {
    const where = rowFilter(filter, "placed_at");
    const groupBy = GROUP_BY[by];
    const groups = this.#conn
      .sql(
        `SELECT ${groupBy} AS k, COUNT(*) AS bets, SUM(won) AS wins, SUM(stake) AS wagered, SUM(payout) AS returned,
              SUM(net) AS pnl
       FROM bets ${where.sql} GROUP BY k ORDER BY k`,
      )
      .all(where.params) as Array<{
      k: string;
      bets: number;
      wins: number;
      wagered: number;
      returned: number;
      pnl: number;
    }>;
    const extremes = this.#conn
      .sql(
        `SELECT k, client_seed, bet_id, net, best_rank, worst_rank FROM (
         SELECT ${groupBy} AS k, client_seed, bet_id, net,
                ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net DESC, placed_at, id) AS best_rank,
                ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net ASC, placed_at, id) AS worst_rank
         FROM bets ${where.sql})
       WHERE best_rank = 1 OR worst_rank = 1`,
      )
      .all(where.params) as Array<{
      k: string;
      client_seed: string;
      bet_id: string;
      net: number;
      best_rank: number;
      worst_rank: number;
    }>;

    const out = new Map<string, BetGroup>();
    for (const g of groups) {
      out.set(g.k, {
        key: g.k,
        bets: g.bets,
        wins: g.wins,
        wagered: g.wagered,
        returned: g.returned,
        pnl: g.pnl,
        best: null,
        worst: null,
      });
    }
    for (const e of extremes) {
      const group = out.get(e.k);
      if (!group) continue;
      const trade = { clientSeed: e.client_seed, betId: e.bet_id, net: e.net };
      if (e.best_rank === 1) group.best = trade;
      if (e.worst_rank === 1) group.worst = trade;
    }
    return [...out.values()];
  }

  async dailyBetPnl(filter: LedgerFilter): Promise<DailyPnl[]> {
    const where = rowFilter(filter, "placed_at");
    return this.#conn
      .sql(
        `SELECT strftime('%Y-%m-%d', placed_at / 1000, 'unixepoch') AS date, SUM(net) AS pnl, COUNT(*) AS bets
       FROM bets ${where.sql} GROUP BY date ORDER BY date`,
      )
      .all(where.params) as DailyPnl[];
  }

  async betSequenceStats(filter: LedgerFilter): Promise<{ sharpePerBet: number | null; maxDrawdown: Micros }> {
    const where = rowFilter(filter, "placed_at");
    const sharpe = new SharpeAccumulator();
    const drawdown = new DrawdownTracker();
    // One pass, streamed: the loop runs to its end synchronously, so nothing else uses the connection meanwhile.
    const nets = this.#conn.sql(`SELECT net FROM bets ${where.sql} ORDER BY placed_at, id`).pluck();
    for (const net of nets.iterate(where.params) as IterableIterator<number>) {
      sharpe.add(net);
      drawdown.add(net);
    }
    return { sharpePerBet: sharpe.ratio(), maxDrawdown: drawdown.maxDrawdown };
  }

  async movementTotals(filter: LedgerFilter): Promise<{ total: Micros; escrowFees: Micros; faucetIncome: Micros }> {
    const where = rowFilter(filter, "at");
    return this.#conn
      .sql(
        `SELECT COALESCE(SUM(amount), 0) AS total,
              COALESCE(SUM(CASE WHEN kind = 'escrow_lock' THEN fee END), 0) AS escrowFees,
              COALESCE(SUM(CASE WHEN kind = 'faucet' THEN amount END), 0) AS faucetIncome
       FROM movements ${where.sql}`,
      )
      .get(where.params) as { total: number; escrowFees: number; faucetIncome: number };
  }

  #localBalance(agentId: string): Micros {
    const row = this.#conn
      .sql(
        `SELECT (SELECT COALESCE(SUM(amount), 0) FROM movements WHERE agent_id = @agentId)
            + (SELECT COALESCE(SUM(net), 0) FROM bets WHERE agent_id = @agentId) AS balance`,
      )
      .get({ agentId }) as { balance: number };
    return row.balance;
  }

  // ── snapshots and summaries ─────────────────────────────────────────────────────────────────────────────────

  async recordBalanceSnapshot(s: SnapshotWrite): Promise<{ inserted: boolean; snapshot: BalanceSnapshot }> {
    const conn = this.#conn;
    return conn.atomic(() => {
      const local = s.local ?? this.#localBalance(s.agentId);
      const result = conn
        .sql(
          `INSERT INTO balance_snapshots (agent_id, at, server, server_usd, local) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, at) DO NOTHING`,
        )
        .run(s.agentId, s.at, s.server, s.serverUsd, local);
      const row = conn.sql(`${SELECT_SNAPSHOT} WHERE agent_id = ? AND at = ?`).get(s.agentId, s.at) as SnapshotRow;
      return { inserted: result.changes === 1, snapshot: toSnapshot(row) };
    });
  }

  async listBalanceSnapshots(q: LedgerFilter & { limit: number }): Promise<BalanceSnapshot[]> {
    const where = rowFilter(q, "at");
    const rows = this.#conn
      .sql(`${SELECT_SNAPSHOT} ${where.sql} ORDER BY at DESC, id DESC LIMIT @limit`)
      .all({ ...where.params, limit: q.limit }) as SnapshotRow[];
    return rows.map(toSnapshot);
  }

  async latestBalanceSnapshots(): Promise<BalanceSnapshot[]> {
    const rows = this.#conn
      .sql(
        `${SELECT_SNAPSHOT} WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY at DESC, id DESC) AS n
                         FROM balance_snapshots) WHERE n = 1)
       ORDER BY agent_id`,
      )
      .all() as SnapshotRow[];
    return rows.map(toSnapshot);
  }

  async storeSummary(s: StoredSummary): Promise<void> {
    this.#conn
      .sql(
        `INSERT INTO pnl_summaries (kind, period_key, from_ms, to_ms, body, computed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, period_key) DO UPDATE SET
       from_ms = excluded.from_ms, to_ms = excluded.to_ms, body = excluded.body, computed_at = excluded.computed_at`,
      )
      .run(s.kind, s.key, s.from, s.to, JSON.stringify(s.report), s.computedAt);
  }

  async summary(kind: SummaryKind, key: string): Promise<StoredSummary | undefined> {
    const row = this.#conn
      .sql("SELECT from_ms, to_ms, body, computed_at FROM pnl_summaries WHERE kind = ? AND period_key = ?")
      .get(kind, key) as { from_ms: number; to_ms: number; body: string; computed_at: number } | undefined;
    if (!row) return undefined;
    return {
      kind,
      key,
      from: row.from_ms,
      to: row.to_ms,
      report: JSON.parse(row.body) as StoredSummary["report"],
      computedAt: row.computed_at,
    };
  }

  async listSummaries(kind: SummaryKind, limit: number): Promise<Array<Omit<StoredSummary, "report">>> {
    const rows = this.#conn
      .sql(
        "SELECT period_key, from_ms, to_ms, computed_at FROM pnl_summaries WHERE kind = ? ORDER BY from_ms DESC LIMIT ?",
      )
      .all(kind, limit) as Array<{ period_key: string; from_ms: number; to_ms: number; computed_at: number }>;
    return rows.map((r) => ({ kind, key: r.period_key, from: r.from_ms, to: r.to_ms, computedAt: r.computed_at }));
  }
}

/** Client seed and bet id together: what a RETURNING row of a multi-row insert is matched to its receipt by. */
function identity(clientSeed: string, betId: string): string {
  return `${clientSeed}\u0000${betId}`;
}
