import type { Logger } from "../log.js";

/**
 * The public face of the embedded sandbox (src/sandbox/). Each service (casino, escrow, faucet, domains) is
 * its own HTTP server on 127.0.0.1 with production-shaped base URLs, so a client swaps only hosts.
 * Sandbox-only controls live under `/_sandbox/` on every service and never overlap a real route.
 */

export interface FaultConfig {
  /** added latency per request, ms (uniform 0..latencyMs when jitter, else fixed) */
  latencyMs?: number;
  /** share (0–1) of requests answered 500 internal_error WITHOUT processing */
  error?: number;
  /** share of requests whose connection is reset BEFORE processing */
  reset?: number;
  /** share of requests that ARE processed (money moves) and then the connection is destroyed */
  drop?: number;
  /**
   * share of requests processed only IN PART before the connection is destroyed, as when the server dies
   * mid-request: a `bets/batch` call settles its first half of bets (other routes: the same as `drop`)
   */
  partial?: number;
  /** share of requests that start a burst of 429s */
  burst429?: number;
  /** length of a 429 burst, in requests (default 5) */
  burstLength?: number;
  /** PRNG seed: the same seed and request order give the same faults */
  seed?: number;
  /** which requests faults hit: every API request (default) or only money-moving POSTs */
  scope?: "all" | "money";
  /** only requests of this route, as the stats name it (`GET /escrow/:id`; a prefix matches too) */
  route?: string;
}

export interface RateLimitOptions {
  /** false turns every limiter off (`--no-rate-limits`) */
  enabled: boolean;
}

export interface SandboxOptions {
  host?: string;
  /** casino port; escrow, faucet and domains take the next three. 0 (default) = an ephemeral port each. */
  port?: number;
  /** SQLite file for the shared ledger; default: a private in-memory database (≤ 1 GiB, see openMemoryDatabase) */
  dbPath?: string;
  /**
   * how large the database may grow, bytes (default: 1 GiB in memory, unbounded in a file); a write past it fails
   * and the service answers 500 saying the sandbox's storage is full
   */
  maxStorageBytes?: number;
  rateLimits?: boolean;
  faults?: FaultConfig | null;
  /** start value of the movable clock, ms since epoch (default: real time) */
  now?: number;
  /** where request and error logs go (default: silent); never receives keys */
  logger?: Logger;
}

export interface SandboxUrls {
  /** ends in /api/v1 */
  casino: string;
  escrow: string;
  faucet: string;
  /** ends in /v1 */
  domains: string;
}

export interface SandboxStats {
  /** API requests received (control routes excluded) */
  requests: number;
  /** by `METHOD /path` with ids normalised (e.g. `POST /api/v1/games/crash`, `GET /escrow/:id`) */
  byRoute: Record<string, number>;
  /** by agent id (authenticated requests) */
  byAgent: Record<string, number>;
  /** by agent id, then route */
  byAgentRoute: Record<string, Record<string, number>>;
  /** by the caller's IP as the per-IP limits see it (X-Forwarded-For, X-Real-IP, else the peer address) */
  byIp: Record<string, number>;
  /** 429 responses sent, by limiter name */
  rateLimited: Record<string, number>;
  /** faults injected, by kind */
  faults: { error: number; reset: number; drop: number; partial: number; burst429: number };
  /** bets actually settled (processed), all agents */
  betsSettled: number;
}

export interface RunningSandbox {
  urls: SandboxUrls;
  /** base of the control API (the casino server's origin); routes under /_sandbox/ */
  controlUrl: string;
  /** credit a casino agent (or a domains account, by its id), like a deposit */
  fund(agentId: string, usd: number): void;
  /** move the sandbox clock forward; runs escrow timeouts and rate-limit windows on it */
  advanceClock(ms: number): void;
  now(): number;
  setFaults(faults: FaultConfig | null): void;
  setRateLimits(enabled: boolean): void;
  stats(): SandboxStats;
  resetStats(): void;
  /** the database's size and how far it may grow, bytes (`maxBytes` null: as far as the disk allows) */
  storage(): { bytes: number; maxBytes: number | null };
  /** exact server balance (the raw float), for tests */
  balanceOf(agentId: string): number;
  close(): Promise<void>;
}
