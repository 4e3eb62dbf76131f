import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";

/**
 * `search_domains`: availability and prices from the Purple Flea domains service. Domains accounts are separate
 * from casino agents (`sk_domains_` keys); when the fleet has none, this creates one — and says so.
 */

/** The service quotes EUR and charges USD at this rate (purpleflea-api.md §6). */
export const USD_PER_EUR = 1.08;

const input = {
  query: z
    .string()
    .trim()
    .min(2, "must be a name or keyword of 2–253 characters, e.g. `myagent` or `myagent.com`")
    .max(253, "must be a name or keyword of 2–253 characters, e.g. `myagent` or `myagent.com`")
    .regex(/^[a-z0-9.-]+$/i, "may hold only letters, digits, dots and hyphens")
    .describe("a name (`myagent.com`) or keyword (`myagent`)"),
  account_id: z
    .string()
    .min(3)
    .optional()
    .describe("the fleet's domains account to search with; omit for the first one"),
  create_account_if_missing: z
    .boolean()
    .default(true)
    .describe("when the fleet has no domains account, register one (free, no money moves) and keep its key"),
};

const output = {
  mode: modeField,
  account_id: z.string(),
  account_created: z.boolean().describe("true: this call registered a new domains account for the fleet"),
  query: z.string(),
  results: z.array(
    z.object({
      domain: z.string(),
      available: z.boolean(),
      price_eur: z.number().describe("the service's price, markup included"),
      price_usd_estimate: z.number().describe(`what registering would charge in USD (≈ ${USD_PER_EUR} × EUR)`),
    }),
  ),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "search_domains",
    title: "Search domains",
    description: [
      "Searches the Purple Flea domains service for a name or keyword: which domains are available and at what price",
      `(EUR as quoted, and the USD the account would be charged, about ${USD_PER_EUR} × EUR). Moves no money. Domains`,
      "use their own accounts (`sk_domains_` keys, separate from casino agents). IMPORTANT: if the fleet has no",
      "domains account yet, this call REGISTERS one (free; its key is stored in the fleet, never shown) and says so in",
      "account_created — pass create_account_if_missing: false to refuse instead. Use it before register_domain.",
    ].join(" "),
    input,
    output,
    // Not read-only: it may create the fleet's domains account. Repeats create nothing more.
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async handler(args, ctx) {
      const { accountId, created } = await domainAccount(
        deps,
        args.account_id,
        args.create_account_if_missing,
        ctx.signal,
      );
      const found = await deps.client.domains.search(await deps.fleet.domainKeyFor(accountId), args.query, {
        signal: ctx.signal,
      });
      const results = found.map((r) => ({
        domain: r.domain,
        available: r.available,
        price_eur: r.priceEur,
        price_usd_estimate: usdEstimate(r.priceEur),
      }));
      const available = results.filter((r) => r.available);
      return {
        structured: { mode: deps.mode, account_id: accountId, account_created: created, query: args.query, results },
        text: [
          `[${deps.mode}] ${results.length} result(s) for \`${args.query}\`, ${available.length} available${created ? ` (registered a new domains account ${accountId} for the fleet)` : ""}:`,
          ...results.map(
            (r) =>
              `- ${r.domain}: ${r.available ? `available, €${r.price_eur.toFixed(2)} ≈ $${r.price_usd_estimate.toFixed(2)}` : "taken"}`,
          ),
        ].join("\n"),
      };
    },
  });
}

export function usdEstimate(eur: number): number {
  return Math.round(eur * USD_PER_EUR * 100) / 100;
}

/** One account creation at a time per fleet, so two concurrent searches do not register two accounts. */
const creating = new WeakMap<object, Promise<string>>();

/**
 * The domains account to act with: the one named (must be the fleet's), else the fleet's first, else — when
 * allowed — a newly registered one whose key goes straight into the fleet store.
 */
export async function domainAccount(
  deps: Pick<FleetDeps, "fleet" | "client">,
  requested: string | undefined,
  createIfMissing: boolean,
  signal: AbortSignal,
): Promise<{ accountId: string; created: boolean }> {
  const accounts = await deps.fleet.listDomainAccounts();
  if (requested !== undefined) {
    if (!accounts.some((a) => a.accountId === requested)) {
      throw new FleetError("NOT_FOUND", `account_id \`${requested}\` is not one of the fleet's domains accounts`, {
        hint: accounts.length
          ? `the fleet's domains accounts: ${accounts.map((a) => a.accountId).join(", ")}`
          : "the fleet has no domains account; search_domains creates one",
      });
    }
    return { accountId: requested, created: false };
  }
  const first = accounts[0];
  if (first) return { accountId: first.accountId, created: false };
  if (!createIfMissing) {
    throw new FleetError("NOT_FOUND", "the fleet has no domains account", {
      hint: "call search_domains with create_account_if_missing: true to register one (free)",
    });
  }
  let pending = creating.get(deps.fleet);
  if (!pending) {
    pending = (async () => {
      const acct = await deps.client.domains.register({}, { signal });
      await deps.fleet.addDomainAccount({ accountId: acct.agentId, apiKey: acct.apiKey, label: "domains" });
      return acct.agentId;
    })().finally(() => creating.delete(deps.fleet));
    creating.set(deps.fleet, pending);
  }
  return { accountId: await pending, created: true };
}
