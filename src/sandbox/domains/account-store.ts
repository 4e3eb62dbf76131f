import type { Db } from "../../storage/sqlite/connection.js";
import type { SandboxClock } from "../clock.js";

export interface DomainAccount {
  id: string;
  referral_code: string;
  referred_by: string | null;
  tier: string;
  balance_usd: number;
  total_spent: number;
  total_deposited: number;
  total_domains: number;
  created_at: number;
}

export interface DomainPurchase {
  domainId: string;
  transactionId: string;
  agentId: string;
  domain: string;
  basePriceEur: number;
  priceEur: number;
  chargedUsd: number;
  expiresAt: number;
}

const COLUMNS =
  "id, referral_code, referred_by, tier, balance_usd, total_spent, total_deposited, total_domains, created_at";

/** The domains service's own accounts (sk_domains_ keys, USD balance), domains and transactions. */
export class DomainAccountStore {
  readonly #insert;
  readonly #byId;
  readonly #byKeyHash;
  readonly #byReferralCode;
  readonly #credit;
  readonly #charge;
  readonly #insertDomain;
  readonly #insertTransaction;
  readonly #domainTaken;

  constructor(
    private readonly db: Db,
    private readonly clock: SandboxClock,
  ) {
    this.#insert = db.prepare(
      "INSERT INTO sb_domain_accounts (id, api_key_hash, referral_code, referred_by, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.#byId = db.prepare<[string], DomainAccount>(`SELECT ${COLUMNS} FROM sb_domain_accounts WHERE id = ?`);
    this.#byKeyHash = db.prepare<[string], DomainAccount>(
      `SELECT ${COLUMNS} FROM sb_domain_accounts WHERE api_key_hash = ?`,
    );
    this.#byReferralCode = db.prepare<[string], DomainAccount>(
      `SELECT ${COLUMNS} FROM sb_domain_accounts WHERE referral_code = ?`,
    );
    this.#credit = db.prepare(
      "UPDATE sb_domain_accounts SET balance_usd = balance_usd + ?, total_deposited = total_deposited + ? WHERE id = ?",
    );
    this.#charge = db.prepare(
      `UPDATE sb_domain_accounts SET balance_usd = balance_usd - ?, total_spent = total_spent + ?,
              total_domains = total_domains + 1 WHERE id = ?`,
    );
    this.#insertDomain = db.prepare(
      `INSERT INTO sb_domains (id, agent_id, domain_name, status, registered_at, expires_at, base_price_eur, price_eur,
                               charged_usd)
       VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
    );
    this.#insertTransaction = db.prepare(
      `INSERT INTO sb_domain_transactions (id, agent_id, type, amount_usd, balance_after, description, domain_id,
                                           created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#domainTaken = db.prepare<[string], number>("SELECT 1 FROM sb_domains WHERE domain_name = ?").pluck();
  }

  insert(id: string, keyHash: string, referralCode: string, referredBy: string | null): void {
    this.#insert.run(id, keyHash, referralCode, referredBy, this.clock.nowSeconds());
  }

  byId(id: string): DomainAccount | undefined {
    return this.#byId.get(id);
  }

  byKeyHash(keyHash: string): DomainAccount | undefined {
    return this.#byKeyHash.get(keyHash);
  }

  byReferralCode(code: string): DomainAccount | undefined {
    return this.#byReferralCode.get(code);
  }

  isRegistered(domain: string): boolean {
    return this.#domainTaken.get(domain) !== undefined;
  }

  /** A deposit (the sandbox's `fund`); returns the balance after. */
  deposit(transactionId: string, agentId: string, amount: number): number {
    return this.db.transaction(() => {
      this.#credit.run(amount, amount, agentId);
      const after = (this.byId(agentId) as DomainAccount).balance_usd;
      const now = this.clock.nowSeconds();
      this.#insertTransaction.run(transactionId, agentId, "deposit", amount, after, "Sandbox deposit", null, now);
      return after;
    })();
  }

  /** Records a registered domain and charges the account; returns the balance after. */
  purchase(p: DomainPurchase): number {
    return this.db.transaction(() => {
      const now = this.clock.nowSeconds();
      this.#insertDomain.run(
        p.domainId,
        p.agentId,
        p.domain,
        now,
        p.expiresAt,
        p.basePriceEur,
        p.priceEur,
        p.chargedUsd,
      );
      this.#charge.run(p.chargedUsd, p.chargedUsd, p.agentId);
      const after = (this.byId(p.agentId) as DomainAccount).balance_usd;
      const note = `Registered ${p.domain} (€${p.priceEur.toFixed(2)})`;
      this.#insertTransaction.run(
        p.transactionId,
        p.agentId,
        "domain_purchase",
        -p.chargedUsd,
        after,
        note,
        p.domainId,
        now,
      );
      return after;
    })();
  }
}
