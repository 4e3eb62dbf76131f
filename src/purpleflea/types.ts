/**
 * The typed surface of the Purple Flea client (src/purpleflea/). Amounts are integer micro-USD here; the
 * client converts at the wire edge. Every method rejects with a FleetError whose `kind` says whether the
 * failure is permanent, rate-limited, retryable, or ambiguous (see src/errors.ts).
 */
import type { Micros } from "../money.js";
import type { GameBet, GameName } from "./fairness.js";

export type { GameBet, GameName };

/** Casino key (`sk_live_…`); escrow uses the same key. Domains use `sk_domains_…`. */
export type ApiKey = string;

export interface CallOptions {
  signal?: AbortSignal;
  /** per-request timeout, ms; default from the client options */
  timeoutMs?: number;
}

export interface Registration {
  agentId: string;
  apiKey: ApiKey;
  referralCode: string;
  balance: Micros;
}

export interface LedgerEntry {
  id: string;
  type: "credit" | "debit" | "reservation" | "release" | string;
  amount: Micros;
  balanceAfter: Micros;
  reason: string;
  reference: string | null;
  service: string;
  at: string;
}

export interface Balance {
  agentId: string;
  balance: Micros;
  /** the server's raw float, kept for reconciliation reports */
  balanceUsd: number;
  tier: string;
  riskFactor: number;
  recentActivity: LedgerEntry[];
}

/** A bet to place: the game fields, the stake, and the unique client seed that identifies it. */
export type BetRequest = GameBet & { amount: Micros; clientSeed: string };

export interface BetReceipt {
  betId: string;
  game: GameName;
  stake: Micros;
  won: boolean;
  payoutMultiplier: number;
  /** exact credit: stake × multiplier when won, else 0 (not the response's 2-dp rounding) */
  payout: Micros;
  /** payout − stake */
  net: Micros;
  /** the response's new_balance, rounded to 2 dp by the server */
  newBalanceRounded: Micros;
  roll: number;
  result: Record<string, unknown>;
  proof: { serverSeedHash: string; clientSeed: string; nonce: number; resultHash: string };
  kelly?: { bankroll: number; riskFactor: number; maxBetThisGame: number };
}

/** One row of GET /bets/export.csv (amounts rounded to 2 dp by the server). */
export interface ExportedBet {
  betId: string;
  game: string;
  amount: Micros;
  amountWon: Micros;
  net: Micros;
  payoutMultiplier: number;
  won: boolean;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  resultHash: string;
  timestamp: string;
}

export interface HistoryBet {
  id: string;
  game: string;
  amount: Micros;
  amountWon: Micros;
  multiplier: number;
  won: boolean;
  net: Micros;
  at: string;
}

export interface BatchResult {
  /** one per requested bet, in order: a receipt or the per-bet error code */
  results: Array<{ ok: true; receipt: BetReceipt } | { ok: false; error: string; message: string }>;
  balanceAfter: Micros;
}

export interface KellyLimit {
  game: string;
  maxBet: Micros;
  winProbability?: number;
}

export type EscrowStatus = "funded" | "completed" | "released" | "disputed" | "refunded";

export interface Escrow {
  escrowId: string;
  status: EscrowStatus;
  amount: Micros;
  commission: Micros;
  netToCounterparty: Micros;
  description: string;
  creatorId: string;
  counterpartyId: string;
  timeoutHours: number;
  createdAt: string | null;
  autoReleaseAt: string | null;
  completedAt: string | null;
  releasedAt: string | null;
  disputedAt: string | null;
}

export interface EscrowCreateRequest {
  amount: Micros;
  description: string;
  counterpartyAgentId: string;
  timeoutHours?: number;
  referralCode?: string;
}

export interface EscrowRelease {
  escrowId: string;
  status: "released";
  amountReleased: Micros;
  commission: Micros;
  counterpartyId: string;
}

export interface FaucetClaim {
  credited: Micros;
  claimId: string;
  agentId: string;
}

export interface Transfer {
  transferId: string | null;
  amount: Micros;
  toAgentId: string;
  newBalance: Micros | null;
}

export interface DomainAccount {
  agentId: string;
  apiKey: ApiKey;
  balance: Micros;
}

export interface DomainSearchResult {
  domain: string;
  available: boolean;
  priceEur: number;
}

export interface DomainRegistration {
  domainId: string;
  domain: string;
  expiresAt: string;
  chargedUsd: Micros;
  balance: Micros;
}

