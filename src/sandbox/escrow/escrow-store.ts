import type { Db } from "../../storage/sqlite/connection.js";
import type { SandboxClock } from "../clock.js";
import { randomHex } from "../ids.js";

export type EscrowStatus = "funded" | "completed" | "released" | "disputed" | "refunded";

export interface EscrowRow {
  id: string;
  creator_id: string;
  counterparty_id: string;
  amount_usd: number;
  commission_usd: number;
  description: string;
  status: EscrowStatus;
  timeout_hours: number;
  created_at: number;
  completed_at: number | null;
  released_at: number | null;
  disputed_at: number | null;
  auto_release_at: number;
  referrer_id: string | null;
  referral_commission_usd: number;
}

export interface EscrowEvent {
  id: string;
  escrow_id: string;
  event: string;
  actor_id: string | null;
  note: string | null;
  created_at: number;
}

export interface EscrowTotals {
  total_created: number;
  total_released: number;
  total_disputed: number;
  total_volume_usd: number;
  total_commission_usd: number;
}

type NewEscrow = Pick<
  EscrowRow,
  | "id"
  | "creator_id"
  | "counterparty_id"
  | "amount_usd"
  | "commission_usd"
  | "description"
  | "timeout_hours"
  | "referrer_id"
  | "referral_commission_usd"
>;

/** Escrow rows, their event log and the status changes of the state machine (timestamps in whole seconds). */
export class EscrowStore {
  readonly #insert;
  readonly #byId;
  readonly #setStatus;
  readonly #insertEvent;
  readonly #events;
  readonly #due;
  readonly #stats;

  constructor(
    db: Db,
    private readonly clock: SandboxClock,
  ) {
    this.#insert = db.prepare(
      `INSERT INTO sb_escrows (id, creator_id, counterparty_id, amount_usd, commission_usd, description, status,
                               timeout_hours, created_at, auto_release_at, referrer_id, referral_commission_usd)
       VALUES (@id, @creator_id, @counterparty_id, @amount_usd, @commission_usd, @description, 'funded',
               @timeout_hours, @created_at, @auto_release_at, @referrer_id, @referral_commission_usd)`,
    );
    this.#byId = db.prepare<[string], EscrowRow>("SELECT * FROM sb_escrows WHERE id = ?");
    this.#setStatus = {
      completed: db.prepare("UPDATE sb_escrows SET status = 'completed', completed_at = ? WHERE id = ?"),
      released: db.prepare("UPDATE sb_escrows SET status = 'released', released_at = ? WHERE id = ?"),
      disputed: db.prepare("UPDATE sb_escrows SET status = 'disputed', disputed_at = ? WHERE id = ?"),
      refunded: db.prepare("UPDATE sb_escrows SET status = 'refunded', released_at = ? WHERE id = ?"),
    };
    this.#insertEvent = db.prepare(
      "INSERT INTO sb_escrow_events (id, escrow_id, event, actor_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#events = db.prepare<[string], EscrowEvent>(
      "SELECT id, escrow_id, event, actor_id, note, created_at FROM sb_escrow_events WHERE escrow_id = ? ORDER BY seq",
    );
    this.#due = db.prepare<[number], EscrowRow>(
      "SELECT * FROM sb_escrows WHERE status IN ('funded', 'completed') AND auto_release_at <= ? ORDER BY created_at",
    );
    this.#stats = db.prepare<[], EscrowTotals>(
      `SELECT COUNT(*) AS total_created,
              COALESCE(SUM(status = 'released'), 0) AS total_released,
              COALESCE(SUM(status = 'disputed'), 0) AS total_disputed,
              COALESCE(SUM(amount_usd), 0) AS total_volume_usd,
              COALESCE(SUM(CASE WHEN status = 'released' THEN commission_usd ELSE 0 END), 0) AS total_commission_usd
       FROM sb_escrows`,
    );
  }

  insert(escrow: NewEscrow): EscrowRow {
    const now = this.clock.nowSeconds();
    this.#insert.run({ ...escrow, created_at: now, auto_release_at: now + escrow.timeout_hours * 3600 });
    this.event(
      escrow.id,
      "created",
      escrow.creator_id,
      `Escrow created: $${escrow.amount_usd} for "${escrow.description}"`,
    );
    return this.byId(escrow.id) as EscrowRow;
  }

  byId(id: string): EscrowRow | undefined {
    return this.#byId.get(id);
  }

  setStatus(id: string, status: Exclude<EscrowStatus, "funded">, actorId: string | null, note: string): void {
    this.#setStatus[status].run(this.clock.nowSeconds(), id);
    this.event(id, status, actorId, note);
  }

  event(escrowId: string, event: string, actorId: string | null, note: string): void {
    const suffix = event === "created" ? "" : `_${this.clock.now()}_${randomHex(3)}`;
    this.#insertEvent.run(`${escrowId}_${event}${suffix}`, escrowId, event, actorId, note, this.clock.nowSeconds());
  }

  events(escrowId: string): EscrowEvent[] {
    return this.#events.all(escrowId);
  }

  /** funded or completed escrows whose auto_release_at has passed */
  due(): EscrowRow[] {
    return this.#due.all(this.clock.nowSeconds());
  }

  stats(): EscrowTotals {
    return this.#stats.get() as EscrowTotals;
  }
}
