import { FleetError } from "../errors.js";
import type { Db } from "../storage/sqlite/connection.js";
import type { SandboxClock } from "./clock.js";
import { newUuid } from "./ids.js";

/** A ledger_entries row, with the column names the casino's `/auth/ledger` exposes. */
export interface LedgerRow {
  id: string;
  agentId: string;
  type: "credit" | "debit";
  amount: number;
  balanceAfter: number;
  reason: string;
  reference: string | null;
  service: string | null;
  /** whole seconds */
  createdAt: number;
}

export interface LedgerWrite {
  /** row id; a random uuid when absent (the services choose their own, e.g. `<escrow_id>_debit`) */
  id?: string;
  reason: string;
  reference?: string | null;
  service: string;
}

/**
 * The one shared balance: `sb_agents.balance_usd`, a float updated in SQL exactly as the real services do
 * (`balance_usd = balance_usd ± amount`), so balances carry the same float noise as production. Credits and
 * debits write a ledger row, and so do bets, as in production (purpleflea-api.md §12): a `reservation` debit
 * per stake and a `reservation_release` credit per win, both referenced by the bet id. `/auth/ledger` shows
 * the newest 50 rows by their whole-second time; rows of one second come back in no defined order (here:
 * by their random ids), so a client cannot lean on an order production does not promise.
 */
export class Ledger {
  readonly #balance;
  readonly #add;
  readonly #subtract;
  readonly #insert;
  readonly #recent;

  constructor(
    private readonly db: Db,
    private readonly clock: SandboxClock,
  ) {
    this.#balance = db.prepare<[string], { balance_usd: number }>("SELECT balance_usd FROM sb_agents WHERE id = ?");
    this.#add = db.prepare("UPDATE sb_agents SET balance_usd = balance_usd + ? WHERE id = ?");
    this.#subtract = db.prepare("UPDATE sb_agents SET balance_usd = balance_usd - ? WHERE id = ?");
    this.#insert = db.prepare(
      `INSERT INTO sb_ledger_entries (id, agent_id, type, amount, balance_after, reason, reference, service, created_at)
       VALUES (@id, @agentId, @type, @amount, @balanceAfter, @reason, @reference, @service, @createdAt)`,
    );
    this.#recent = db.prepare<[string, number], LedgerRow>(
      `SELECT id, agent_id AS agentId, type, amount, balance_after AS balanceAfter, reason, reference, service,
              created_at AS createdAt
       FROM sb_ledger_entries WHERE agent_id = ? ORDER BY created_at DESC, id LIMIT ?`,
    );
  }

  balance(agentId: string): number | undefined {
    return this.#balance.get(agentId)?.balance_usd;
  }

  /** Adds `amount` and records it; returns the balance after. The agent must exist. */
  credit(agentId: string, amount: number, write: LedgerWrite): number {
    return this.db.transaction(() => {
      if (this.#add.run(amount, agentId).changes === 0) {
        throw new FleetError("NOT_FOUND", `cannot credit \`${agentId}\`: no such casino agent`);
      }
      return this.#record(agentId, "credit", amount, write);
    })();
  }

  /** Takes `amount` if the balance covers it and records it; returns the balance after, or null when short. */
  debit(agentId: string, amount: number, write: LedgerWrite): number | null {
    return this.db.transaction(() => {
      const balance = this.balance(agentId);
      if (balance === undefined || balance < amount) return null;
      this.#subtract.run(amount, agentId);
      return this.#record(agentId, "debit", amount, write);
    })();
  }

  /** A bet's stake leaving the balance: the casino's `reservation` debit, referenced by the bet id. */
  takeStake(agentId: string, stake: number, betId: string): void {
    this.#subtract.run(stake, agentId);
    this.#record(agentId, "debit", stake, { reason: "reservation", reference: betId, service: "casino" });
  }

  /** A won bet's gross return arriving: the `reservation_release` credit, referenced by the bet id. */
  payReturn(agentId: string, amount: number, betId: string): void {
    this.#add.run(amount, agentId);
    this.#record(agentId, "credit", amount, { reason: "reservation_release", reference: betId, service: "casino" });
  }

  /** Newest first. */
  recent(agentId: string, limit: number): LedgerRow[] {
    return this.#recent.all(agentId, limit);
  }

  #record(agentId: string, type: "credit" | "debit", amount: number, write: LedgerWrite): number {
    const balanceAfter = this.balance(agentId) as number;
    this.#insert.run({
      id: write.id ?? newUuid(),
      agentId,
      type,
      amount,
      balanceAfter,
      reason: write.reason,
      reference: write.reference ?? null,
      service: write.service,
      createdAt: this.clock.nowSeconds(),
    });
    return balanceAfter;
  }
}
