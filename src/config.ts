import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { FleetError } from "./errors.js";
import { assertCasinoKey } from "./fleet/keys.js";
import { DEFAULT_TOOLSETS, parseToolsets, type Toolset } from "./mcp/toolsets.js";
import { type Micros, usdToMicros } from "./money.js";
import { assertOneSource, secretValue } from "./secret-file.js";

/**
 * The configuration contract (shared/DESIGN.md, Configuration): environment variables, each also settable by
 * a CLI flag (`--db`, `--mode`, `--max-bet-usd`, …). Flags win over the environment. Secrets are the exception:
 * environment or `*_FILE` only (src/secret-file.ts); their flags are refused.
 */

export type Mode = "sandbox" | "live";
export const QUEUE_NAMES = ["casino", "escrow", "wallet", "analytics", "default"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface ServiceUrls {
  casino: string;
  escrow: string;
  faucet: string;
  domains: string;
  wallet: string;
}

/** The limits every bet passes. */
export interface BetLimits {
  /** largest single stake */
  maxBet: Micros;
  /** largest total stake of one batch */
  maxBatch: Micros;
  /** per agent, per UTC day: trading stops once realised losses (plus stakes in flight) reach this */
  dailyLossLimit: Micros;
  /** the whole fleet, per UTC day */
  fleetDailyLossLimit: Micros;
}

/** The limits every escrow create and agent-to-agent transfer passes. */
export interface SpendLimits {
  /** largest single escrow (the amount locked by one create) */
  maxEscrow: Micros;
  /** the whole fleet, per UTC day: escrowed (locked) in all, in-flight creates included */
  dailyEscrow: Micros;
  /** largest single transfer (`POST /stats/pay`) */
  maxTransfer: Micros;
  /** the whole fleet, per UTC day: transferred out in all, in-flight transfers included */
  dailyTransfer: Micros;
}

/** The operator's risk limits: the model can read them and only ever lower them (DESIGN.md invariant 4). */
export interface RiskLimits extends BetLimits, SpendLimits {}

export interface FleetConfig {
  mode: Mode;
  dbPath: string;
  urls: ServiceUrls;
  /** casino key of a primary agent to import; never logged */
  apiKey: string | undefined;
  limits: RiskLimits;
  httpToken: string | undefined;
  /** HTTP transport: MCP session cap and idle expiry (src/transports/mcp-sessions.ts) */
  httpSessions: { max: number; idleMs: number };
  /** HTTP transport: OAuth 2.1 resource-server mode (src/transports/oauth.ts); undefined = off */
  httpOAuth: HttpOAuthConfig | undefined;
  /** this server's public MCP URL, the audience of its access tokens; undefined = derived from the bind */
  httpResourceUrl: string | undefined;
  logLevel: string;
  concurrency: Record<QueueName, number>;
  /** failure-hook webhook (Celery's task_failure signal → HTTP POST) */
  alertWebhookUrl: string | undefined;
  /** how long finished job rows and results are kept */
  resultTtlMs: number;
  /** how long server ledger mirror rows are kept, at least (src/ledger/mirror-retention.ts) */
  mirrorRetentionMs: number;
  /** sandbox mode: port of the embedded sandbox's casino (escrow, faucet, domains take the next three); 0 = any */
  sandboxPort: number;
  /**
   * sandbox mode: the origin of a shared `pf-fleet sandbox` (its casino port; the next three serve escrow, faucet,
   * domains) instead of an embedded one. Every process of a fleet on PostgreSQL must talk to the same sandbox.
   */
  sandboxUrl: string | undefined;
  /** the operator secret that seals keys at rest (fleet/key-vault.ts); never logged */
  secretKey: string | undefined;
  secretKeyFile: string | undefined;
  /** run jobs, the scheduler and reconciliation in this process (false: an MCP front end only) */
  worker: boolean;
  /**
   * the egress identity this process's calls leave from: per-IP rate limits are counted per egress, so machines
   * with their own public IPs each spend their own budget. Default: the host name.
   */
  egressId: string;
  /**
   * live mode: a money move whose worst case is above this asks the user first (elicitation, or a dry run's
   * confirm_token); src/mcp/confirm.ts
   */
  confirmAbove: Micros;
  /** the toolsets whose tools are registered (src/mcp/toolsets.ts); `fleet` always */
  toolsets: readonly Toolset[];
  /** register only read-only tools: nothing that moves money or changes state */
  readOnly: boolean;
}

export const PRODUCTION_URLS: ServiceUrls = {
  casino: "https://casino.purpleflea.com/api/v1",
  escrow: "https://escrow.purpleflea.com",
  faucet: "https://faucet.purpleflea.com",
  domains: "https://domains.purpleflea.com/v1",
  wallet: "https://wallet.purpleflea.com/v1",
};

export const DEFAULT_LIMITS_USD = { maxBet: 1, maxBatch: 10, dailyLossLimit: 5, fleetDailyLossLimit: 20 };
/** conservative: one escrow or transfer of at most $10, at most $50 of each per UTC day fleet-wide */
export const DEFAULT_SPEND_LIMITS_USD = { maxEscrow: 10, dailyEscrow: 50, maxTransfer: 10, dailyTransfer: 50 };
export const DEFAULT_SPEND_LIMITS: SpendLimits = {
  maxEscrow: usdToMicros(DEFAULT_SPEND_LIMITS_USD.maxEscrow),
  dailyEscrow: usdToMicros(DEFAULT_SPEND_LIMITS_USD.dailyEscrow),
  maxTransfer: usdToMicros(DEFAULT_SPEND_LIMITS_USD.maxTransfer),
  dailyTransfer: usdToMicros(DEFAULT_SPEND_LIMITS_USD.dailyTransfer),
};

export const DEFAULT_CONCURRENCY: Record<QueueName, number> = {
  casino: 8,
  escrow: 2,
  wallet: 2,
  analytics: 2,
  default: 2,
};

/** how long the server ledger mirror keeps rows, at least (src/ledger/mirror-retention.ts says why that is safe) */
export const DEFAULT_MIRROR_RETENTION_DAYS = 30;

/** env var ↔ flag ↔ meaning; the README's configuration table is this list. */
export const SETTINGS = [
  { env: "PF_MODE", flag: "--mode", help: "sandbox (embedded local sandbox) or live", default: "sandbox" },
  {
    env: "PF_DB",
    flag: "--db",
    help: "path of the SQLite database, or a postgres:// URL shared by a fleet of processes and machines",
    default: "~/.pf-fleet/pf-fleet.db",
  },
  { env: "PF_CASINO_URL", flag: "--casino-url", help: "casino base URL (live mode)", default: PRODUCTION_URLS.casino },
  { env: "PF_ESCROW_URL", flag: "--escrow-url", help: "escrow base URL (live mode)", default: PRODUCTION_URLS.escrow },
  { env: "PF_FAUCET_URL", flag: "--faucet-url", help: "faucet base URL (live mode)", default: PRODUCTION_URLS.faucet },
  {
    env: "PF_DOMAINS_URL",
    flag: "--domains-url",
    help: "domains base URL (live mode)",
    default: PRODUCTION_URLS.domains,
  },
  { env: "PF_WALLET_URL", flag: "--wallet-url", help: "wallet base URL (live mode)", default: PRODUCTION_URLS.wallet },
  {
    env: "PF_API_KEY",
    flag: "--api-key",
    secret: true,
    help: "casino key (sk_live_…) of a primary agent to import; environment only",
    default: "",
  },
  { env: "PF_API_KEY_FILE", flag: "--api-key-file", help: "a file holding PF_API_KEY", default: "" },
  { env: "PF_MAX_BET_USD", flag: "--max-bet-usd", help: "largest single stake, USD", default: "1" },
  { env: "PF_MAX_BATCH_USD", flag: "--max-batch-usd", help: "largest total stake of one batch, USD", default: "10" },
  {
    env: "PF_DAILY_LOSS_LIMIT_USD",
    flag: "--daily-loss-limit-usd",
    help: "per-agent loss per UTC day that stops trading, USD",
    default: "5",
  },
  {
    env: "PF_FLEET_DAILY_LOSS_LIMIT_USD",
    flag: "--fleet-daily-loss-limit-usd",
    help: "fleet-wide loss per UTC day that stops trading, USD",
    default: "20",
  },
  {
    env: "PF_MAX_ESCROW_USD",
    flag: "--max-escrow-usd",
    help: "largest single escrow (amount locked), USD",
    default: "10",
  },
  {
    env: "PF_DAILY_ESCROW_USD",
    flag: "--daily-escrow-usd",
    help: "fleet-wide total escrowed per UTC day, USD (escrows being created count)",
    default: "50",
  },
  {
    env: "PF_MAX_TRANSFER_USD",
    flag: "--max-transfer-usd",
    help: "largest single agent-to-agent transfer, USD",
    default: "10",
  },
  {
    env: "PF_DAILY_TRANSFER_USD",
    flag: "--daily-transfer-usd",
    help: "fleet-wide total transferred out per UTC day, USD (transfers being sent count)",
    default: "50",
  },
  {
    env: "PF_CONFIRM_ABOVE_USD",
    flag: "--confirm-above-usd",
    help: "live mode: a money move whose worst case is above this asks the user first (MCP elicitation, or a dry run's confirm_token); 0 = every one, USD",
    default: "1",
  },
  {
    env: "PF_HTTP_TOKEN",
    flag: "--http-token",
    secret: true,
    help: "bearer token for the HTTP transport; environment only",
    default: "",
  },
  { env: "PF_HTTP_TOKEN_FILE", flag: "--http-token-file", help: "a file holding PF_HTTP_TOKEN", default: "" },
  {
    env: "PF_HTTP_MAX_SESSIONS",
    flag: "--http-max-sessions",
    help: "HTTP transport: most MCP sessions open at once (Streamable HTTP and SSE); one more is refused with 503",
    default: "100",
  },
  {
    env: "PF_HTTP_SESSION_IDLE_SECONDS",
    flag: "--http-session-idle-seconds",
    help: "HTTP transport: an MCP session with no request and no open stream for this long is closed",
    default: "900",
  },
  {
    env: "PF_HTTP_OAUTH_ISSUER",
    flag: "--http-oauth-issuer",
    help: "HTTP transport: accept OAuth access tokens (JWTs) from this authorization server, exactly as in their `iss`",
    default: "",
  },
  {
    env: "PF_HTTP_OAUTH_JWKS_URL",
    flag: "--http-oauth-jwks-url",
    help: "HTTP transport: the issuer's JWKS; default: the jwks_uri of its discovery metadata",
    default: "",
  },
  {
    env: "PF_HTTP_OAUTH_SCOPES",
    flag: "--http-oauth-scopes",
    help: "HTTP transport: scopes every access token must carry (space- or comma-separated)",
    default: "",
  },
  {
    env: "PF_HTTP_RESOURCE_URL",
    flag: "--http-resource-url",
    help: "HTTP transport: this server's public MCP URL (e.g. https://fleet.example.com/mcp), the audience access tokens must name",
    default: "http://<host>:<port>/mcp",
  },
  { env: "PF_ALERT_WEBHOOK_URL", flag: "--alert-webhook-url", help: "URL that receives failure alerts", default: "" },
  {
    env: "PF_CONCURRENCY",
    flag: "--concurrency",
    help: "per-queue concurrency, e.g. casino=8,escrow=2",
    default: "casino=8,escrow=2,wallet=2,analytics=2,default=2",
  },
  { env: "PF_RESULT_TTL_HOURS", flag: "--result-ttl-hours", help: "how long finished jobs are kept", default: "24" },
  {
    env: "PF_MIRROR_RETENTION_DAYS",
    flag: "--mirror-retention-days",
    help: "how long copies of the server's ledger rows are kept; rows a reconciliation, an open or unknown money job, the opening mark or the faucet still need are kept longer",
    default: String(DEFAULT_MIRROR_RETENTION_DAYS),
  },
  {
    env: "PF_SANDBOX_PORT",
    flag: "--sandbox-port",
    help: "sandbox mode: casino port of the embedded sandbox (the next three ports serve escrow, faucet, domains); 0 = ephemeral",
    default: "0",
  },
  {
    env: "PF_SANDBOX_URL",
    flag: "--sandbox-url",
    help: "sandbox mode: use the shared `pf-fleet sandbox` at this origin (e.g. http://10.0.0.1:7000) instead of an embedded one; needed on PostgreSQL",
    default: "",
  },
  {
    env: "PF_WORKER",
    flag: "--worker",
    help: "run jobs, schedules and reconciliation in this process; false (or --no-worker) serves MCP only",
    default: "true",
  },
  {
    env: "PF_EGRESS_ID",
    flag: "--egress-id",
    help: "name of the public IP this process's calls leave from: per-IP rate limits are shared by processes with the same egress id",
    default: "the host name",
  },
  {
    env: "PF_SECRET_KEY",
    flag: "--secret-key",
    secret: true,
    help: "32 random bytes (hex or base64) that seal agent keys at rest; the same on every machine that calls Purple Flea; environment only",
    default: "SQLite: a key file beside the database",
  },
  {
    env: "PF_SECRET_KEY_FILE",
    flag: "--secret-key-file",
    help: "a file holding PF_SECRET_KEY",
    default: "",
  },
  {
    env: "PF_TOOLSETS",
    flag: "--toolsets",
    help: "tools to offer, by toolset: fleet (always), casino, faucet, escrow, domains, analytics, jobs, admin, sandbox (sandbox mode only), or all",
    default: `${DEFAULT_TOOLSETS.join(",")} (+ sandbox in sandbox mode)`,
  },
  {
    env: "PF_READ_ONLY",
    flag: "--read-only",
    help: "offer only read-only tools: nothing that moves money or changes state (a bare --read-only means true)",
    default: "false",
  },
  { env: "LOG_LEVEL", flag: "--log-level", help: "pino level; logs go to stderr", default: "info" },
] as const;

/** flags that stand for a setting's value and take none themselves */
const SHORTHAND_FLAGS: Record<string, [SettingEnv, string]> = {
  "--no-worker": ["PF_WORKER", "false"],
  "--read-only": ["PF_READ_ONLY", "true"],
};

type SettingEnv = (typeof SETTINGS)[number]["env"];

/** settings that hold a secret: refused as flags (a command line is readable by every local user) */
export const SECRET_FLAGS: ReadonlyMap<string, SettingEnv> = new Map(
  SETTINGS.filter((s) => "secret" in s && s.secret).map((s) => [s.flag, s.env]),
);

/** why `flag` (a secret's) is refused, and where the secret goes instead; never names the value */
export function secretFlagRefusal(flag: string): FleetError {
  const env = SECRET_FLAGS.get(flag) ?? "the variable";
  return new FleetError(
    "INVALID_INPUT",
    `${flag} is not accepted: a secret on the command line is visible to every local user`,
    {
      hint: `set ${env} in the environment, or ${env}_FILE to a file holding it (mode 0600)`,
    },
  );
}

/** Reads `--flag value` / `--flag=value` pairs for the known settings; unknown flags are left to the caller. */
export function settingsFromArgv(argv: readonly string[]): Partial<Record<SettingEnv, string>> {
  const out: Partial<Record<SettingEnv, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const shorthand = SHORTHAND_FLAGS[arg];
    if (shorthand) {
      out[shorthand[0]] = shorthand[1];
      continue;
    }
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    const setting = SETTINGS.find((s) => s.flag === name);
    if (!setting) continue;
    if (SECRET_FLAGS.has(name)) throw secretFlagRefusal(name);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new FleetError("INVALID_INPUT", `${name} needs a value`);
    out[setting.env] = value;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): FleetConfig {
  const s = { ...pick(env), ...settingsFromArgv(argv) };
  const mode = (s.PF_MODE ?? "sandbox") as Mode;
  if (mode !== "sandbox" && mode !== "live") {
    throw new FleetError("INVALID_INPUT", `PF_MODE must be \`sandbox\` or \`live\`, got \`${mode}\``);
  }
  return {
    mode,
    dbPath: s.PF_DB || join(homedir(), ".pf-fleet", "pf-fleet.db"),
    urls: {
      casino: trimSlash(s.PF_CASINO_URL || PRODUCTION_URLS.casino),
      escrow: trimSlash(s.PF_ESCROW_URL || PRODUCTION_URLS.escrow),
      faucet: trimSlash(s.PF_FAUCET_URL || PRODUCTION_URLS.faucet),
      domains: trimSlash(s.PF_DOMAINS_URL || PRODUCTION_URLS.domains),
      wallet: trimSlash(s.PF_WALLET_URL || PRODUCTION_URLS.wallet),
    },
    apiKey: casinoKeySetting(secretValue("PF_API_KEY", s.PF_API_KEY, s.PF_API_KEY_FILE)),
    limits: {
      maxBet: usdSetting("PF_MAX_BET_USD", s.PF_MAX_BET_USD, DEFAULT_LIMITS_USD.maxBet),
      maxBatch: usdSetting("PF_MAX_BATCH_USD", s.PF_MAX_BATCH_USD, DEFAULT_LIMITS_USD.maxBatch),
      dailyLossLimit: usdSetting(
        "PF_DAILY_LOSS_LIMIT_USD",
        s.PF_DAILY_LOSS_LIMIT_USD,
        DEFAULT_LIMITS_USD.dailyLossLimit,
      ),
      fleetDailyLossLimit: usdSetting(
        "PF_FLEET_DAILY_LOSS_LIMIT_USD",
        s.PF_FLEET_DAILY_LOSS_LIMIT_USD,
        DEFAULT_LIMITS_USD.fleetDailyLossLimit,
      ),
      maxEscrow: usdSetting("PF_MAX_ESCROW_USD", s.PF_MAX_ESCROW_USD, DEFAULT_SPEND_LIMITS_USD.maxEscrow),
      dailyEscrow: usdSetting("PF_DAILY_ESCROW_USD", s.PF_DAILY_ESCROW_USD, DEFAULT_SPEND_LIMITS_USD.dailyEscrow),
      maxTransfer: usdSetting("PF_MAX_TRANSFER_USD", s.PF_MAX_TRANSFER_USD, DEFAULT_SPEND_LIMITS_USD.maxTransfer),
      dailyTransfer: usdSetting(
        "PF_DAILY_TRANSFER_USD",
        s.PF_DAILY_TRANSFER_USD,
        DEFAULT_SPEND_LIMITS_USD.dailyTransfer,
      ),
    },
    httpToken: secretValue("PF_HTTP_TOKEN", s.PF_HTTP_TOKEN, s.PF_HTTP_TOKEN_FILE),
    httpSessions: {
      max: wholeNumber("PF_HTTP_MAX_SESSIONS", s.PF_HTTP_MAX_SESSIONS, 100, 1, 100_000),
      idleMs: positiveNumber("PF_HTTP_SESSION_IDLE_SECONDS", s.PF_HTTP_SESSION_IDLE_SECONDS, 900) * 1000,
    },
    httpOAuth: httpOAuthSetting(s.PF_HTTP_OAUTH_ISSUER, s.PF_HTTP_OAUTH_JWKS_URL, s.PF_HTTP_OAUTH_SCOPES),
    httpResourceUrl: s.PF_HTTP_RESOURCE_URL ? resourceUrlSetting(s.PF_HTTP_RESOURCE_URL) : undefined,
    logLevel: s.LOG_LEVEL || "info",
    concurrency: parseConcurrency(s.PF_CONCURRENCY),
    alertWebhookUrl: s.PF_ALERT_WEBHOOK_URL || undefined,
    resultTtlMs: positiveNumber("PF_RESULT_TTL_HOURS", s.PF_RESULT_TTL_HOURS, 24) * 3_600_000,
    mirrorRetentionMs:
      positiveNumber("PF_MIRROR_RETENTION_DAYS", s.PF_MIRROR_RETENTION_DAYS, DEFAULT_MIRROR_RETENTION_DAYS) *
      86_400_000,
    sandboxPort: portSetting("PF_SANDBOX_PORT", s.PF_SANDBOX_PORT),
    sandboxUrl: s.PF_SANDBOX_URL ? originSetting("PF_SANDBOX_URL", s.PF_SANDBOX_URL) : undefined,
    ...secretKeySettings(s.PF_SECRET_KEY, s.PF_SECRET_KEY_FILE),
    worker: booleanSetting("PF_WORKER", s.PF_WORKER, true),
    egressId: egressSetting(s.PF_EGRESS_ID),
    toolsets: parseToolsets(s.PF_TOOLSETS, mode),
    readOnly: booleanSetting("PF_READ_ONLY", s.PF_READ_ONLY, false),
    confirmAbove: usdToMicros(nonNegativeNumber("PF_CONFIRM_ABOVE_USD", s.PF_CONFIRM_ABOVE_USD, 1)),
  };
}

/** PF_API_KEY's shape, checked before the key is sent anywhere */
function casinoKeySetting(key: string | undefined): string | undefined {
  if (key !== undefined) assertCasinoKey(key, "PF_API_KEY");
  return key;
}

/** the vault reads the file itself (fleet/key-vault.ts); here only: one source, not two */
function secretKeySettings(
  secretKey: string | undefined,
  secretKeyFile: string | undefined,
): Pick<FleetConfig, "secretKey" | "secretKeyFile"> {
  assertOneSource("PF_SECRET_KEY", secretKey, secretKeyFile);
  return { secretKey: secretKey || undefined, secretKeyFile: secretKeyFile || undefined };
}

export interface HttpOAuthConfig {
  /** the authorization server, exactly as it appears in its tokens' `iss` */
  issuer: string;
  /** its JWKS; undefined = discovered from the issuer's metadata */
  jwksUrl: string | undefined;
  /** scopes every access token must carry */
  scopes: string[];
}

function httpOAuthSetting(
  issuer: string | undefined,
  jwksUrl: string | undefined,
  scopes: string | undefined,
): HttpOAuthConfig | undefined {
  if (!issuer) {
    if (jwksUrl || scopes) {
      throw new FleetError(
        "INVALID_INPUT",
        "PF_HTTP_OAUTH_JWKS_URL and PF_HTTP_OAUTH_SCOPES need PF_HTTP_OAUTH_ISSUER",
        {
          hint: "set PF_HTTP_OAUTH_ISSUER to the authorization server's issuer URL",
        },
      );
    }
    return undefined;
  }
  return {
    issuer: authServerUrl("PF_HTTP_OAUTH_ISSUER", issuer),
    jwksUrl: jwksUrl ? authServerUrl("PF_HTTP_OAUTH_JWKS_URL", jwksUrl) : undefined,
    scopes: (scopes ?? "").split(/[\s,]+/).filter(Boolean),
  };
}

/** OAuth 2.1 wants https for authorization-server endpoints; plain http only on loopback (local testing). */
function authServerUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FleetError("INVALID_INPUT", `${name} must be a URL such as https://auth.example.com, got \`${raw}\``);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" || /^127\./.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new FleetError("INVALID_INPUT", `${name} must be an https:// URL (http only on loopback), got \`${raw}\``);
  }
  return raw;
}

