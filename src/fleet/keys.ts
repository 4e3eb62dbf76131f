import { FleetError } from "../errors.js";

/**
 * Key shape checks, made before a key is sent anywhere or stored (a real casino key is `sk_live_` + 48 hex digits,
 * shared/purpleflea-api.md; any hex length from 16 to 128 passes, so a longer key the casino might issue one day is
 * not refused). Messages describe the value by its length only: a key, even a malformed one, must never reach an
 * error message, a log line or a tool result.
 */
const CASINO_KEY = /^sk_live_[0-9a-fA-F]{16,128}$/;
const DOMAINS_KEY = /^sk_domains_[0-9a-fA-F]{16,128}$/;

/** `source` names where the key came from (`PF_API_KEY`), for the message */
export function assertCasinoKey(key: string, source = "a casino key"): void {
  if (!CASINO_KEY.test(key)) {
    throw new FleetError(
      "INVALID_INPUT",
      `${source} must look like \`sk_live_\` followed by hex digits, got a ${key.length}-character value that does not`,
      { hint: "casino keys come from POST /api/v1/auth/register (register_agent does this for you)" },
    );
  }
}

export function assertDomainsKey(key: string): void {
  if (!DOMAINS_KEY.test(key)) {
    throw new FleetError(
      "INVALID_INPUT",
      `a domains key must look like \`sk_domains_\` followed by hex digits, got a ${key.length}-character value that does not`,
      { hint: "domains keys come from the domains service's POST /v1/auth/register" },
    );
  }
}
