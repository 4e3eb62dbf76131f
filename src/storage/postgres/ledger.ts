/**
 * The ledger on PostgreSQL: SQLite's queries (../sqlite/ledger.ts) with the same answers, orders and tie-breaks,
 * for several processes on several machines writing at once (READ COMMITTED). Where SQLite's single writer made
 * a read-then-write safe, ON CONFLICT or the agent's ledger lock does here (see `lockAgent`). Sums of BIGINT are
 * NUMERIC and are cast back (`::bigint`), so money comes back as exact integers.
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
import type { PgConn } from "./connection.js";

/** Appends `value` to a statement's parameters; its placeholder. */
function bind(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/**
 * The filter every ledger query shares: `timeColumn` in [from, to) and, optionally, a set of agents (one array
 * parameter, so the statement text does not depend on how many there are). Binds into `params`.
 */
function rowFilter(q: LedgerFilter, timeColumn: string, params: unknown[], extra: string[] = []): string {
  const clauses = [...extra];
  if (q.from !== undefined) clauses.push(`${timeColumn} >= ${bind(params, q.from)}`);
  if (q.to !== undefined) clauses.push(`${timeColumn} < ${bind(params, q.to)}`);
  if (q.agentIds?.length) clauses.push(`agent_id = ANY(${bind(params, q.agentIds)}::text[])`);
  return clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
}

const GROUP_BY: Record<BetGrouping, string> = { all: "'*'::text", game: "game", agent: "agent_id" };

// ── statements ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Every receipt of a call in one INSERT: a column array each, unnested in list order (ORDER BY ord), so of
 * receipts sharing a client seed or bet id the first is stored and the rest are skipped, as one by one.
 * RETURNING names the rows inserted; a row skipped by ON CONFLICT is not returned.
 */
const INSERT_BETS = `INSERT INTO bets (agent_id, client_seed, bet_id, game, params, stake, multiplier_basis,
    payout_multiplier, won, payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at)
  SELECT agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, payout_multiplier, won, payout,
         server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, $18::bigint
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
              $8::float8[], $9::boolean[], $10::bigint[], $11::text[], $12::bigint[], $13::text[], $14::float8[],
              $15::text[], $16::bigint[], $17::text[])
       WITH ORDINALITY AS b (agent_id, client_seed, bet_id, game, params, stake, multiplier_basis,
         payout_multiplier, won, payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, ord)
  ORDER BY ord
  ON CONFLICT DO NOTHING RETURNING client_seed, bet_id`;

function betArrays(bets: readonly NewBet[], now: number): unknown[] {
  const column = (f: (b: NewBet) => unknown) => bets.map(f);
  return [
    column((b) => b.agentId),
    column((b) => b.clientSeed),
    column((b) => b.betId),
    column((b) => b.game),
    column((b) => JSON.stringify(b.params)),
    column((b) => b.stake),
    column((b) => b.multiplierBasis),
    column((b) => b.payoutMultiplier),
    column((b) => b.won),
    column((b) => b.payout),
    column((b) => b.serverSeedHash),
    column((b) => b.nonce),
    column((b) => b.resultHash),
    column((b) => b.roll),
    column((b) => b.jobId ?? null),
    column((b) => b.placedAt),
    column((b) => b.source),
    now,
  ];
}

const SELECT_BET = `SELECT agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, won,
  payout, net, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at FROM bets`;

const SELECT_MOVEMENT =
  "SELECT agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at FROM movements";

const SNAPSHOT_COLUMNS = "agent_id, at, server, server_usd, local, difference";
const PRUNE_SERVER_ROWS_SQL = pruneServerRowsSql(
  { before: "$1::bigint", skip: "$2::bigint", limit: "$3::bigint" },
  (alias) => `NOT ${alias}.behind_head`,
  "FOR UPDATE OF r SKIP LOCKED",
);

/** Σ movements + Σ bet net of the agent `$1` */
const LOCAL_BALANCE = `(SELECT COALESCE(SUM(amount), 0) FROM movements WHERE agent_id = $1)
  + (SELECT COALESCE(SUM(net), 0) FROM bets WHERE agent_id = $1)`;

/** Bets read per page by betSequenceStats: bounded memory, whatever the window holds. */
const SEQUENCE_PAGE = 5_000;

/** the first half of the two-key advisory locks on agents' movements: apart from every other advisory lock */
const LEDGER_LOCK_SPACE = 0x70665f6c; // "pf_l"

/**
 * The agent's ledger lock, held until the (outer) transaction ends: what SQLite's single writer gives the ledger.
 * Every writer of an agent's movements, and the ledger refresh's reads (`openingBalanceAt`, `movementKeys`), take
 * it first, in a statement of its own, so what they then read (READ COMMITTED: a new snapshot per statement)
 * includes whatever the previous holder committed. A row lock (SELECT … FOR UPDATE) could not do it: what must be
 * serialized is the absence of a row (no movement under the reference, no imported row that is the same money
 * yet). Two agents whose ids hash alike merely share a lock. A transaction that writes two agents' movements
 * (a transfer) can deadlock with one writing them the other way round; PostgreSQL aborts one, and the storage
 * runs that transaction again.
 */
async function lockAgent(conn: PgConn, agentId: string): Promise<void> {
  await conn.run(`SELECT pg_advisory_xact_lock(${LEDGER_LOCK_SPACE}, hashtext($1::text))`, [agentId]);
}

export class PgLedgerRepo implements LedgerRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  // ── bets ────────────────────────────────────────────────────────────────────────────────────────────────────

  async recordBet(bet: NewBet, now: number): Promise<BetWrite> {
    return (await this.recordBets([bet], now))[0] as BetWrite;
  }

  async recordBets(bets: readonly NewBet[], now: number): Promise<BetWrite[]> {
    if (bets.length === 0) return [];
    // One statement, so atomic by itself. ON CONFLICT waits for a concurrent insert of the same seed or bet id to
    // end; the read below (a statement of its own) then sees the row that kept a receipt out. Two lists sharing
    // receipts in different orders can deadlock; PostgreSQL aborts one, which the storage's transaction (where
    // pf-fleet records bets: a job's commit) runs again.
    const rows = await this.#conn.rows<{ client_seed: string; bet_id: string }>(INSERT_BETS, betArrays(bets, now));
    const inserted = new Set(rows.map((r) => identity(r.client_seed, r.bet_id)));
    const answers = bets.map((b) => inserted.delete(identity(b.clientSeed, b.betId)));
    if (answers.every(Boolean)) return answers.map(() => ({ inserted: true }));
    const skipped = bets.filter((_, i) => !answers[i]);
    const found = await this.#conn.rows<BetRow>(
      `${SELECT_BET} WHERE client_seed = ANY($1::text[]) OR bet_id = ANY($2::text[])`,
      [skipped.map((b) => b.clientSeed), skipped.map((b) => b.betId)],
    );
    const bySeed = new Map(found.map((r) => [r.client_seed, r]));
    const byBetId = new Map(found.map((r) => [r.bet_id, r]));
    return bets.map((b, i): BetWrite => {
      if (answers[i]) return { inserted: true };
      // what kept it out: the row under its client seed, else the one under its bet id
      const row = bySeed.get(b.clientSeed) ?? byBetId.get(b.betId);
      return { inserted: false, existing: row && toBet(row) };
    });
  }

  async betByClientSeed(clientSeed: string): Promise<StoredBet | undefined> {
    const row = await this.#conn.row<BetRow>(`${SELECT_BET} WHERE client_seed = $1`, [clientSeed]);
    return row && toBet(row);
  }

  async betByBetId(betId: string): Promise<StoredBet | undefined> {
    const row = await this.#conn.row<BetRow>(`${SELECT_BET} WHERE bet_id = $1`, [betId]);
    return row && toBet(row);
  }

  async betsByClientSeeds(clientSeeds: readonly string[]): Promise<StoredBet[]> {
    const rows = await this.#conn.rows<BetRow>(`${SELECT_BET} WHERE client_seed = ANY($1::text[])`, [clientSeeds]);
    return rows.map(toBet);
  }

  async betsByJobIds(jobIds: readonly string[]): Promise<StoredBet[]> {
    const rows = await this.#conn.rows<BetRow>(`${SELECT_BET} WHERE job_id = ANY($1::text[]) ORDER BY id`, [jobIds]);
    return rows.map(toBet);
  }

  async listBets(q: BetListQuery): Promise<StoredBet[]> {
    const params: unknown[] = [];
    const where = rowFilter(q, "placed_at", params, q.game === undefined ? [] : [`game = ${bind(params, q.game)}`]);
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const rows = await this.#conn.rows<BetRow>(
      `${SELECT_BET} ${where} ORDER BY placed_at ${dir}, id ${dir}
       LIMIT ${bind(params, q.limit)} OFFSET ${bind(params, q.offset)}`,
      params,
    );
    return rows.map(toBet);
  }

  async recordedBetIds(agentId: string, betIds: readonly string[]): Promise<Set<string>> {
    if (betIds.length === 0) return new Set();
    const rows = await this.#conn.rows<{ bet_id: string }>(
      "SELECT bet_id FROM bets WHERE agent_id = $1 AND bet_id = ANY($2::text[])",
      [agentId, betIds],
    );
    return new Set(rows.map((r) => r.bet_id));
  }

  // ── movements ───────────────────────────────────────────────────────────────────────────────────────────────

  async recordMovement(movement: NewMovement, now: number): Promise<MovementWrite> {
    return this.#conn.atomic(async (c): Promise<MovementWrite> => {
      await lockAgent(c, movement.agentId);
      if (!movement.reference.startsWith(IMPORTED_PREFIX)) {
        const adopted = await adoptImported(c, movement);
        if (adopted) return adopted;
      }
      return insertMovement(c, movement, now, null);
    });
  }

  async recordImportedMovement(movement: NewMovement, origin: ServerOrigin, now: number): Promise<MovementInsert> {
    // under the agent's lock too, so a recordMovement scanning for imported rows never misses one mid-insert
    return this.#conn.atomic(async (c) => {
      await lockAgent(c, movement.agentId);
      return insertMovement(c, movement, now, origin);
    });
  }

  async movement(agentId: string, reference: string): Promise<StoredMovement | undefined> {
    return movementByKey(this.#conn, agentId, reference);
  }

  async listMovements(q: MovementListQuery): Promise<StoredMovement[]> {
    const params: unknown[] = [];
    const extra = q.kinds?.length ? [`kind = ANY(${bind(params, q.kinds)}::text[])`] : [];
    if (q.referencePrefix !== undefined) extra.push(`starts_with(reference, ${bind(params, q.referencePrefix)})`);
    const where = rowFilter(q, "at", params, extra);
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const rows = await this.#conn.rows<MovementRow>(
      `${SELECT_MOVEMENT} ${where} ORDER BY at ${dir}, id ${dir} LIMIT ${bind(params, q.limit)} OFFSET ${bind(params, q.offset)}`,
      params,
    );
    return rows.map(toMovement);
  }

  /**
   * Takes the agent's ledger lock first (as `openingBalanceAt` does): inside the refresh's transaction it is held
   * until that commits, so the refresh judges server rows and imports them with no pf-fleet writer (nor another
   * refresh) of the agent in between, as SQLite's IMMEDIATE transaction has it. In time order, then recording
   * order: the order SQLite's (agent_id, at) index gives, which decides the movement a server row is matched to.
   */
  async movementKeys(agentId: string): Promise<MovementKey[]> {
    await lockAgent(this.#conn, agentId);
    return this.#conn.rows<MovementKey>(
      `SELECT kind, reference, server_entry_id AS "serverEntryId" FROM movements WHERE agent_id = $1
       ORDER BY at, id`,
      [agentId],
    );
  }

  /** under the agent's ledger lock, as `movementKeys`: the refresh reads it first, to skip what it covers */
  async openingBalanceAt(agentId: string): Promise<number | undefined> {
    await lockAgent(this.#conn, agentId);
    const row = await this.#conn.row<{ at: number | null }>(
      "SELECT MAX(at) AS at FROM movements WHERE agent_id = $1 AND kind = 'opening_balance'",
      [agentId],
    );
    return row?.at ?? undefined;
  }

  // ── the server ledger mirror ───────────────────────────────────────────────────────────────────────────────

  /** Takes the agent's ledger lock first: mirror writers of one agent run one at a time, as on SQLite. */
  async mirrorHead(agentId: string): Promise<{ head: ServerRow | undefined; lastSeq: number }> {
    await lockAgent(this.#conn, agentId);
    const row = await this.#conn.row<ServerRowRow>(
      `SELECT ${SERVER_ROW_COLUMNS} FROM server_ledger_rows WHERE agent_id = $1 AND NOT behind_head AND type <> 'opening'
       ORDER BY seq DESC LIMIT 1`,
      [agentId],
    );
    const max = await this.#conn.row<{ seq: number }>(
      "SELECT COALESCE(MAX(seq), 0)::bigint AS seq FROM server_ledger_rows WHERE agent_id = $1",
      [agentId],
    );
    return { head: row && toServerRow(row), lastSeq: max?.seq ?? 0 };
  }

  async serverRowIds(agentId: string, entryIds: readonly string[]): Promise<Set<string>> {
    if (entryIds.length === 0) return new Set();
    const rows = await this.#conn.rows<{ entry_id: string }>(
      "SELECT entry_id FROM server_ledger_rows WHERE agent_id = $1 AND entry_id = ANY($2::text[])",
      [agentId, entryIds],
    );
    return new Set(rows.map((r) => r.entry_id));
  }

  async appendServerRows(rows: readonly ServerRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const params: unknown[] = [];
    const values = rows.map(
      (r) =>
        `(${serverRowValues(r, (b) => b)
          .map((v) => bind(params, v))
          .join(", ")})`,
    );
    const inserted = await this.#conn.rows(
      `INSERT INTO server_ledger_rows (${SERVER_ROW_COLUMNS}) VALUES ${values.join(", ")}
       ON CONFLICT (agent_id, entry_id) DO NOTHING RETURNING 1`,
      params,
    );
    return inserted.length;
  }

  async serverRows(q: ServerRowQuery): Promise<ServerRow[]> {
    const params: unknown[] = [];
    const clauses = [`agent_id = ${bind(params, q.agentId)}`];
    if (q.sinceAt !== undefined) clauses.push(`at >= ${bind(params, q.sinceAt)}`);
    if (q.beforeAt !== undefined) clauses.push(`at < ${bind(params, q.beforeAt)}`);
    if (q.service !== undefined) clauses.push(`service = ${bind(params, q.service)}`);
    if (q.reference !== undefined) clauses.push(`reference = ${bind(params, q.reference)}`);
    if (q.entryIds !== undefined) clauses.push(`entry_id = ANY(${bind(params, q.entryIds)}::text[])`);
    if (q.gapsOnly) clauses.push("gap_before IS NOT NULL");
    const limit = q.limit === undefined ? "" : ` LIMIT ${bind(params, q.limit)}`;
    const rows = await this.#conn.rows<ServerRowRow>(
      `SELECT ${SERVER_ROW_COLUMNS} FROM server_ledger_rows WHERE ${clauses.join(" AND ")} ORDER BY seq${limit}`,
      params,
    );
    return rows.map(toServerRow);
  }

  async pruneServerRows(q: { before: number; keepNewest: number; limit: number }): Promise<number> {
    return this.#conn.run(PRUNE_SERVER_ROWS_SQL, [q.before, q.keepNewest - 1, q.limit]);
  }

  // ── balances and PnL ────────────────────────────────────────────────────────────────────────────────────────

  async localBalance(agentId: string): Promise<Micros> {
    const row = await this.#conn.row<{ balance: number }>(`SELECT (${LOCAL_BALANCE})::bigint AS balance`, [agentId]);
    return row?.balance ?? 0;
  }

  async betNet(filter: LedgerFilter): Promise<Micros> {
    const params: unknown[] = [];
    const where = rowFilter(filter, "placed_at", params);
    const row = await this.#conn.row<{ net: number }>(
      `SELECT COALESCE(SUM(net), 0)::bigint AS net FROM bets ${where}`,
      params,
    );
    return row?.net ?? 0;
  }

  async agentDayNet(agentId: string, dayStart: number): Promise<Micros> {
    const row = await this.#conn.row<{ net: number }>(
      "SELECT net FROM bet_day_totals WHERE day_start = $1 AND agent_id = $2",
      [dayStart, agentId],
    );
    return row?.net ?? 0;
  }

  async fleetDayNet(dayStart: number): Promise<Micros> {
    const row = await this.#conn.row<{ net: number }>(
      "SELECT COALESCE(SUM(net), 0)::bigint AS net FROM bet_day_totals WHERE day_start = $1",
      [dayStart],
    );
    return row?.net ?? 0;
  }

  async betGroups(filter: LedgerFilter, by: BetGrouping): Promise<BetGroup[]> {
    const params: unknown[] = [];
    const where = rowFilter(filter, "placed_at", params);
    const groupBy = GROUP_BY[by];
    // One statement (one snapshot, one scan): the sums, and each group's best and worst bet as its rank-1 rows.
    const rows = await this.#conn.rows<{
      k: string;
      bets: number;
      wins: number;
      wagered: number;
      returned: number;
      pnl: number;
      best_seed: string;
      best_bet: string;
      best_net: number;
      worst_seed: string;
      worst_bet: string;
      worst_net: number;
    }>(
      `SELECT k, COUNT(*) AS bets, COUNT(*) FILTER (WHERE won) AS wins, SUM(stake)::bigint AS wagered,
              SUM(payout)::bigint AS returned, SUM(net)::bigint AS pnl,
              MIN(client_seed) FILTER (WHERE best_rank = 1) AS best_seed,
              MIN(bet_id) FILTER (WHERE best_rank = 1) AS best_bet,
              MIN(net) FILTER (WHERE best_rank = 1) AS best_net,
              MIN(client_seed) FILTER (WHERE worst_rank = 1) AS worst_seed,
              MIN(bet_id) FILTER (WHERE worst_rank = 1) AS worst_bet,
              MIN(net) FILTER (WHERE worst_rank = 1) AS worst_net
       FROM (SELECT ${groupBy} AS k, client_seed, bet_id, won, stake, payout, net,
                    ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net DESC, placed_at, id) AS best_rank,
                    ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net ASC, placed_at, id) AS worst_rank
             FROM bets ${where}) ranked
       GROUP BY k ORDER BY k`,
      params,
    );
    return rows.map((g) => ({
      key: g.k,
      bets: g.bets,
      wins: g.wins,
      wagered: g.wagered,
      returned: g.returned,
      pnl: g.pnl,
      best: { clientSeed: g.best_seed, betId: g.best_bet, net: g.best_net },
      worst: { clientSeed: g.worst_seed, betId: g.worst_bet, net: g.worst_net },
    }));
  }

  async dailyBetPnl(filter: LedgerFilter): Promise<DailyPnl[]> {
    const params: unknown[] = [];
    const where = rowFilter(filter, "placed_at", params);
    // grouped by the integer UTC day (placed_at is never negative), named as SQLite's strftime names it
    return this.#conn.rows<DailyPnl>(
      `SELECT to_char(DATE '1970-01-01' + day::integer, 'YYYY-MM-DD') AS date, pnl, bets
       FROM (SELECT placed_at / 86400000 AS day, SUM(net)::bigint AS pnl, COUNT(*) AS bets
             FROM bets ${where} GROUP BY 1) d
       ORDER BY day`,
      params,
    );
  }

  async betSequenceStats(filter: LedgerFilter): Promise<{ sharpePerBet: number | null; maxDrawdown: Micros }> {
    const sharpe = new SharpeAccumulator();
    const drawdown = new DrawdownTracker();
    // Streamed in pages, each resuming after the last (placed_at, id) read (keyset: an index range, never an
    // OFFSET to skip), so memory stays one page whatever the window holds.
    let after: { placed_at: number; id: number } | undefined;
    for (;;) {
      const params: unknown[] = [];
      const keyset = after ? [`(placed_at, id) > (${bind(params, after.placed_at)}, ${bind(params, after.id)})`] : [];
      const where = rowFilter(filter, "placed_at", params, keyset);
      const page = await this.#conn.rows<{ placed_at: number; id: number; net: number }>(
        `SELECT placed_at, id, net FROM bets ${where} ORDER BY placed_at, id LIMIT ${SEQUENCE_PAGE}`,
        params,
      );
      for (const { net } of page) {
        sharpe.add(net);
        drawdown.add(net);
      }
      if (page.length < SEQUENCE_PAGE) break;
      after = page[page.length - 1];
    }
    return { sharpePerBet: sharpe.ratio(), maxDrawdown: drawdown.maxDrawdown };
  }

  async movementTotals(filter: LedgerFilter): Promise<{ total: Micros; escrowFees: Micros; faucetIncome: Micros }> {
    const params: unknown[] = [];
    const where = rowFilter(filter, "at", params);
    const row = await this.#conn.row<{ total: number; escrowFees: number; faucetIncome: number }>(
      `SELECT COALESCE(SUM(amount), 0)::bigint AS total,
              COALESCE(SUM(fee) FILTER (WHERE kind = 'escrow_lock'), 0)::bigint AS "escrowFees",
              COALESCE(SUM(amount) FILTER (WHERE kind = 'faucet'), 0)::bigint AS "faucetIncome"
       FROM movements ${where}`,
      params,
    );
    return row ?? { total: 0, escrowFees: 0, faucetIncome: 0 };
  }

  // ── snapshots and summaries ─────────────────────────────────────────────────────────────────────────────────

  async recordBalanceSnapshot(s: SnapshotWrite): Promise<{ inserted: boolean; snapshot: BalanceSnapshot }> {
    // ON CONFLICT picks the first write of (agent, at) however many race: a loser waits for the winner to end,
    // then reads its row in a statement of its own. The local balance, when not given, is read by the insert
    // itself, so it is the ledger as of that statement.
    const params: unknown[] = [s.agentId, s.at, s.server, s.serverUsd];
    const local = s.local === undefined ? `(SELECT (${LOCAL_BALANCE})::bigint)` : bind(params, s.local);
    const row = await this.#conn.row<SnapshotRow>(
      `INSERT INTO balance_snapshots (agent_id, at, server, server_usd, local) VALUES ($1, $2, $3, $4, ${local})
       ON CONFLICT (agent_id, at) DO NOTHING RETURNING ${SNAPSHOT_COLUMNS}`,
      params,
    );
    if (row) return { inserted: true, snapshot: toSnapshot(row) };
    const first = await this.#conn.row<SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM balance_snapshots WHERE agent_id = $1 AND at = $2`,
      [s.agentId, s.at],
    );
    return { inserted: false, snapshot: toSnapshot(first as SnapshotRow) };
  }

  async listBalanceSnapshots(q: LedgerFilter & { limit: number }): Promise<BalanceSnapshot[]> {
    const params: unknown[] = [];
    const where = rowFilter(q, "at", params);
    const rows = await this.#conn.rows<SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM balance_snapshots ${where} ORDER BY at DESC, id DESC LIMIT ${bind(params, q.limit)}`,
      params,
    );
    return rows.map(toSnapshot);
  }

  async latestBalanceSnapshots(): Promise<BalanceSnapshot[]> {
    const rows = await this.#conn.rows<SnapshotRow>(
      `SELECT DISTINCT ON (agent_id) ${SNAPSHOT_COLUMNS} FROM balance_snapshots ORDER BY agent_id, at DESC, id DESC`,
    );
    return rows.map(toSnapshot);
  }

  async storeSummary(s: StoredSummary): Promise<void> {
    await this.#conn.run(
      `INSERT INTO pnl_summaries (kind, period_key, from_ms, to_ms, body, computed_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind, period_key) DO UPDATE SET
         from_ms = excluded.from_ms, to_ms = excluded.to_ms, body = excluded.body, computed_at = excluded.computed_at`,
      [s.kind, s.key, s.from, s.to, JSON.stringify(s.report), s.computedAt],
    );
  }

  async summary(kind: SummaryKind, key: string): Promise<StoredSummary | undefined> {
    const row = await this.#conn.row<{ from_ms: number; to_ms: number; body: string; computed_at: number }>(
      "SELECT from_ms, to_ms, body, computed_at FROM pnl_summaries WHERE kind = $1 AND period_key = $2",
      [kind, key],
    );
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
    const rows = await this.#conn.rows<{ period_key: string; from_ms: number; to_ms: number; computed_at: number }>(
      "SELECT period_key, from_ms, to_ms, computed_at FROM pnl_summaries WHERE kind = $1 ORDER BY from_ms DESC LIMIT $2",
      [kind, limit],
    );
    return rows.map((r) => ({ kind, key: r.period_key, from: r.from_ms, to: r.to_ms, computedAt: r.computed_at }));
  }
}