function resourceUrlSetting(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FleetError(
      "INVALID_INPUT",
      `PF_HTTP_RESOURCE_URL must be a URL such as https://fleet.example.com/mcp, got \`${raw}\``,
    );
  }
  if (!/^https?:$/.test(url.protocol) || url.hash || url.search) {
    throw new FleetError(
      "INVALID_INPUT",
      `PF_HTTP_RESOURCE_URL must be an http(s) URL without query or fragment, got \`${raw}\``,
      { hint: "give the URL MCP clients connect to, e.g. https://fleet.example.com/mcp" },
    );
  }
  // The canonical form (RFC 8707, MCP authorization): lower-case scheme and host, no trailing slash.
  return url.href.replace(/\/+$/, "");
}

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FleetError("INVALID_INPUT", `${name} must be a whole number ${min}–${max}, got \`${raw}\``);
  }
  return n;
}

export function isShorthandFlag(arg: string): boolean {
  return arg in SHORTHAND_FLAGS;
}

function booleanSetting(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new FleetError("INVALID_INPUT", `${name} must be true or false, got \`${raw}\``);
}

function originSetting(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FleetError("INVALID_INPUT", `${name} must be a URL such as http://10.0.0.1:7000, got \`${raw}\``);
  }
  if (!/^https?:$/.test(url.protocol) || !url.port) {
    throw new FleetError(
      "INVALID_INPUT",
      `${name} must be http(s)://host:port (the sandbox's casino port), got \`${raw}\``,
      {
        hint: "`pf-fleet sandbox --host 0.0.0.0 --port 7000` prints its casino URL; give its origin, e.g. http://10.0.0.1:7000",
      },
    );
  }
  return url.origin;
}

