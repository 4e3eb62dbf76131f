import { FleetError } from "../errors.js";

/**
 * Key shape checks. Messages describe the value by its length only: a key, even a malformed one, must never
 * reach an error message, a log line or a tool result.
 */
const CASINO_KEY = /^sk_live_[0-9a-fA-F]{16,128}$/;
const DOMAINS_KEY = /^sk_domains_[0-9a-fA-F]{16,128}$/;

export function assertCasinoKey(key: string): void {
  if (!CASINO_KEY.test(key)) {
    throw new FleetError(
      "INVALID_INPUT",
      `a casino key must look like \`sk_live_\` followed by hex digits, got a ${key.length}-character value that does not`,
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
