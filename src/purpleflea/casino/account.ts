import { z } from "zod";
import { microsToUsd, usdToMicros } from "../../money.js";
import type { HttpTransport } from "../http.js";
import { requireAgentId, requireStake, requireText } from "../input.js";
import type { CasinoClient, LedgerEntry } from "../types.js";
import { optionalText, usd, usdFloat } from "../wire.js";

/** The casino account: registration, balance, the server ledger, and agent-to-agent transfers. */

/**
 * One ledger row. `/auth/ledger` sends raw database rows (camelCase, `createdAt` in unix seconds, plus
 * `at`); `/auth/balance`'s `recent_activity` sends snake_case rows without id or reference. Both map here.
 */
const ledgerEntrySchema = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    type: z.string(),
    amount: usd,
    balanceAfter: usd.optional(),
    balance_after: usd.optional(),
    reason: z.string().nullish(),
    reference: z.union([z.string(), z.number()]).nullish(),
    service: z.string().nullish(),
    at: z.string().optional(),
    createdAt: z.number().optional(),
  })
  .refine((e) => e.balanceAfter !== undefined || e.balance_after !== undefined, "balanceAfter is missing")
  .transform(
    (e): LedgerEntry => ({
      id: e.id === undefined ? "" : String(e.id),
      type: e.type,
      amount: e.amount,
      balanceAfter: (e.balanceAfter ?? e.balance_after) as number,
      reason: e.reason ?? "",
      reference: e.reference === undefined || e.reference === null ? null : String(e.reference),
      service: e.service ?? "",
      at: e.at ?? (e.createdAt === undefined ? "" : new Date(e.createdAt * 1000).toISOString()),
    }),
  );

const registrationSchema = z.object({
  agent_id: z.string().min(1),
  api_key: z.string().min(1),
  referral_code: z.string(),
  balance: usd.optional(),
});

const balanceSchema = z.object({
  agent_id: z.string(),
  balance_usd: usdFloat,
  tier: z.string(),
  risk_factor: z.number(),
  recent_activity: z.array(ledgerEntrySchema).default([]),
});

/** `POST /stats/pay`'s answer (purpleflea-api.md §12); the memo it echoes is stored nowhere. */
const transferSchema = z.object({
  tx_id: optionalText,
  amount: usd.optional(),
  to: z.string().optional(),
  sender_new_balance: usd.nullish(),
});

export function accountMethods(http: HttpTransport): Pick<CasinoClient, "register" | "balance" | "ledger" | "pay"> {
  return {
    async register(req = {}, opts) {
      if (req.referralCode !== undefined) requireText("referralCode", req.referralCode, 100);
      const body = req.referralCode === undefined ? {} : { referral_code: req.referralCode };
      const wire = await http.json(
        { service: "casino", method: "POST", path: "/auth/register", body, effect: "account" },
        registrationSchema,
        opts,
      );
      return {
        agentId: wire.agent_id,
        apiKey: wire.api_key,
        referralCode: wire.referral_code,
        balance: wire.balance ?? 0,
      };
    },

    async balance(key, opts) {
      const wire = await http.json(
        { service: "casino", method: "GET", path: "/auth/balance", key, effect: "none" },
        balanceSchema,
        opts,
      );
      return {
        agentId: wire.agent_id,
        balance: usdToMicros(wire.balance_usd),
        balanceUsd: wire.balance_usd,
        tier: wire.tier,
        riskFactor: wire.risk_factor,
        recentActivity: wire.recent_activity,
      };
    },

    async ledger(key, opts) {
      const wire = await http.json(
        { service: "casino", method: "GET", path: "/auth/ledger", key, effect: "none" },
        z.object({ entries: z.array(ledgerEntrySchema) }),
        opts,
      );
      return wire.entries;
    },

    async pay(key, req, opts) {
      requireAgentId("toAgentId", req.toAgentId);
      requireStake("amount", req.amount);
      if (req.memo !== undefined) requireText("memo", req.memo, 500);
      const body = { to_agent_id: req.toAgentId, amount: microsToUsd(req.amount), memo: req.memo };
      const wire = await http.json(
        { service: "casino", method: "POST", path: "/stats/pay", key, body, effect: "money" },
        transferSchema,
        opts,
      );
      return {
        transferId: wire.tx_id ?? null,
        amount: wire.amount ?? req.amount,
        toAgentId: wire.to ?? req.toAgentId,
        newBalance: wire.sender_new_balance ?? null,
      };
    },
  };
}
