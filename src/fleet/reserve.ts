import type { RiskLimits } from "../config.js";
import { FleetError } from "../errors.js";
import { formatUsd, type Micros, microsToUsd } from "../money.js";
import type { FleetRepo, MoneySnapshot, Reservation, RiskSnapshot } from "../storage/fleet.js";
import { realisedLoss, utcDayStart } from "./daily-loss.js";
import { agentLimits, effectiveLimits } from "./limits.js";
import { assertCanTrade, type PauseContext } from "./pause.js";

/**
 * Reservations against the daily limits (src/storage/fleet.ts, `Reservation`): the check and the reservation are
 * one atomic unit on the shared database, so concurrent submissions in any number of processes or machines can
 * never together pass a limit each passes alone.
 *
 * - stakes: a batch's worst-case loss (its total stake) is reserved per member job when the batch is accepted;
 *   headroom = daily loss limit − realised loss − stakes in flight. A bet's reservation gives way to its result as
 *   it settles, and the rest is released when the job ends.
 * - escrow / transfer: the amount, per call (max) and per UTC day fleet-wide (Σ done today + in flight).
 */

export type SpendKind = "escrow" | "transfer";

/** one job's share: `jobKey` is the idempotency key of the money job the reservation is tied to */
export interface HeldBy {
  jobKey: string;
  agentId: string;
  amount: Micros;
}

const SPEND = {
  escrow: { max: "maxEscrow", daily: "dailyEscrow", env: "PF_MAX_ESCROW_USD", dailyEnv: "PF_DAILY_ESCROW_USD" },
  transfer: {
    max: "maxTransfer",
    daily: "dailyTransfer",
    env: "PF_MAX_TRANSFER_USD",
    dailyEnv: "PF_DAILY_TRANSFER_USD",
  },
} as const;

const NOUN: Record<SpendKind, string> = { escrow: "an escrow create", transfer: "a transfer" };

