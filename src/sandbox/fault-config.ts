import { FleetError } from "../errors.js";
import type { FaultConfig } from "./types.js";

const RATE_KEYS = ["reset", "error", "burst429", "drop", "partial"] as const;
const MAX_LATENCY_MS = 60_000;
const MAX_BURST_LENGTH = 1000;

/** Spec-string names (the CLI's `--faults k=v,…`) → FaultConfig fields. */
const SPEC_KEYS: Record<string, keyof FaultConfig> = {
  error: "error",
  reset: "reset",
  drop: "drop",
  partial: "partial",
  burst429: "burst429",
  latency: "latencyMs",
  latencyms: "latencyMs",
  burst: "burstLength",
  burstlength: "burstLength",
  burst_length: "burstLength",
  seed: "seed",
  scope: "scope",
  route: "route",
};

/**
 * `"error=0.1,reset=0.05,drop=0.05,partial=0.02,burst429=0.02,latency=20,seed=7,scope=money"` → a validated
 * FaultConfig.
 * Rates are shares of requests (0–1, together at most 1); latency is ms per request.
 */
export function parseFaults(spec: string): FaultConfig {
  const raw: Record<string, unknown> = {};
  for (const part of spec.split(",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    const name = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : trimmed.slice(eq + 1).trim();
    const field = SPEC_KEYS[name];
    if (!field) {
      throw new FleetError(
        "INVALID_INPUT",
        `unknown fault \`${name}\` in \`${spec}\`; expected ${Object.keys(SPEC_KEYS).join(", ")}`,
      );
    }
    if (value === "") throw new FleetError("INVALID_INPUT", `fault \`${name}\` needs a value, e.g. \`${name}=…\``);
    raw[field] = field === "scope" || field === "route" ? value : Number(value);
  }
  return validateFaultConfig(raw);
}

/** Checks a FaultConfig from JSON or code; `null` means "no faults". Throws FleetError INVALID_INPUT. */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new FleetError("INVALID_INPUT", `faults must be an object (or null), got \`${JSON.stringify(input)}\``);
  }
  const known = new Set<string>([...RATE_KEYS, "latencyMs", "burstLength", "seed", "scope", "route"]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      throw new FleetError("INVALID_INPUT", `unknown fault field \`${key}\`; expected ${[...known].join(", ")}`);
    }
  }
  const src = input as Record<string, unknown>;
  const out: FaultConfig = {};
  let total = 0;
  for (const key of RATE_KEYS) {
    const value = src[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new FleetError("INVALID_INPUT", `fault rate \`${key}\` must be a number from 0 to 1, got \`${value}\``);
    }
    out[key] = value;
    total += value;
  }
  if (total > 1 + 1e-9) {
    throw new FleetError("INVALID_INPUT", `fault rates must add up to at most 1, got ${total}`);
  }
  if (src.latencyMs !== undefined) out.latencyMs = integerIn("latencyMs", src.latencyMs, 0, MAX_LATENCY_MS);
  if (src.burstLength !== undefined) out.burstLength = integerIn("burstLength", src.burstLength, 1, MAX_BURST_LENGTH);
  if (src.seed !== undefined) out.seed = integerIn("seed", src.seed, 0, 0xffff_ffff);
  if (src.scope !== undefined) {
    if (src.scope !== "all" && src.scope !== "money") {
      throw new FleetError("INVALID_INPUT", `fault scope must be \`all\` or \`money\`, got \`${String(src.scope)}\``);
    }
    out.scope = src.scope;
  }
  if (src.route !== undefined) {
    if (typeof src.route !== "string" || !/^(GET|POST|PUT|DELETE) \/\S*$/.test(src.route)) {
      throw new FleetError(
        "INVALID_INPUT",
        `fault route must look like \`GET /escrow/:id\` (a method and a path prefix), got \`${String(src.route)}\``,
      );
    }
    out.route = src.route;
  }
  return out;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new FleetError("INVALID_INPUT", `${name} must be an integer from ${min} to ${max}, got \`${value}\``);
  }
  return value;
}
