import { z } from "zod";
import { microsToUsd } from "../money.js";
import type { HttpTransport } from "./http.js";
import { pathSegment, requireAgentId, requireRange, requireStake, requireText } from "./input.js";
import type { Escrow, EscrowClient, EscrowStatus } from "./types.js";
import { optionalText, usd } from "./wire.js";

/**
 * Escrow (purpleflea-api.md §3): casino balances locked between two casino agents, authorised with the
 * creator's or counterparty's casino key. Paths are verb-first: `/escrow/release/:id`.
 */

const STATUSES = ["funded", "completed", "released", "disputed", "refunded"] as const satisfies readonly EscrowStatus[];

const escrowSchema = z
  .object({
    escrow_id: z.string().min(1),
    status: z.enum(STATUSES),
    amount_usd: usd,
    commission_usd: usd,
    net_to_counterparty: usd,
    description: z.string(),
    creator_id: z.string(),
    counterparty_id: z.string(),
    timeout_hours: z.number(),
    created_at: optionalText,
    auto_release_at: optionalText,
    completed_at: optionalText,
    released_at: optionalText,
    disputed_at: optionalText,
    events: z.array(z.unknown()).optional(),
  })
  .transform((w): Escrow & { events?: unknown[] } => ({
    escrowId: w.escrow_id,
    status: w.status,
    amount: w.amount_usd,
    commission: w.commission_usd,
    netToCounterparty: w.net_to_counterparty,
    description: w.description,
    creatorId: w.creator_id,
    counterpartyId: w.counterparty_id,
    timeoutHours: w.timeout_hours,
    createdAt: w.created_at,
    autoReleaseAt: w.auto_release_at,
    completedAt: w.completed_at,
    releasedAt: w.released_at,
    disputedAt: w.disputed_at,
    ...(w.events ? { events: w.events } : {}),
  }));

const releaseSchema = z.object({
  escrow_id: z.string(),
  status: z.literal("released"),
  amount_released: usd,
  commission: usd,
  counterparty_id: z.string(),
});

export function createEscrowClient(http: HttpTransport): EscrowClient {
  return {
    async create(key, req, opts) {
      requireStake("amount", req.amount);
      requireText("description", req.description, 1_000);
      requireAgentId("counterpartyAgentId", req.counterpartyAgentId);
      if (req.timeoutHours !== undefined) requireRange("timeoutHours", req.timeoutHours, 0, 720, " h");
      if (req.referralCode !== undefined) requireText("referralCode", req.referralCode, 100);
      const body = {
        amount_usd: microsToUsd(req.amount),
        description: req.description,
        counterparty_agent_id: req.counterpartyAgentId,
        timeout_hours: req.timeoutHours,
        referral_code: req.referralCode,
      };
      const { events: _events, ...escrow } = await http.json(
        { service: "escrow", method: "POST", path: "/escrow/create", key, body, effect: "money" },
        escrowSchema,
        opts,
      );
      return escrow;
    },

    async complete(key, escrowId, opts) {
      const id = pathSegment("escrowId", escrowId);
      const wire = await http.json(
        { service: "escrow", method: "POST", path: `/escrow/complete/${id}`, key, effect: "money" },
        z.object({ escrow_id: z.string(), status: z.literal("completed") }),
        opts,
      );
      return { escrowId: wire.escrow_id, status: wire.status };
    },

    async release(key, escrowId, opts) {
      const id = pathSegment("escrowId", escrowId);
      const wire = await http.json(
        { service: "escrow", method: "POST", path: `/escrow/release/${id}`, key, effect: "money" },
        releaseSchema,
        opts,
      );
      return {
        escrowId: wire.escrow_id,
        status: wire.status,
        amountReleased: wire.amount_released,
        commission: wire.commission,
        counterpartyId: wire.counterparty_id,
      };
    },

    async dispute(key, escrowId, reason, opts) {
      const id = pathSegment("escrowId", escrowId);
      if (reason !== undefined) requireText("reason", reason, 2_000);
      const wire = await http.json(
        { service: "escrow", method: "POST", path: `/escrow/dispute/${id}`, key, body: { reason }, effect: "money" },
        z.object({ escrow_id: z.string(), status: z.literal("disputed") }),
        opts,
      );
      return { escrowId: wire.escrow_id, status: wire.status };
    },

    get(escrowId, key, opts) {
      const id = pathSegment("escrowId", escrowId);
      return http.json(
        { service: "escrow", method: "GET", path: `/escrow/${id}`, key, effect: "none" },
        escrowSchema,
        opts,
      );
    },

    async stats(opts) {
      const { _info, ...stats } = await http.json(
        { service: "escrow", method: "GET", path: "/escrow/stats", effect: "none" },
        z.looseObject({}),
        opts,
      );
      return stats;
    },
  };
}