export function createReservations(configured: RiskLimits, now: () => number) {
  /**
   * Reserves the stakes of a batch's member jobs, or refuses the whole batch (LIMIT_EXCEEDED, TRADING_PAUSED)
   * and writes nothing. `repo` is the transaction's (`tx.fleet`) so the reservations commit with the jobs.
   */
  async function reserveStakes(repo: FleetRepo, stakes: readonly HeldBy[]): Promise<void> {
    for (const s of stakes) assertAmount(s.amount, "stake");
    if (stakes.length === 0) return;
    const agentIds = [...new Set(stakes.map((s) => s.agentId))];
    const rows: Reservation[] = stakes.map((s) => ({ ...s, kind: "stake" }));
    await repo.reserve(
      agentIds,
      utcDayStart(now()),
      rows,
      (snapshot, held) => checkStakes(snapshot, stakes, held),
      now(),
    );
  }

  function checkStakes(snapshot: RiskSnapshot, stakes: readonly HeldBy[], held: ReadonlySet<string>): void {
    const limits = effectiveLimits(configured, snapshot.overrides);
    const money = moneyOf(snapshot);
    const perAgent = new Map<string, Micros>();
    let total = 0;
    for (const s of stakes) {
      if (held.has(s.jobKey)) continue;
      perAgent.set(s.agentId, (perAgent.get(s.agentId) ?? 0) + s.amount);
      total += s.amount;
    }
    for (const [agentId, stake] of perAgent) {
      const state = snapshot.agents.get(agentId);
      assertCanTrade(agentId, state);
      const limit = agentLimits(limits, agentId).dailyLossLimit;
      const lost = realisedLoss(state?.netToday ?? 0);
      const inFlight = money.stakeByAgent.get(agentId) ?? 0;
      if (lost + inFlight + stake > limit) {
        throw lossExceeded(
          `${agentId} has`,
          "its daily loss limit",
          "dailyLossLimit",
          { lost, inFlight, stake, limit },
          agentId,
        );
      }
    }
    const lost = realisedLoss(snapshot.fleetNetToday);
    const inFlight = money.fleetStake;
    if (lost + inFlight + total > limits.fleetDailyLossLimit) {
      throw lossExceeded("the fleet has", "the fleet-wide daily loss limit", "fleetDailyLossLimit", {
        lost,
        inFlight,
        stake: total,
        limit: limits.fleetDailyLossLimit,
      });
    }
  }

  /**
   * The pre-send check of an escrow create or a transfer, and its reservation: TRADING_PAUSED when the fleet or the
   * agent is paused, LIMIT_EXCEEDED above the per-call maximum or the fleet's daily total (done today + in flight).
   * A job key already holding its reservation (reserved at submission) is checked again against the pause and the
   * per-call maximum — either may have tightened since — but not counted twice against the day.
   */
  async function reserveSpend(
    repo: FleetRepo,
    kind: SpendKind,
    r: HeldBy,
    ctx: Pick<PauseContext, "jobId"> = {},
  ): Promise<void> {
    assertAmount(r.amount, kind === "escrow" ? "escrow amount" : "transfer amount");
    const rows: Reservation[] = [{ ...r, kind }];
    await repo.reserve(
      [r.agentId],
      utcDayStart(now()),
      rows,
      (snapshot, held) => checkSpend(snapshot, kind, r, held.has(r.jobKey), ctx),
      now(),
    );
  }

  function checkSpend(
    snapshot: RiskSnapshot,
    kind: SpendKind,
    r: HeldBy,
    alreadyHeld: boolean,
    ctx: Pick<PauseContext, "jobId">,
  ): void {
    assertCanTrade(r.agentId, snapshot.agents.get(r.agentId), { action: NOUN[kind], ...ctx });
    const names = SPEND[kind];
    const limits = effectiveLimits(configured, snapshot.overrides);
    const max = agentLimits(limits, r.agentId)[names.max];
    const sent = ctx.jobId ? "nothing was sent" : "nothing was written or sent";
    if (r.amount > max) {
      throw new FleetError(
        "LIMIT_EXCEEDED",
        `${kind} of ${usd(r.amount)} by ${r.agentId} is above the max ${kind} of ${usd(max)}`,
        {
          hint: `the operator's ${names.env} (or a lowered limit) caps one ${kind}; no tool can raise it. Use a smaller amount; ${sent}`,
          details: {
            limit: names.max,
            agent_id: r.agentId,
            requested_usd: microsToUsd(r.amount),
            limit_usd: microsToUsd(max),
          },
        },
      );
    }
    if (alreadyHeld) return;
    const money = moneyOf(snapshot);
    const today = kind === "escrow" ? money.escrowToday : money.transferToday;
    const daily = limits[names.daily];
    const used = today.spent + today.reserved;
    if (used + r.amount > daily) {
      throw new FleetError(
        "LIMIT_EXCEEDED",
        `the fleet has ${kind === "escrow" ? "escrowed" : "transferred"} ${usd(today.spent)} today (UTC) with ${usd(today.reserved)} more in flight; ${usd(r.amount)} more would pass the fleet-wide daily ${kind} limit of ${usd(daily)} (headroom ${usd(Math.max(0, daily - used))})`,
        {
          hint: `the operator's ${names.dailyEnv} (or a lowered limit) caps a UTC day; it resets at 00:00 UTC and no tool can raise it; ${sent}`,
          details: {
            limit: names.daily,
            spent_today_usd: microsToUsd(today.spent),
            in_flight_usd: microsToUsd(today.reserved),
            requested_usd: microsToUsd(r.amount),
            limit_usd: microsToUsd(daily),
          },
        },
      );
    }
  }

  return { reserveStakes, reserveSpend };
}

function moneyOf(snapshot: RiskSnapshot): MoneySnapshot {
  if (!snapshot.money) throw new FleetError("INTERNAL", "a reservation was checked without the money in flight");
  return snapshot.money;
}

function assertAmount(amount: Micros, what: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new FleetError("INVALID_INPUT", `${what} must be a whole number of micro-USD > 0, got \`${amount}\``);
  }
}

function lossExceeded(
  who: string,
  which: string,
  limit: "dailyLossLimit" | "fleetDailyLossLimit",
  f: { lost: Micros; inFlight: Micros; stake: Micros; limit: Micros },
  agentId?: string,
): FleetError {
  const headroom = Math.max(0, f.limit - f.lost - f.inFlight);
  return new FleetError(
    "LIMIT_EXCEEDED",
    `${who} lost ${usd(f.lost)} today (UTC) and has ${usd(f.inFlight)} staked in bets still in flight; staking ${usd(f.stake)} more could pass ${which} of ${usd(f.limit)} (headroom ${usd(headroom)})`,
    {
      hint: "stakes in flight count as lost until their bets settle; wait for running batches, or lower the amount or count (no tool can raise a limit); nothing was written or sent",
      details: {
        limit,
        ...(agentId ? { agent_id: agentId } : {}),
        lost_today_usd: microsToUsd(f.lost),
        in_flight_usd: microsToUsd(f.inFlight),
        requested_usd: microsToUsd(f.stake),
        limit_usd: microsToUsd(f.limit),
        headroom_usd: microsToUsd(headroom),
      },
    },
  );
}

function usd(micros: Micros): string {
  return `$${formatUsd(micros, micros % 10_000 === 0 ? 2 : 6)}`;
}
