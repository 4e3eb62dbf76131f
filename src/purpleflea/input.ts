import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";

/**
 * Checks on arguments before anything is sent: bad input gets a precise error and touches nothing. The
 * server checks again; these only catch what can never succeed.
 */

export function requireStake(name: string, value: Micros): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new FleetError("INVALID_INPUT", `${name} must be a positive integer of micro-USD, got \`${value}\``);
  }
}

export function requireText(name: string, value: unknown, maxLength = 1_000): asserts value is string {
  if (typeof value !== "string" || value.trim() === "" || value.length > maxLength) {
    throw new FleetError(
      "INVALID_INPUT",
      `${name} must be a non-empty string of at most ${maxLength} characters, got \`${String(value).slice(0, 80)}\``,
    );
  }
}

/** Casino agent ids are `ag_` + hex; the faucet and escrow reject anything else. */
export function requireAgentId(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || !/^ag_[0-9A-Za-z]+$/.test(value)) {
    throw new FleetError(
      "INVALID_INPUT",
      `${name} must be a casino agent id like \`ag_1a2b3c4d5e6f\`, got \`${value}\``,
    );
  }
}

export function requireRange(name: string, value: unknown, min: number, max: number, unit = ""): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new FleetError("INVALID_INPUT", `${name} must be a number ${min}–${max}${unit}, got \`${value}\``);
  }
}

export function requireOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): void {
  if (!allowed.includes(value as T)) {
    throw new FleetError("INVALID_INPUT", `${name} must be one of ${allowed.join(", ")}, got \`${value}\``);
  }
}

/** An id placed in a URL path: encoded so it can never change the route. */
export function pathSegment(name: string, value: unknown): string {
  requireText(name, value, 200);
  return encodeURIComponent(value);
}