export interface CasinoClient {
  register(req?: { referralCode?: string }, opts?: CallOptions): Promise<Registration>;
  balance(key: ApiKey, opts?: CallOptions): Promise<Balance>;
  ledger(key: ApiKey, opts?: CallOptions): Promise<LedgerEntry[]>;
  bet(key: ApiKey, bet: BetRequest, opts?: CallOptions): Promise<BetReceipt>;
  /** ≤ 20 bets per call */
  batch(key: ApiKey, bets: BetRequest[], opts?: CallOptions): Promise<BatchResult>;
  history(
    key: ApiKey,
    q?: { game?: string; outcome?: "won" | "lost"; limit?: number; offset?: number; since?: string },
    opts?: CallOptions,
  ): Promise<HistoryBet[]>;
  exportBets(
    key: ApiKey,
    q?: { since?: string; until?: string; game?: string },
    opts?: CallOptions,
  ): Promise<ExportedBet[]>;
  seedHash(key: ApiKey, opts?: CallOptions): Promise<{ serverSeedHash: string; nonce: number }>;
  /** returns the revealed old seed */
  rotateSeed(
    key: ApiKey,
    opts?: CallOptions,
  ): Promise<{ previousSeed: string; previousSeedHash: string; newSeedHash: string }>;
  verifyBet(key: ApiKey, betId: string, opts?: CallOptions): Promise<Record<string, unknown>>;
  /** every server seed of the agent; `seed` is set once revealed (by rotation, or by the casino every 1,000 bets) */
  serverSeeds(key: ApiKey, opts?: CallOptions): Promise<ServerSeedInfo[]>;
  /** one bet's fairness record; `serverSeed` is null until its seed is revealed */
  auditBet(key: ApiKey, betId: string, opts?: CallOptions): Promise<BetAudit>;
  setRiskFactor(key: ApiKey, riskFactor: number, opts?: CallOptions): Promise<void>;
  kellyLimits(key: ApiKey, opts?: CallOptions): Promise<{ balance: Micros; riskFactor: number; limits: KellyLimit[] }>;
  pay(key: ApiKey, req: { toAgentId: string; amount: Micros; memo?: string }, opts?: CallOptions): Promise<Transfer>;
}

export interface EscrowClient {
  create(key: ApiKey, req: EscrowCreateRequest, opts?: CallOptions): Promise<Escrow>;
  complete(key: ApiKey, escrowId: string, opts?: CallOptions): Promise<{ escrowId: string; status: "completed" }>;
  release(key: ApiKey, escrowId: string, opts?: CallOptions): Promise<EscrowRelease>;
  dispute(
    key: ApiKey,
    escrowId: string,
    reason?: string,
    opts?: CallOptions,
  ): Promise<{ escrowId: string; status: "disputed" }>;
  /** key optional: participants also get events */
  get(escrowId: string, key?: ApiKey, opts?: CallOptions): Promise<Escrow & { events?: unknown[] }>;
  stats(opts?: CallOptions): Promise<Record<string, unknown>>;
}

export interface FaucetClient {
  claim(agentId: string, req?: { referralCode?: string }, opts?: CallOptions): Promise<FaucetClaim>;
  stats(opts?: CallOptions): Promise<{ totalClaims: number; totalAgents: number; totalValue: Micros }>;
}

export interface DomainsClient {
  register(req?: { referralCode?: string }, opts?: CallOptions): Promise<DomainAccount>;
  account(key: ApiKey, opts?: CallOptions): Promise<{ agentId: string; balance: Micros; totalDomains: number }>;
  search(key: ApiKey, query: string, opts?: CallOptions): Promise<DomainSearchResult[]>;
  registerDomain(key: ApiKey, domain: string, opts?: CallOptions): Promise<DomainRegistration>;
}

/** The public wallet holds no USD; it reports on-chain balances only (live services). */
export interface WalletClient {
  onChainBalance(
    address: string,
    chain: string,
    opts?: CallOptions,
  ): Promise<{ address: string; chain: string; symbol: string; amount: string }>;
}

export interface PurpleFleaClient {
  casino: CasinoClient;
  escrow: EscrowClient;
  faucet: FaucetClient;
  domains: DomainsClient;
  wallet: WalletClient;
  close(): Promise<void>;
}

export interface ServerSeedInfo {
  seedHash: string;
  /** the seed text once revealed, else null */
  seed: string | null;
  active: boolean;
  betsMade: number;
  /** ms since epoch, null while not revealed */
  revealedAt: number | null;
}

export interface BetAudit {
  betId: string;
  serverSeedHash: string;
  serverSeed: string | null;
  clientSeed: string | null;
  nonce: number;
  resultHash: string;
  revealedAt: number | null;
}
