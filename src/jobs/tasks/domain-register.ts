import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { recordMovement } from "../../ledger/movements.js";
import type { Micros } from "../../money.js";
import type { ReconcileOutcome, TaskDefinition } from "../types.js";
import { domainRegisterArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";

/**
 * `domains.register`: buys a domain with a domains account's own USD balance (a separate service with
 * `sk_domains_` keys, purpleflea-api.md §6). The charge is recorded as a `domain_purchase` movement of that
 * account. A lost answer is reconciled by the domain's availability: still available proves it was not
 * bought; taken cannot say by whom, so the job is left `unknown` for a person to check.
 */

export type DomainRegisterArgs = z.infer<typeof domainRegisterArgs>;

export interface DomainRegisterResult {
  accountId: string;
  domain: string;
  domainId: string;
  expiresAt: string;
  charged: Micros;
  balance: Micros;
}

export function domainRegisterTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<DomainRegisterArgs, DomainRegisterResult> {
  const inFlight = new InFlight();
  const keyOf = (args: DomainRegisterArgs) => `${args.accountId}:${args.domain.toLowerCase()}`;
  return {
    name: TASK.domainRegister,
    queue: "wallet",
    moneyMoving: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: domainRegisterArgs,
    idempotencyKey: (args) => `domains.register:${args.accountId}:${args.domain.toLowerCase()}`,

    async run(ctx) {
      const { accountId, domain } = ctx.args;
      // the kill switch, at send time (a domains account is no agent: only the fleet-wide pause applies)
      await deps.fleet.assertFleetActive({ action: `the purchase of ${domain}`, jobId: ctx.job.id });
      const key = await deps.fleet.domainKeyFor(accountId);
      const r = await inFlight.track(keyOf(ctx.args), deps.client.domains.registerDomain(key, domain));
      const at = Date.now();
      ctx.onCommit((tx) =>
        recordMovement(tx, {
          agentId: accountId,
          kind: "domain_purchase",
          amount: -r.chargedUsd,
          reference: `domain:${r.domainId}`,
          description: `registered ${r.domain} until ${r.expiresAt}`,
          jobId: ctx.job.id,
          at,
        }),
      );
      return {
        accountId,
        domain: r.domain,
        domainId: r.domainId,
        expiresAt: r.expiresAt,
        charged: r.chargedUsd,
        balance: r.balance,
      };
    },

    async reconcile(ctx): Promise<ReconcileOutcome<DomainRegisterResult>> {
      const { accountId, domain } = ctx.args;
      await inFlight.released(keyOf(ctx.args));
      try {
        const key = await deps.fleet.domainKeyFor(accountId);
        const results = await deps.client.domains.search(key, domain, { signal: ctx.signal });
        const match = results.find((r) => r.domain.toLowerCase() === domain.toLowerCase());
        if (match?.available) return { outcome: "not_done", reason: `${domain} is still available` };
        return {
          outcome: "unknown",
          reason:
            `${domain} is no longer available, and the domains API offers no way to prove who registered it; ` +
            `check account ${accountId}'s domains before registering again`,
        };
      } catch (err) {
        return { outcome: "unknown", reason: `the domain search failed: ${errorMessage(err)}` };
      }
    },
  };
}
