/**
 * The sandbox's SQLite schema: one ledger (sb_agents.balance_usd, a REAL like the real casino's) shared by
 * casino, escrow and faucet, plus the domains service's own accounts. Tables carry an `sb_` prefix so a
 * sandbox pointed at pf-fleet's own database file cannot collide with pf-fleet's tables. Timestamps are whole
 * seconds of the sandbox clock, the resolution the real services store.
 */
export const SANDBOX_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sb_agents (
    id TEXT PRIMARY KEY,
    api_key_hash TEXT NOT NULL UNIQUE,
    referral_code TEXT NOT NULL UNIQUE,
    referred_by TEXT,
    balance_usd REAL NOT NULL DEFAULT 0,
    risk_factor REAL NOT NULL DEFAULT 0.25,
    tier TEXT NOT NULL DEFAULT 'free',
    total_deposited REAL NOT NULL DEFAULT 0,
    total_withdrawn REAL NOT NULL DEFAULT 0,
    total_wagered REAL NOT NULL DEFAULT 0,
    total_won REAL NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE sb_ledger_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    type TEXT NOT NULL,
    amount REAL NOT NULL,
    balance_after REAL NOT NULL,
    reason TEXT NOT NULL,
    reference TEXT,
    service TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sb_ledger_by_agent ON sb_ledger_entries (agent_id, seq);

  CREATE TABLE sb_deposits (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    amount_usd REAL NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sb_deposits_by_agent ON sb_deposits (agent_id);

  CREATE TABLE sb_server_seeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL,
    seed TEXT NOT NULL,
    seed_hash TEXT NOT NULL UNIQUE,
    current_nonce INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL,
    revealed_at INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sb_seeds_by_agent ON sb_server_seeds (agent_id, active);

  CREATE TABLE sb_bets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    game TEXT NOT NULL,
    amount REAL NOT NULL,
    payout_multiplier REAL NOT NULL,
    result TEXT NOT NULL,
    won INTEGER NOT NULL,
    amount_won REAL NOT NULL,
    server_seed TEXT NOT NULL,
    server_seed_hash TEXT NOT NULL,
    client_seed TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    result_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sb_bets_by_agent ON sb_bets (agent_id, seq);

  CREATE TABLE sb_escrows (
    id TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL,
    counterparty_id TEXT NOT NULL,
    amount_usd REAL NOT NULL,
    commission_usd REAL NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    timeout_hours INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    released_at INTEGER,
    disputed_at INTEGER,
    auto_release_at INTEGER NOT NULL,
    referrer_id TEXT,
    referral_commission_usd REAL NOT NULL DEFAULT 0
  );
  CREATE INDEX sb_escrows_due ON sb_escrows (status, auto_release_at);

  CREATE TABLE sb_escrow_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    escrow_id TEXT NOT NULL,
    event TEXT NOT NULL,
    actor_id TEXT,
    note TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sb_escrow_events_by_escrow ON sb_escrow_events (escrow_id, seq);

  CREATE TABLE sb_faucet_claims (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL,
    referral_code TEXT,
    referrer_id TEXT,
    amount_usd REAL NOT NULL,
    credited_at INTEGER NOT NULL
  );

  CREATE TABLE sb_faucet_ip_cooldowns (
    ip TEXT PRIMARY KEY,
    last_claim INTEGER NOT NULL
  );

  CREATE TABLE sb_domain_accounts (
    id TEXT PRIMARY KEY,
    api_key_hash TEXT NOT NULL UNIQUE,
    referral_code TEXT NOT NULL UNIQUE,
    referred_by TEXT,
    tier TEXT NOT NULL DEFAULT 'free',
    balance_usd REAL NOT NULL DEFAULT 0,
    total_spent REAL NOT NULL DEFAULT 0,
    total_deposited REAL NOT NULL DEFAULT 0,
    total_domains INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE sb_domains (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    domain_name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    base_price_eur REAL NOT NULL,
    price_eur REAL NOT NULL,
    charged_usd REAL NOT NULL
  );

  CREATE TABLE sb_domain_transactions (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    type TEXT NOT NULL,
    amount_usd REAL NOT NULL,
    balance_after REAL NOT NULL,
    description TEXT NOT NULL,
    domain_id TEXT,
    created_at INTEGER NOT NULL
  );
  `,
  // /auth/ledger reads the newest rows by time (production orders by created_at alone)
  `CREATE INDEX sb_ledger_by_agent_time ON sb_ledger_entries (agent_id, created_at);`,
];
