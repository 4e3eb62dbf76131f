import { type BetLimits, DEFAULT_SPEND_LIMITS, type RiskLimits, type SpendLimits } from "../config.js";
import { FleetError } from "../errors.js";
import { formatUsd, type Micros, microsToUsd } from "../money.js";
import type { FleetRepo, LimitOverride } from "../storage/fleet.js";
import type { EffectiveLimits } from "./types.js";

/**
 * The operator's limits (configuration) with persisted tightening on top. The effective value is always
 * min(config, override), so an override can never loosen a limit — even one written before the operator
 * lowered the configuration.
 */

export const LIMIT_NAMES = [
  "maxBet",
  "maxBatch",
  "dailyLossLimit",
  "fleetDailyLossLimit",
  "maxEscrow",
  "dailyEscrow",
  "maxTransfer",
  "dailyTransfer",
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
/** `fleetDailyLossLimit` and the daily escrow and transfer totals are about the whole fleet: no per-agent form. */
const PER_AGENT_NAMES: readonly LimitName[] = ["maxBet", "maxBatch", "dailyLossLimit", "maxEscrow", "maxTransfer"];

/**
 * The operator's limits as configured. Callers that predate the escrow and transfer limits (tests, benches) may give
 * the bet limits only: the spend limits then take their conservative defaults, never "unlimited".
 */
export type ConfiguredLimits = BetLimits & Partial<SpendLimits>;

export function withSpendDefaults(configured: ConfiguredLimits): RiskLimits {
  const out: RiskLimits = { ...DEFAULT_SPEND_LIMITS, ...configured };
  for (const name of LIMIT_NAMES) {
    if (!Number.isSafeInteger(out[name]) || out[name] < 0) {
      throw new FleetError("INVALID_INPUT", `limit ${name} must be whole micro-USD ≥ 0, got \`${String(out[name])}\``);
    }
  }
  return out;
}

/** The configured limits with the stored overrides on top (the fleet's, and each agent's tightening). */
export function effectiveLimits(configured: RiskLimits, overrides: readonly LimitOverride[]): EffectiveLimits {
  const fleet: RiskLimits = { ...configured };
  const perAgent: Record<string, Partial<RiskLimits>> = {};
  for (const row of overrides) {
    if (row.agentId === null) {
      fleet[row.name] = Math.min(fleet[row.name], row.value);
    } else {
      const agent = perAgent[row.agentId] ?? {};
      agent[row.name] = row.value;
      perAgent[row.agentId] = agent;
    }
  }
  return { ...fleet, perAgent };
}

export function createLimits(repo: FleetRepo, configured: RiskLimits, now: () => number) {
  async function limits(): Promise<EffectiveLimits> {
    return effectiveLimits(configured, await repo.limitOverrides());
  }

  async function limitsFor(agentId: string): Promise<RiskLimits> {
    return agentLimits(await limits(), agentId);
  }

  /**
   * Validates every change first, then writes them all in one repository call: a refused change writes nothing.
   * The write itself never raises a stored value (`lowerLimits`), so a concurrent lowering cannot be undone.
   */
  async function tighten(change: Partial<RiskLimits>, agentId?: string): Promise<EffectiveLimits> {
    const current = agentId === undefined ? await limits() : await limitsFor(agentId);
    const writes: Array<{ name: LimitName; value: Micros }> = [];
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
            details: { limit, requested_usd: microsToUsd(value), current_usd: microsToUsd(current[limit]) },
          },
        );
      }
      writes.push({ name: limit, value });
    }
    if (writes.length > 0) await repo.lowerLimits(agentId ?? null, writes, now());
    return limits();
  }

  return { limits, limitsFor, tighten, configured: (): RiskLimits => ({ ...configured }) };
}

/** One agent's effective limits, out of the fleet's (so several agents can be checked against one read). */
export function agentLimits(all: EffectiveLimits, agentId: string): RiskLimits {
  const own = all.perAgent[agentId] ?? {};
  const out = {} as RiskLimits;
  for (const name of LIMIT_NAMES) out[name] = all[name];
  for (const name of PER_AGENT_NAMES) {
    const v = own[name];
    if (v !== undefined) out[name] = Math.min(out[name], v);
  }
  return out;
}
