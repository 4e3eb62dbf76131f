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
 * debits write a ledger row; bet stakes and returns do not (the sandbox keeps the 50-row ledger window for
 * faucet, escrow, transfer, deposit and referral rows, which is what reconciliation reads).
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
       FROM sb_ledger_entries WHERE agent_id = ? ORDER BY seq DESC LIMIT ?`,
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

  /** A bet's stake leaving the balance (no ledger row). */
  takeStake(agentId: string, stake: number): void {
    this.#subtract.run(stake, agentId);
  }

  /** A bet's gross return arriving (no ledger row). */
  payReturn(agentId: string, amount: number): void {
    this.#add.run(amount, agentId);
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
