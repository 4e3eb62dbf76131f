import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { TASK } from "../src/jobs/tasks/args.js";
import type { DomainRegisterResult } from "../src/jobs/tasks/domain-register.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { modeField, usd, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { awaitJob } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd, usdToMicros } from "../src/money.js";
import { failedJobError, jobSentence, jobView, toJobView } from "./_job.js";
import { domainMoneyPlan } from "./_money-plans.js";
import { domainAccount, usdEstimate } from "./search-domains.js";

/** `register_domain`: buys one domain with the fleet's domains account balance. */

const input = {
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      "must be a full domain name like `myagent.com`",
    )
    .describe("the full name to register, e.g. `myagent.com`"),
  account_id: z.string().min(3).optional().describe("the fleet's domains account that pays; omit for the first one"),
  max_price_usd: usd({ min: 0.01 }).optional().describe("refuse (before sending) if the price is above this many USD"),
  wait_seconds: waitSeconds,
  dry_run: z.boolean().default(false).describe("true: quote and check the purchase, send NOTHING"),
  confirm_token: confirmToken,
};

const output = {
  mode: modeField,
  job: jobView.nullable().describe("null for a dry run"),
  account_id: z.string(),
  domain: z.string(),
  price_usd_estimate: z.number().describe("the quoted price before sending"),
  registration: z
    .object({
      domain_id: z.string(),
      expires_at: z.string(),
      charged_usd: z.number(),
      balance_usd: z.number().describe("the domains account's balance afterwards"),
    })
    .nullable()
    .describe("null while the job is still running, and for a dry run"),
  confirm_token: confirmTokenOut,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "register_domain",
    title: "Register a domain",
    description: [
      "Buys one domain through Purple Flea domains, paid in USD from the fleet's DOMAINS account balance (separate",
      "from casino balances; fund it through the domains service's deposit address). Irreversible spend. Before",
      "sending it checks the domain is available (CONFLICT if not), the price against max_price_usd (LIMIT_EXCEEDED)",
      "and the account balance (INSUFFICIENT_BALANCE); nothing is written when a check fails. Prerequisite: a domains",
      "account in the fleet — this tool never creates one (search_domains does, and shows prices). Runs as a durable",
      "job: returns the registration (id, expiry, USD charged, balance left), or the job id if not finished within",
      "wait_seconds (default 20, max 50). Moves real money in live mode; the result states the mode. Refused with",
      "TRADING_PAUSED while the fleet is paused (pause_trading).",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      // the kill switch first, before any read: domain purchases stop with every other money movement
      await deps.fleet.assertFleetActive({ action: `the purchase of ${args.domain}` });
      const { accountId } = await domainAccount(deps, args.account_id, false, ctx.signal);
      const key = await deps.fleet.domainKeyFor(accountId);
      const quote = (await deps.client.domains.search(key, args.domain, { signal: ctx.signal })).find(
        (r) => r.domain.toLowerCase() === args.domain,
      );
      if (!quote?.available) {
        throw new FleetError("CONFLICT", `${args.domain} is not available to register`, {
          hint: "search_domains lists available alternatives; nothing was sent",
        });
      }
      const price = usdEstimate(quote.priceEur);
      if (args.max_price_usd !== undefined && price > microsToUsd(args.max_price_usd)) {
        throw new FleetError(
          "LIMIT_EXCEEDED",
          `${args.domain} costs about $${price.toFixed(2)}, above max_price_usd $${formatUsd(args.max_price_usd)}`,
          { hint: "raise max_price_usd if that price is acceptable, or pick a cheaper name; nothing was sent" },
        );
      }
      const account = await deps.client.domains.account(key, { signal: ctx.signal });
      if (microsToUsd(account.balance) < price) {
        throw new FleetError(
          "INSUFFICIENT_BALANCE",
          `domains account ${accountId} holds $${formatUsd(account.balance)}; ${args.domain} costs about $${price.toFixed(2)}`,
          { hint: "fund the domains account (its own deposit address; casino balances do not pay for domains)" },
        );
      }
      const plan = domainMoneyPlan(args, accountId, args.domain, usdToMicros(price));
      if (args.dry_run) {
        const token = confirmTokenFor(deps, plan);
        return {
          structured: {
            mode: deps.mode,
            job: null,
            account_id: accountId,
            domain: args.domain,
            price_usd_estimate: price,
            registration: null,
            ...(token ? { confirm_token: token } : {}),
          },
          text: [
            `[${deps.mode}] DRY RUN, nothing sent: ${args.domain} is available for about $${price.toFixed(2)}; account ${accountId} holds $${formatUsd(account.balance)}.`,
            ...confirmTokenLine(deps, plan, token),
          ].join("\n"),
        };
      }
      await requireConfirmation(deps, ctx, plan, args.confirm_token);
      const job = await deps.engine.enqueue(TASK.domainRegister, { accountId, domain: args.domain });
      const awaited = await awaitJob(deps, job.id, { waitSeconds: args.wait_seconds, ctx });
      if (awaited.finished && awaited.job.state !== "succeeded") throw failedJobError(awaited.job);
      const r = awaited.finished ? (awaited.job.result as DomainRegisterResult) : null;
      const registration = r
        ? {
            domain_id: r.domainId,
            expires_at: r.expiresAt,
            charged_usd: microsToUsd(r.charged),
            balance_usd: microsToUsd(r.balance),
          }
        : null;
      return {
        structured: {
          mode: deps.mode,
          job: toJobView(awaited),
          account_id: accountId,
          domain: args.domain,
          price_usd_estimate: price,
          registration,
        },
        text: r
          ? `[${deps.mode}] registered ${r.domain} (id ${r.domainId}, expires ${r.expiresAt}) for $${formatUsd(r.charged)}; account ${accountId} has $${formatUsd(r.balance)} left.`
          : `[${deps.mode}] registering ${args.domain} for about $${price.toFixed(2)}: ${jobSentence(awaited)}.`,
      };
    },
  });
}
