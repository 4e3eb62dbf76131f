import { z } from "zod";
import { FleetError } from "../errors.js";
import type { HttpTransport } from "./http.js";
import { requireText } from "./input.js";
import type { DomainsClient } from "./types.js";
import { usd } from "./wire.js";

/**
 * Domains (purpleflea-api.md §6): a separate service with its own accounts and `sk_domains_…` keys; a
 * casino key is refused with 401. Prices are quoted in EUR, charged in USD from the domains balance.
 */

const registrationSchema = z.object({ agent_id: z.string().min(1), api_key: z.string().min(1), balance_usd: usd });

const accountSchema = z.object({
  agent_id: z.string(),
  balance_usd: usd,
  total_domains: z.number().int().nonnegative(),
});

const searchSchema = z.object({
  results: z.array(z.object({ domain: z.string(), available: z.boolean(), price_eur: z.number() })),
});

const purchaseSchema = z.object({
  domain_id: z.union([z.string(), z.number()]).transform(String),
  domain: z.string(),
  expires_at: z.string(),
  cost: z.object({ total_charged_usd: usd }),
  balance_usd: usd,
});

/** A registrable name: labels of letters, digits and hyphens, dot-separated, with a TLD. */
const DOMAIN_PATTERN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function createDomainsClient(http: HttpTransport): DomainsClient {
  return {
    async register(req = {}, opts) {
      if (req.referralCode !== undefined) requireText("referralCode", req.referralCode, 100);
      const body = req.referralCode === undefined ? {} : { referral_code: req.referralCode };
      const wire = await http.json(
        { service: "domains", method: "POST", path: "/auth/register", body, effect: "account" },
        registrationSchema,
        opts,
      );
      return { agentId: wire.agent_id, apiKey: wire.api_key, balance: wire.balance_usd };
    },

    async account(key, opts) {
      const wire = await http.json(
        { service: "domains", method: "GET", path: "/auth/account", key, effect: "none" },
        accountSchema,
        opts,
      );
      return { agentId: wire.agent_id, balance: wire.balance_usd, totalDomains: wire.total_domains };
    },

    async search(key, query, opts) {
      requireText("query", query, 253);
      const wire = await http.json(
        { service: "domains", method: "GET", path: "/domains/search", key, query: { q: query }, effect: "none" },
        searchSchema,
        opts,
      );
      return wire.results.map((r) => ({ domain: r.domain, available: r.available, priceEur: r.price_eur }));
    },

    async registerDomain(key, domain, opts) {
      requireText("domain", domain, 253);
      if (!DOMAIN_PATTERN.test(domain)) {
        throw new FleetError("INVALID_INPUT", `domain must be a full name like \`example.com\`, got \`${domain}\``);
      }
      const wire = await http.json(
        { service: "domains", method: "POST", path: "/domains/register", key, body: { domain }, effect: "money" },
        purchaseSchema,
        opts,
      );
      return {
        domainId: wire.domain_id,
        domain: wire.domain,
        expiresAt: wire.expires_at,
        chargedUsd: wire.cost.total_charged_usd,
        balance: wire.balance_usd,
      };
    },
  };
}
