import type { ServiceUrls } from "../config.js";
import { type Logger, silentLogger } from "../log.js";
import { createCasinoClient } from "./casino/index.js";
import { createDomainsClient } from "./domains.js";
import { createEscrowClient } from "./escrow.js";
import { createFaucetClient } from "./faucet.js";
import { HttpTransport } from "./http.js";
import type { PurpleFleaClient } from "./types.js";
import { createWalletClient } from "./wallet.js";

/**
 * The typed Purple Flea client: casino, escrow, faucet, domains and wallet over one keep-alive pool.
 * Amounts are integer micro-USD; every failure is a FleetError whose `kind` says whether it is permanent,
 * rate-limited, safe to retry, or ambiguous (reconcile before re-sending: see ./reconcile.ts).
 */

export interface PurpleFleaClientOptions {
  /** base URL per service (production defaults in src/config.ts; a sandbox's or staging's work too) */
  urls: ServiceUrls;
  /** per-request deadline, ms; each call may override it. Default 15 000. */
  timeoutMs?: number;
  logger?: Logger;
  /** sockets per origin in the shared pool. Default 32. */
  connections?: number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_CONNECTIONS = 32;

export function createPurpleFleaClient(opts: PurpleFleaClientOptions): PurpleFleaClient {
  const http = new HttpTransport({
    urls: opts.urls,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    logger: opts.logger ?? silentLogger,
    connections: opts.connections ?? DEFAULT_CONNECTIONS,
  });
  return {
    casino: createCasinoClient(http),
    escrow: createEscrowClient(http),
    faucet: createFaucetClient(http),
    domains: createDomainsClient(http),
    wallet: createWalletClient(http),
    close: () => http.close(),
  };
}

export { parseBetExport } from "./bet-export.js";
export { MAX_BATCH } from "./casino/bets.js";
export { RISK_FACTOR_MAX, RISK_FACTOR_MIN } from "./casino/kelly.js";
export { parseCsv } from "./csv.js";
export * from "./fairness.js";
export { apiGameName, wireGameName } from "./game-names.js";
export {
  type BetWindow,
  DEFAULT_CLOCK_SKEW_MS,
  EXPORT_ROW_LIMIT,
  findBetsByClientSeed,
  findLedgerByReference,
  LEDGER_ROW_LIMIT,
  MAX_EXPORT_PAGES,
  type ReconcileOptions,
  searchLedgerByReference,
} from "./reconcile.js";
export type * from "./types.js";
export { FAUCET_IP_WINDOW_MS, RATE_LIMIT_WINDOW_MS } from "./upstream-errors.js";
