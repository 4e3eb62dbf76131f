import { round2 } from "../../purpleflea/fairness.js";
import { isoFromSeconds } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { ApiRequest } from "../http/request.js";
import type { ServiceDefinition } from "../http/service-server.js";
import { hashApiKey, newDomainsIdentity, randomHex } from "../ids.js";
import type { SandboxWorld } from "../world.js";
import { type DomainAccount, DomainAccountStore } from "./account-store.js";
import { EUR_TO_USD, MARKUP_PERCENT, normaliseDomain, quote, searchCandidates } from "./registry.js";

const YEAR_SECONDS = 365 * 24 * 3600;

export interface DomainsService {
  definition: ServiceDefinition;
  accounts: DomainAccountStore;
}

/** The domains service (purpleflea-api.md §6) under `/v1`, with its own accounts and a deterministic registry. */
export function domainsService(world: SandboxWorld): DomainsService {
  const accounts = new DomainAccountStore(world.db, world.clock);
  const isRegistered = (domain: string) => accounts.isRegistered(domain);

  function requireAccount(req: ApiRequest): DomainAccount {
    const key = req.bearer();
    const account = key === undefined ? undefined : accounts.byKeyHash(hashApiKey(key));
    if (!account) {
      throw new HttpError(401, "unauthorized", "Missing or invalid API key. Use: Authorization: Bearer sk_domains_…", {
        suggestion: "POST /v1/auth/register to get an API key",
      });
    }
    req.identify(account.id);
    return account;
  }

  const definition: ServiceDefinition = {
    name: "domains",
    basePath: "/v1",
    info: {
      service: "agent-domains",
      docs: "https://domains.purpleflea.com/llms.txt",
      referral: "GET /v1/gossip for passive income info",
      version: "1.0.0",
    },
    notFoundExtra: { docs: "https://domains.purpleflea.com/llms.txt", openapi: "/openapi.json" },
    routes: [
      {
        method: "POST",
        path: "/auth/register",
        async handle(req) {
          const body = await req.jsonOrEmpty();
          const identity = newDomainsIdentity();
          const code = body.referral_code;
          const referrer = typeof code === "string" && code !== "" ? accounts.byReferralCode(code) : undefined;
          accounts.insert(identity.agentId, hashApiKey(identity.apiKey), identity.referralCode, referrer?.id ?? null);
          return json(
            {
              agent_id: identity.agentId,
              api_key: identity.apiKey,
              referral_code: identity.referralCode,
              tier: "free",
              balance_usd: 0,
              pricing: {
                markup: `${MARKUP_PERCENT}% on base domain cost`,
                currency: "EUR base prices, charged in USD at 1.08 USD/EUR",
                referral_commission: "20% of our markup goes to your referrer",
              },
              message: "Store your API key securely — it cannot be recovered.",
              next_steps: [
                "POST /v1/auth/deposit-address — fund your account",
                "GET /v1/domains/search?q=example.com — search for domains",
                "POST /v1/domains/register — register a domain",
              ],
            },
            201,
          );
        },
      },
      {
        method: "GET",
        path: "/auth/account",
        handle(req) {
          const account = requireAccount(req);
          return json({
            agent_id: account.id,
            tier: account.tier,
            balance_usd: round2(account.balance_usd),
            total_spent: round2(account.total_spent),
            total_deposited: round2(account.total_deposited),
            total_domains: account.total_domains,
            referral_code: account.referral_code,
            created_at: isoFromSeconds(account.created_at),
          });
        },
      },
      {
        method: "GET",
        path: "/domains/search",
        handle(req) {
          requireAccount(req);
          const query = req.query.get("q") || req.query.get("domain");
          if (!query) throw new HttpError(400, "missing_query", "Provide ?q=example.com or ?domain=example.com");
          const results = searchCandidates(query).map((name) => quote(name, isRegistered));
          return json({
            query,
            total: results.length,
            available: results.filter((r) => r.available).length,
            currency: "EUR",
            markup: `${MARKUP_PERCENT}%`,
            results: results.map((r) => ({
              domain: r.domain,
              available: r.available,
              base_price_eur: r.basePriceEur,
              price_eur: r.priceEur,
              ...(r.available ? { register: `POST /v1/domains/register { "domain": "${r.domain}" }` } : {}),
            })),
          });
        },
      },
      {
        method: "POST",
        path: "/domains/register",
        money: true,
        async handle(req) {
          const caller = requireAccount(req);
          const body = await req.jsonOrEmpty();
          // Re-read after the body arrives: another request may have moved this balance meanwhile.
          const account = accounts.byId(caller.id) ?? caller;
          const domain = normaliseDomain(body.domain);
          if (domain === undefined) {
            throw new HttpError(
              400,
              "invalid_domain",
              `Provide a valid domain name (e.g. example.com), got \`${JSON.stringify(body.domain) ?? "nothing"}\``,
            );
          }
          const offer = quote(domain, isRegistered);
          if (!offer.available || offer.basePriceEur === null || offer.priceEur === null) {
            throw new HttpError(400, "domain_unavailable", `${domain} is not available for registration`, {
              domain,
              suggestion: "Try searching for alternative domains with GET /v1/domains/search?q=...",
            });
          }
          const chargedUsd = round2(offer.priceEur * EUR_TO_USD);
          if (account.balance_usd < chargedUsd) {
            throw new HttpError(
              400,
              "insufficient_balance",
              `Balance $${account.balance_usd.toFixed(2)} < price $${chargedUsd.toFixed(2)}`,
              {
                balance_usd: round2(account.balance_usd),
                required_usd: chargedUsd,
                shortfall_usd: round2(chargedUsd - account.balance_usd),
              },
            );
          }
          const domainId = `dom_${randomHex(8)}`;
          const transactionId = `tx_${randomHex(8)}`;
          const expiresAt = world.clock.nowSeconds() + YEAR_SECONDS;
          const balance = accounts.purchase({
            domainId,
            transactionId,
            agentId: account.id,
            domain,
            basePriceEur: offer.basePriceEur,
            priceEur: offer.priceEur,
            chargedUsd,
            expiresAt,
          });
          return json(
            {
              domain_id: domainId,
              domain,
              status: "active",
              expires_at: isoFromSeconds(expiresAt),
              cost: {
                base_price_eur: offer.basePriceEur,
                base_price_usd: round2(offer.basePriceEur * EUR_TO_USD),
                markup: `${MARKUP_PERCENT}%`,
                total_charged_eur: offer.priceEur,
                total_charged_usd: chargedUsd,
                exchange_rate: EUR_TO_USD,
              },
              balance_usd: balance,
              transaction_id: transactionId,
            },
            201,
          );
        },
      },
    ],
  };
  return { definition, accounts };
}