// ── movement helpers (on the conn they are given: the repo's, or an atomic unit's) ────────────────────────────

async function movementByKey(conn: PgConn, agentId: string, reference: string): Promise<StoredMovement | undefined> {
  const row = await conn.row<MovementRow>(`${SELECT_MOVEMENT} WHERE agent_id = $1 AND reference = $2`, [
    agentId,
    reference,
  ]);
  return row && toMovement(row);
}

async function insertMovement(
  conn: PgConn,
  m: NewMovement,
  now: number,
  origin: ServerOrigin | null,
): Promise<MovementInsert> {
  const changes = await conn.run(
    `INSERT INTO movements (agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at,
       server_entry_id, server_reference, server_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (agent_id, reference) DO NOTHING`,
    [
      m.agentId,
      m.kind,
      m.amount,
      m.reference,
      m.fee,
      m.description,
      m.jobId,
      m.at,
      now,
      origin?.entryId ?? null,
      origin?.reference ?? null,
      origin?.reason ?? null,
    ],
  );
  if (changes === 1) return { outcome: "inserted" };
  return { outcome: "exists", existing: await movementByKey(conn, m.agentId, m.reference) };
}

/**
 * Takes over an imported row that is the same money as `m`; undefined when there is none, or when a row already
 * has `m`'s (agent, reference) (the insert then finds it). Run under the agent's lock. Candidates in time order,
 * then recording order (the order SQLite's (kind, at) index gives): the first that matches is taken.
 */
async function adoptImported(conn: PgConn, m: NewMovement): Promise<MovementWrite | undefined> {
  const candidates = await conn.rows<{
    id: number;
    amount: number;
    server_entry_id: string;
    server_reference: string | null;
    server_reason: string | null;
  }>(
    `SELECT id, amount, server_entry_id, server_reference, server_reason FROM movements
     WHERE agent_id = $1 AND kind = $2 AND server_entry_id IS NOT NULL AND starts_with(reference, $3)
       AND NOT EXISTS (SELECT 1 FROM movements WHERE agent_id = $1 AND reference = $4)
     ORDER BY at, id`,
    [m.agentId, m.kind, IMPORTED_PREFIX, m.reference],
  );
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
  await conn.run(
    "UPDATE movements SET reference = $1, fee = $2, description = COALESCE($3, description), job_id = $4 WHERE id = $5",
    [m.reference, m.fee, m.description, m.jobId, match.id],
  );
  return { outcome: "adopted" };
}

/** Client seed and bet id together: what a RETURNING row of a multi-row insert is matched to its receipt by. */
function identity(clientSeed: string, betId: string): string {
  return `${clientSeed}\u0000${betId}`;
}
