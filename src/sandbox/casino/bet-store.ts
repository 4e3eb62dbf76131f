import type { Db } from "../../storage/sqlite/connection.js";

export interface BetRow {
  id: string;
  agent_id: string;
  game: string;
  amount: number;
  payout_multiplier: number;
  /** JSON of the game-specific result object */
  result: string;
  won: number;
  amount_won: number;
  server_seed: string;
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
  result_hash: string;
  /** whole seconds */
  created_at: number;
}

export interface BetFilter {
  agentId: string;
  game?: string;
  won?: boolean;
  /** inclusive bounds, whole seconds */
  sinceSeconds?: number;
  untilSeconds?: number;
}

export interface BetTotals {
  totalBets: number;
  wins: number;
  totalWagered: number;
  totalWon: number;
  biggestWin: number;
}

/** The bets table: one row per settled bet, with everything needed to prove and reconcile it. */
export class BetStore {
  readonly #insert;
  readonly #byId;

  constructor(private readonly db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO sb_bets (id, agent_id, game, amount, payout_multiplier, result, won, amount_won, server_seed,
                            server_seed_hash, client_seed, nonce, result_hash, created_at)
       VALUES (@id, @agent_id, @game, @amount, @payout_multiplier, @result, @won, @amount_won, @server_seed,
               @server_seed_hash, @client_seed, @nonce, @result_hash, @created_at)`,
    );
    this.#byId = db.prepare<[string], BetRow>("SELECT * FROM sb_bets WHERE id = ?");
  }

  insert(row: BetRow): void {
    this.#insert.run(row);
  }

  byId(id: string): BetRow | undefined {
    return this.#byId.get(id);
  }

  /** Newest first. */
  list(filter: BetFilter, limit: number, offset = 0): BetRow[] {
    const { where, params } = whereClause(filter);
    return this.db
      .prepare<unknown[], BetRow>(`SELECT * FROM sb_bets WHERE ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset);
  }

  totals(filter: BetFilter): BetTotals {
    const { where, params } = whereClause(filter);
    return this.db
      .prepare<unknown[], BetTotals>(
        `SELECT COUNT(*) AS totalBets, COALESCE(SUM(won), 0) AS wins, COALESCE(SUM(amount), 0) AS totalWagered,
                COALESCE(SUM(amount_won), 0) AS totalWon, COALESCE(MAX(amount_won), 0) AS biggestWin
         FROM sb_bets WHERE ${where}`,
      )
      .get(...params) as BetTotals;
  }
}

function whereClause(filter: BetFilter): { where: string; params: unknown[] } {
  const conditions = ["agent_id = ?"];
  const params: unknown[] = [filter.agentId];
  if (filter.game !== undefined) {
    conditions.push("game = ?");
    params.push(filter.game);
  }
  if (filter.won !== undefined) {
    conditions.push("won = ?");
    params.push(filter.won ? 1 : 0);
  }
  if (filter.sinceSeconds !== undefined) {
    conditions.push("created_at >= ?");
    params.push(filter.sinceSeconds);
  }
  if (filter.untilSeconds !== undefined) {
    conditions.push("created_at <= ?");
    params.push(filter.untilSeconds);
  }
  return { where: conditions.join(" AND "), params };
}
