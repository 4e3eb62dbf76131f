import pino, { type Logger } from "pino";

export type { Logger };

/** Every header or field that can carry a Purple Flea key. */
const REDACT_PATHS = [
  "key",
  "apiKey",
  "api_key",
  "token",
  "authorization",
  "Authorization",
  "headers.authorization",
  "headers.Authorization",
  "*.key",
  "*.apiKey",
  "*.api_key",
  "*.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
];

/** Any string shaped like a Purple Flea key (casino, wallet, domains, trading) or a bearer header. */
const SECRET_PATTERN = /\b(?:sk_live|pk_live|sk_domains|sk_trade|sk_mcp)_[0-9a-fA-F]{8,}\b|Bearer\s+[^\s"']+/g;

/** Replaces anything that looks like a key; used on error messages and bodies that might echo one. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, "[redacted]");
}

/**
 * pino to file descriptor 2: in stdio mode stdout belongs to the MCP protocol, and pino's default
 * destination (stdout) would corrupt it.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? "info", destination = 2): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: destination, sync: true }),
  );
}

/** A logger that drops everything: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