function egressSetting(raw: string | undefined): string {
  const id = raw?.trim() || hostname();
  if (!/^[\w.:@-]{1,100}$/.test(id)) {
    throw new FleetError("INVALID_INPUT", `PF_EGRESS_ID must be 1–100 letters, digits or . _ : @ -, got \`${id}\``);
  }
  return id;
}

function pick(env: NodeJS.ProcessEnv): Partial<Record<SettingEnv, string>> {
  const out: Partial<Record<SettingEnv, string>> = {};
  for (const { env: name } of SETTINGS) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new FleetError("INVALID_INPUT", `${name} must be a number > 0, got \`${raw}\``);
  return n;
}

function nonNegativeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new FleetError("INVALID_INPUT", `${name} must be a number ≥ 0, got \`${raw}\``);
  return n;
}

function portSetting(name: string, raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_532) {
    throw new FleetError("INVALID_INPUT", `${name} must be a port number 0–65532, got \`${raw}\``);
  }
  return n;
}

function usdSetting(name: string, raw: string | undefined, fallback: number): Micros {
  return usdToMicros(positiveNumber(name, raw, fallback));
}

export function parseConcurrency(raw: string | undefined): Record<QueueName, number> {
  const out = { ...DEFAULT_CONCURRENCY };
  if (!raw) return out;
  for (const part of raw.split(",")) {
    const [queue, value] = part.split("=").map((x) => x.trim());
    const n = Number(value);
    if (!QUEUE_NAMES.includes(queue as QueueName) || !Number.isInteger(n) || n < 1 || n > 256) {
      throw new FleetError(
        "INVALID_INPUT",
        `PF_CONCURRENCY entries must be <queue>=<1–256> with queue one of ${QUEUE_NAMES.join(", ")}, got \`${part}\``,
      );
    }
    out[queue as QueueName] = n;
  }
  return out;
}
