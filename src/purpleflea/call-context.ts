import type { ServiceUrls } from "../config.js";

export type ServiceName = keyof ServiceUrls;

/**
 * What re-sending a request whose answer was lost could do; it decides how a failure is classified.
 * - none: reads, and writes whose repetition is harmless (verify, risk-factor config, seed rotation)
 * - money: moves money; a lost answer must be reconciled, never blindly re-sent
 * - account: creates an account; a lost answer may have created one whose key is now unknown
 */
export type SideEffect = "none" | "money" | "account";

export interface CallContext {
  service: ServiceName;
  method: string;
  /** path under the service's base URL, without the query string */
  path: string;
  effect: SideEffect;
}

/** `casino POST /games/coin-flip`, for messages and logs (never holds a key). */
export function describeCall(ctx: CallContext): string {
  return `${ctx.service} ${ctx.method} ${ctx.path}`;
}

/** The `details` every upstream FleetError carries. */
export function callDetails(ctx: CallContext): Record<string, unknown> {
  return { service: ctx.service, method: ctx.method, path: ctx.path };
}

/** What a lost answer means for the caller, per side effect; shared by every ambiguous failure. */
export function ambiguityHint(effect: SideEffect): string {
  return effect === "account"
    ? "an account may have been created and its key lost; check before registering again"
    : "the request may have been processed: reconcile against the server's records before sending it again";
}
