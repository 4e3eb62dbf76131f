/**
 * `GET /api/money`: per agent the local ledger next to the last server balance pf-fleet read (never a fresh call
 * to the server), today's PnL and loss-limit headroom exactly as get_risk_limits computes them, the open escrows,
 * and cumulative bet PnL per agent and for the fleet.
 */
import type { FleetDeps } from "../../deps.js";
import { latestBalanceSnapshots, localBalance, reconciliationReport } from "../../ledger/index.js";
import type { BalanceSnapshot, DailyPnl } from "../../ledger/types.js";
import { lossesToday, lossHeadroom } from "../../mcp/risk-view.js";
import { formatUsd, type Micros, microsToUsd } from "../../money.js";
import { type EscrowItem, openEscrows } from "./escrows.js";
import { iso } from "./views.js";

export interface LossView {
  today_pnl_usd: number;
  daily_loss_limit_usd: number;
  loss_headroom_usd: number;
  /** share of the limit used by today's loss and the stakes in flight, 0..1 */
  loss_used_fraction: number;
}

export interface AgentMoney extends LossView {
  agent_id: string;
  label: string | null;
  paused: boolean;
  local_ledger_usd: number;
  server_balance_usd: number | null;
  server_balance_at: string | null;
  /** server − ledger at the last balance check (both read at that moment) */
  difference_usd: number | null;
  explanation: string | null;
}

export interface PnlSeries {
  /** YYYY-MM-DD, oldest first: the last SERIES_DAYS days that had a bet */
  days: string[];
  /** cumulative bet PnL (USD) at each day's end, since the first bet */
  fleet: number[];
  agents: Record<string, number[]>;
}

export interface Money {
  agents: AgentMoney[];
  fleet: LossView;
  escrows: EscrowItem[];
  pnl_series: PnlSeries;
}

const SERIES_DAYS = 30;

export async function consoleMoney(deps: Pick<FleetDeps, "storage" | "fleet">): Promise<Money> {
  const now = Date.now();
  const [agents, pause, effective, losses, today, snapshots, escrows] = await Promise.all([
    deps.fleet.listAgents(),
    deps.fleet.pauseState(),
    deps.fleet.limits(),
    lossesToday(deps, now),
    deps.fleet.moneyToday(),
    latestBalanceSnapshots(deps.storage),
    openEscrows(deps, now),
  ]);
  const snapshotOf = new Map(snapshots.map((s) => [s.agentId, s]));
  const lines = await Promise.all(
    agents.map(async (a): Promise<AgentMoney> => {
      const [limits, local] = await Promise.all([
        deps.fleet.limitsFor(a.agentId),
        localBalance(deps.storage, a.agentId),
      ]);
      const snapshot = snapshotOf.get(a.agentId);
      return {
        agent_id: a.agentId,
        label: a.label,
        paused: a.paused || pause.pausedAgents.includes(a.agentId),
        local_ledger_usd: microsToUsd(local),
        server_balance_usd: snapshot ? microsToUsd(snapshot.server) : null,
        server_balance_at: iso(snapshot?.at),
        difference_usd: snapshot ? microsToUsd(snapshot.difference) : null,
        explanation: await explain(deps, snapshot, local),
        ...lossView(
          losses.pnl.byAgent.get(a.agentId) ?? 0,
          limits.dailyLossLimit,
          losses.byAgent.get(a.agentId) ?? 0,
          today.reservedStake.byAgent.get(a.agentId) ?? 0,
        ),
      };
    }),
  );
  const series = await pnlSeries(
    deps,
    agents.map((a) => a.agentId),
  );
  await deps.storage.settled();
  return {
    agents: lines,
    fleet: lossView(losses.pnl.fleet, effective.fleetDailyLossLimit, losses.fleet, today.reservedStake.fleet),
    escrows,
    pnl_series: series,
  };
}

function lossView(pnl: Micros, limit: Micros, lost: Micros, inFlight: Micros): LossView {
  const headroom = lossHeadroom(limit, lost, inFlight);
  return {
    today_pnl_usd: microsToUsd(pnl),
    daily_loss_limit_usd: microsToUsd(limit),
    loss_headroom_usd: microsToUsd(headroom),
    loss_used_fraction: limit > 0 ? Math.min(1, (limit - headroom) / limit) : 1,
  };
}

/** Why the server's balance and the ledger differ (or null when they agreed and nothing has moved since). */
async function explain(
  deps: Pick<FleetDeps, "storage">,
  snapshot: BalanceSnapshot | undefined,
  localNow: Micros,
): Promise<string | null> {
  if (!snapshot) return "no server balance read yet: check_balances (wallet_balance) or the wallet monitor reads it";
  const at = readableTime(snapshot.at);
  const moved = localNow - snapshot.local;
  const since =
    moved === 0 ? "" : ` The ledger has moved by ${usdText(moved)} since (bets and movements after the check).`;
  if (snapshot.difference === 0) return since ? `The server agreed with the ledger at ${at}.${since}` : null;
  const [line] = await reconciliationReport(deps.storage, new Map([[snapshot.agentId, snapshot.server]]));
  const unattributed = line?.unattributed ?? 0;
  const known =
    unattributed === 0
      ? ""
      : ` ${usdText(unattributed)} of earlier differences are already in the ledger as unattributed movements.`;
  return (
    `At ${at} the server's balance differed from the ledger by ${usdText(snapshot.difference)}: server ledger ` +
    `rows pf-fleet had not imported yet (the ledger refresh imports them), or money moved outside pf-fleet.` +
    known +
    since
  );
}

/** a sentence's amount: cents, or micro-dollars when there are any (`-$0.01`, `$0.000250`) */
function usdText(micros: Micros): string {
  const decimals = micros % 10_000 === 0 ? 2 : 6;
  return `${micros < 0 ? "-" : ""}$${formatUsd(Math.abs(micros), decimals)}`;
}

/** `2026-12-06 17:34:10 UTC`: a sentence's time, to the second */
function readableTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** cumulative bet PnL at each day's end, per agent and for the fleet, over the last SERIES_DAYS days with bets */
async function pnlSeries(deps: Pick<FleetDeps, "storage">, agentIds: readonly string[]): Promise<PnlSeries> {
  const fleetDays = await deps.storage.ledger.dailyBetPnl({});
  const shown = fleetDays.slice(-SERIES_DAYS).map((d) => d.date);
  const agents: Record<string, number[]> = {};
  for (const id of agentIds) {
    const days = await deps.storage.ledger.dailyBetPnl({ agentIds: [id] });
    if (days.length) agents[id] = cumulativeAt(days, shown);
  }
  return { days: shown, fleet: cumulativeAt(fleetDays, shown), agents };
}

/** the running total of `days` (in date order) at the end of each of `dates` */
function cumulativeAt(days: readonly DailyPnl[], dates: readonly string[]): number[] {
  let total = 0;
  let i = 0;
  return dates.map((date) => {
    while (i < days.length && (days[i] as DailyPnl).date <= date) total += (days[i++] as DailyPnl).pnl;
    return microsToUsd(total);
  });
}
