import { createHash } from "node:crypto";
import { round2 } from "../../purpleflea/fairness.js";

/**
 * A deterministic stand-in for the Njalla registry: no network. Base prices (EUR/year) come from a per-TLD
 * table; whether a name is already taken "out there" is decided by a hash of the name, so the same name always
 * gets the same answer. Names registered in the sandbox are taken too.
 */
const BASE_PRICE_EUR: Readonly<Record<string, number>> = {
  com: 15,
  net: 15,
  org: 15,
  io: 45,
  ai: 85,
  co: 30,
  app: 20,
  dev: 15,
  xyz: 12,
  me: 20,
  info: 15,
  tech: 35,
};

/** TLDs a bare-name search tries, in order. */
export const SEARCH_TLDS = ["com", "net", "org", "io", "ai", "co", "app", "dev", "xyz", "me"];
export const MARKUP_PERCENT = 20;
export const EUR_TO_USD = 1.08;
/** Share of names the hash marks as registered elsewhere (~30%). */
const TAKEN_BELOW = 77;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface Quote {
  domain: string;
  available: boolean;
  /** null for a TLD the registry does not sell */
  basePriceEur: number | null;
  priceEur: number | null;
}

/** Lower-cased, trimmed `label.tld` (labels of a–z, 0–9, inner hyphens), or undefined if not a domain name. */
export function normaliseDomain(input: unknown): string | undefined {
  if (typeof input !== "string") return undefined;
  const domain = input.trim().toLowerCase();
  const labels = domain.split(".");
  if (labels.length < 2 || domain.length > 253) return undefined;
  return labels.every((label) => LABEL.test(label)) ? domain : undefined;
}

export function quote(domain: string, registeredHere: (domain: string) => boolean): Quote {
  const tld = domain.slice(domain.lastIndexOf(".") + 1);
  const base = BASE_PRICE_EUR[tld];
  if (base === undefined) return { domain, available: false, basePriceEur: null, priceEur: null };
  const takenElsewhere = (createHash("sha256").update(domain).digest()[0] as number) < TAKEN_BELOW;
  return {
    domain,
    available: !takenElsewhere && !registeredHere(domain),
    basePriceEur: base,
    priceEur: round2(base * (1 + MARKUP_PERCENT / 100)),
  };
}

/** The names a search for `query` returns: the exact name first (if it has a TLD), then the label on each TLD. */
export function searchCandidates(query: string): string[] {
  const trimmed = query.trim().toLowerCase();
  const label = trimmed.split(".")[0] ?? "";
  const names = trimmed.includes(".") ? [trimmed] : [];
  for (const tld of SEARCH_TLDS) {
    const name = `${label}.${tld}`;
    if (!names.includes(name)) names.push(name);
  }
  return names.filter((name) => normaliseDomain(name) !== undefined);
}
