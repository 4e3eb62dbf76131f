import type { RiskLimits } from "../config.js";
import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { formatUsd, type Micros } from "../money.js";
import type { EffectiveLimits } from "./types.js";

/**
 * The operator's limits (configuration) with persisted tightening on top. The effective value is always
 * min(config, override), so an override can never loosen a limit — even one written before the operator
 * lowered the configuration.
 */

export const LIMIT_NAMES = ["maxBet", "maxBatch", "dailyLossLimit", "fleetDailyLossLimit"] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
/** `fleetDailyLossLimit` is about the whole fleet, so it has no per-agent form. */
const PER_AGENT_NAMES: readonly LimitName[] = ["maxBet", "maxBatch", "dailyLossLimit"];
const FLEET_SCOPE = "*";

interface OverrideRow {
  scope: string;
  name: LimitName;
  value: number;
}

export function createLimits(db: Db, configured: RiskLimits, now: () => number) {
  const selectAll = db.prepare("SELECT scope, name, value FROM fleet_limit_overrides");
  const upsert = db.prepare(
    `INSERT INTO fleet_limit_overrides (scope, name, value, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );

  function limits(): EffectiveLimits {
    const fleet: RiskLimits = { ...configured };
    const perAgent: Record<string, Partial<RiskLimits>> = {};
    for (const row of selectAll.all() as OverrideRow[]) {
      if (row.scope === FLEET_SCOPE) {
        fleet[row.name] = Math.min(fleet[row.name], row.value);
      } else {
        const agent = perAgent[row.scope] ?? {};
        agent[row.name] = row.value;
        perAgent[row.scope] = agent;
      }
    }
    return { ...fleet, perAgent };
  }

  function limitsFor(agentId: string): RiskLimits {
    return agentLimits(limits(), agentId);
  }

  /** Validates every change first, then writes them all in one transaction: a refused change writes nothing. */
  function tighten(change: Partial<RiskLimits>, agentId?: string): EffectiveLimits {
    const current = agentId === undefined ? limits() : limitsFor(agentId);
    const writes: Array<[LimitName, Micros]> = [];
    for (const [name, value] of Object.entries(change) as Array<[string, unknown]>) {
      if (value === undefined) continue;
      if (!(LIMIT_NAMES as readonly string[]).includes(name)) {
        throw new FleetError("INVALID_INPUT", `unknown limit \`${name}\`; expected one of ${LIMIT_NAMES.join(", ")}`);
      }
      const limit = name as LimitName;
      if (agentId !== undefined && !PER_AGENT_NAMES.includes(limit)) {
        throw new FleetError("INVALID_INPUT", `${limit} is fleet-wide; it cannot be set for one agent`, {
          hint: "omit the agent to tighten the fleet-wide loss limit",
        });
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
        throw new FleetError(
          "INVALID_INPUT",
          `${limit} must be a whole number of micro-USD ≥ 0, got \`${String(value)}\``,
        );
      }
      if (value > current[limit]) {
        throw new FleetError(
          "LIMIT_EXCEEDED",
          `${limit} can only be lowered: ${formatUsd(value)} USD is above the current ${formatUsd(current[limit])} USD${agentId ? ` for ${agentId}` : ""}`,
          {
            hint: "limits come from the operator's configuration (PF_* settings); a tool can lower them, never raise them",
            details: { limit, requested_usd: value / 1e6, current_usd: current[limit] / 1e6 },
          },
        );
      }
      writes.push([limit, value]);
    }
    const at = now();
    db.transaction(() => {
      for (const [name, value] of writes) upsert.run(agentId ?? FLEET_SCOPE, name, value, at);
    })();
    return limits();
  }

  return { limits, limitsFor, tighten, configured: (): RiskLimits => ({ ...configured }) };
}

/** One agent's effective limits, out of the fleet's (so several agents can be checked against one read). */
export function agentLimits(all: EffectiveLimits, agentId: string): RiskLimits {
  const own = all.perAgent[agentId] ?? {};
  const out: RiskLimits = {
    maxBet: all.maxBet,
    maxBatch: all.maxBatch,
    dailyLossLimit: all.dailyLossLimit,
    fleetDailyLossLimit: all.fleetDailyLossLimit,
  };
  for (const name of PER_AGENT_NAMES) {
    const v = own[name];
    if (v !== undefined) out[name] = Math.min(out[name], v);
  }
  return out;
}
