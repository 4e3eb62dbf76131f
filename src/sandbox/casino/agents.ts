import type { Db } from "../../storage/sqlite/connection.js";
import type { SandboxClock } from "../clock.js";

/** A casino agent row (the identity escrow and faucet reuse). */
export interface CasinoAgent {
  id: string;
  referral_code: string;
  referred_by: string | null;
  balance_usd: number;
  risk_factor: number;
  tier: string;
  total_deposited: number;
  total_withdrawn: number;
  total_wagered: number;
  total_won: number;
  created_at: number;
}

const COLUMNS = `id, referral_code, referred_by, balance_usd, risk_factor, tier, total_deposited, total_withdrawn,
  total_wagered, total_won, created_at`;

/** Casino agents and their deposits. */
export class AgentStore {
  readonly #insert;
  readonly #byId;
  readonly #byKeyHash;
  readonly #byReferralCode;
  readonly #setRiskFactor;
  readonly #addPlay;
  readonly #insertDeposit;
  readonly #addDeposited;
  readonly #completedDeposits;

  constructor(
    db: Db,
    private readonly clock: SandboxClock,
  ) {
    this.#insert = db.prepare(
      `INSERT INTO sb_agents (id, api_key_hash, referral_code, referred_by, created_at)
       VALUES (@id, @keyHash, @referralCode, @referredBy, @createdAt)`,
    );
    this.#byId = db.prepare<[string], CasinoAgent>(`SELECT ${COLUMNS} FROM sb_agents WHERE id = ?`);
    this.#byKeyHash = db.prepare<[string], CasinoAgent>(`SELECT ${COLUMNS} FROM sb_agents WHERE api_key_hash = ?`);
    this.#byReferralCode = db.prepare<[string], CasinoAgent>(
      `SELECT ${COLUMNS} FROM sb_agents WHERE referral_code = ?`,
    );
    this.#setRiskFactor = db.prepare("UPDATE sb_agents SET risk_factor = ? WHERE id = ?");
    this.#addPlay = db.prepare(
      "UPDATE sb_agents SET total_wagered = total_wagered + ?, total_won = total_won + ? WHERE id = ?",
    );
    this.#insertDeposit = db.prepare(
      "INSERT INTO sb_deposits (id, agent_id, amount_usd, status, created_at) VALUES (?, ?, ?, 'completed', ?)",
    );
    this.#addDeposited = db.prepare("UPDATE sb_agents SET total_deposited = total_deposited + ? WHERE id = ?");
    this.#completedDeposits = db
      .prepare<[string], number>("SELECT COUNT(*) FROM sb_deposits WHERE agent_id = ? AND status = 'completed'")
      .pluck();
  }

  insert(agent: { id: string; keyHash: string; referralCode: string; referredBy: string | null }): void {
    this.#insert.run({ ...agent, createdAt: this.clock.nowSeconds() });
  }

  byId(id: string): CasinoAgent | undefined {
    return this.#byId.get(id);
  }

  byKeyHash(keyHash: string): CasinoAgent | undefined {
    return this.#byKeyHash.get(keyHash);
  }

  byReferralCode(code: string): CasinoAgent | undefined {
    return this.#byReferralCode.get(code);
  }

  setRiskFactor(id: string, riskFactor: number): void {
    this.#setRiskFactor.run(riskFactor, id);
  }

  /** Lifetime totals after a settled bet. */
  addPlay(id: string, wagered: number, won: number): void {
    this.#addPlay.run(wagered, won, id);
  }

  /** A completed deposit: counts for the faucet's `has_deposits` and for `lifetime.total_deposited`. */
  recordDeposit(depositId: string, agentId: string, amount: number): void {
    this.#insertDeposit.run(depositId, agentId, amount, this.clock.nowSeconds());
    this.#addDeposited.run(amount, agentId);
  }

  completedDeposits(agentId: string): number {
    return this.#completedDeposits.get(agentId) ?? 0;
  }
}
