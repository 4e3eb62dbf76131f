import type { CasinoAgent } from "../casino/agents.js";
import { resolveAgent } from "../casino/auth.js";
import { isoFromSeconds } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { ApiRequest } from "../http/request.js";
import type { Route } from "../http/router.js";
import type { ServiceDefinition } from "../http/service-server.js";
import type { SandboxWorld } from "../world.js";
import { createEscrow } from "./create-escrow.js";
import { type EscrowRow, EscrowStore } from "./escrow-store.js";
import { payRelease, round6, sweepExpiredEscrows } from "./payouts.js";

export interface EscrowService {
  definition: ServiceDefinition;
  /** refunds every escrow past its timeout; the sandbox runs it at start, every 5 minutes and on clock jumps */
  sweepExpired(): number;
}

/** The escrow service (purpleflea-api.md §3): casino keys, casino balances, its own state machine. */
export function escrowService(world: SandboxWorld): EscrowService {
  const store = new EscrowStore(world.db, world.clock);

  function actor(
    req: ApiRequest,
    message = "Bearer {casino_api_key} required. Register at casino.purpleflea.com.",
  ): CasinoAgent {
    const agent = resolveAgent(world, req);
    if (!agent) throw new HttpError(401, "unauthorized", message);
    return agent;
  }

  function escrowOf(req: ApiRequest): EscrowRow {
    const escrow = store.byId(req.params.id ?? "");
    if (!escrow) throw new HttpError(404, "not_found", `Escrow ${req.params.id} not found`);
    return escrow;
  }

  function requireStatus(escrow: EscrowRow, allowed: readonly string[], verb: string): void {
    if (!allowed.includes(escrow.status)) {
      throw new HttpError(409, "invalid_status", `Cannot ${verb} escrow in status '${escrow.status}'`);
    }
  }

  const routes: Route[] = [
    {
      method: "POST",
      path: "/escrow/create",
      money: true,
      ipLimit: { name: "escrow-create-ip", max: 20 },
      async handle(req) {
        const caller = actor(req);
        const body = await req.jsonOrEmpty();
        // Re-read after the body arrives: another request may have moved this balance meanwhile.
        const escrow = createEscrow(world, store, world.agents.byId(caller.id) ?? caller, body);
        return json(
          {
            escrow_id: escrow.id,
            amount_usd: escrow.amount_usd,
            commission_usd: escrow.commission_usd,
            net_to_counterparty: round6(escrow.amount_usd - escrow.commission_usd),
            description: escrow.description,
            creator_id: escrow.creator_id,
            counterparty_id: escrow.counterparty_id,
            status: "funded",
            timeout_hours: escrow.timeout_hours,
            auto_release_at: isoFromSeconds(escrow.auto_release_at),
            next_steps: {
              counterparty: `POST /escrow/complete/${escrow.id} when task is done`,
              creator: `POST /escrow/release/${escrow.id} to release funds`,
              dispute: `POST /escrow/dispute/${escrow.id} if something goes wrong`,
            },
          },
          201,
        );
      },
    },
    {
      method: "POST",
      path: "/escrow/complete/:id",
      money: true,
      ipLimit: { name: "escrow-complete-ip", max: 30 },
      handle(req) {
        const agent = actor(req, "Bearer {casino_api_key} required");
        const escrow = escrowOf(req);
        if (escrow.counterparty_id !== agent.id) {
          throw new HttpError(403, "forbidden", "Only the counterparty can mark the task complete");
        }
        requireStatus(escrow, ["funded"], "complete");
        store.setStatus(escrow.id, "completed", agent.id, "Counterparty marked task complete");
        return json({
          escrow_id: escrow.id,
          status: "completed",
          message: "Task marked complete. Waiting for creator to release funds.",
          next_step: `Creator should call POST /escrow/release/${escrow.id}`,
          auto_release_at: isoFromSeconds(escrow.auto_release_at),
        });
      },
    },
    {
      method: "POST",
      path: "/escrow/release/:id",
      money: true,
      ipLimit: { name: "escrow-release-ip", max: 30 },
      handle(req) {
        const agent = actor(req, "Bearer {casino_api_key} required");
        const escrow = escrowOf(req);
        if (escrow.creator_id !== agent.id) {
          throw new HttpError(403, "forbidden", "Only the escrow creator can release funds");
        }
        requireStatus(escrow, ["funded", "completed"], "release");
        const released = payRelease(world, store, escrow, agent.id);
        return json({
          escrow_id: escrow.id,
          status: "released",
          amount_released: released,
          commission: escrow.commission_usd,
          referral_commission: escrow.referral_commission_usd,
          counterparty_id: escrow.counterparty_id,
          message: `$${released.toFixed(2)} released to counterparty.`,
        });
      },
    },
    {
      method: "POST",
      path: "/escrow/dispute/:id",
      money: true,
      ipLimit: { name: "escrow-dispute-ip", max: 10 },
      async handle(req) {
        const agent = actor(req, "Bearer {casino_api_key} required");
        const escrow = escrowOf(req);
        if (escrow.creator_id !== agent.id && escrow.counterparty_id !== agent.id) {
          throw new HttpError(403, "forbidden", "Only escrow participants can dispute");
        }
        requireStatus(escrow, ["funded", "completed"], "dispute");
        const body = await req.jsonOrEmpty();
        const reason = (typeof body.reason === "string" ? body.reason.trim() : "") || "No reason provided";
        store.setStatus(escrow.id, "disputed", agent.id, reason);
        return json({
          escrow_id: escrow.id,
          status: "disputed",
          reason,
          message: "Escrow flagged for manual review. Purple Flea team will investigate.",
          contact: "support@purpleflea.com",
        });
      },
    },
    {
      method: "GET",
      path: "/escrow/stats",
      handle() {
        const stats = store.stats();
        return json({
          total_created: stats.total_created,
          total_released: stats.total_released,
          total_disputed: stats.total_disputed,
          total_volume_usd: Number(stats.total_volume_usd.toFixed(2)),
          total_commission_usd: Number(stats.total_commission_usd.toFixed(2)),
          commission_rate: "1%",
          referral_commission_rate: "15% of fees",
        });
      },
    },
    {
      method: "GET",
      path: "/escrow/:id",
      handle(req) {
        const viewer = resolveAgent(world, req);
        const escrow = escrowOf(req);
        const participant = viewer?.id === escrow.creator_id || viewer?.id === escrow.counterparty_id;
        const at = (s: number | null) => (s === null ? null : isoFromSeconds(s));
        return json({
          escrow_id: escrow.id,
          status: escrow.status,
          amount_usd: escrow.amount_usd,
          commission_usd: escrow.commission_usd,
          net_to_counterparty: round6(escrow.amount_usd - escrow.commission_usd),
          description: escrow.description,
          creator_id: escrow.creator_id,
          counterparty_id: escrow.counterparty_id,
          timeout_hours: escrow.timeout_hours,
          created_at: at(escrow.created_at),
          auto_release_at: at(escrow.auto_release_at),
          completed_at: at(escrow.completed_at),
          released_at: at(escrow.released_at),
          disputed_at: at(escrow.disputed_at),
          ...(participant ? { events: store.events(escrow.id) } : {}),
        });
      },
    },
  ];

  return {
    definition: {
      name: "escrow",
      basePath: "",
      info: {
        service: "agent-escrow",
        docs: "https://escrow.purpleflea.com/llms.txt",
        referral: "GET /gossip — 15% referral commission on escrow fees",
        version: "1.0.0",
      },
      routes,
    },
    sweepExpired: () => sweepExpiredEscrows(world, store),
  };
}
