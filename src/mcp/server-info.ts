/**
 * What pf-fleet says about itself in `initialize`: identity, capabilities and instructions. A light module on
 * purpose: the stdio entry point answers `initialize` from it before the rest of pf-fleet has loaded (see
 * transports/early-initialize.ts), and every session server is built from the same constants.
 */
import type { InitializeResult } from "@modelcontextprotocol/sdk/types.js";
import { packageVersion } from "./version.js";

/** Said once here rather than in every tool's description: the tool list is paid for in every conversation. */
export const SERVER_INSTRUCTIONS = [
  "pf-fleet runs Purple Flea casino, escrow, faucet and domain operations for a fleet of agents as durable background jobs.",
  "Amounts are USD (1.5 = one dollar fifty), never cents; result fields ending in _usd are USD. Every money tool's result states its mode: sandbox (play money) or live.",
  "Long work returns within wait_seconds (max 50) with a job id; follow it with job_status or subscribe to jobs://{id}.",
  "A failed call is a result with isError: true and structuredContent.error {code, message, hint, retryable}: a stable code (INVALID_INPUT, NOT_FOUND, CONFLICT, LIMIT_EXCEEDED, TRADING_PAUSED, KELLY_LIMIT_EXCEEDED, RATE_LIMITED, …) and a hint on what to do; bad input changes nothing. While a condition holds (the primary agent not yet imported, say) every result lists it in `notices`.",
  "In live mode a money move whose worst case is above the operator's PF_CONFIRM_ABOVE_USD asks the user first (elicitation); a client that cannot ask must pass the confirm_token of a dry run of the same plan.",
  "Risk limits come from the operator: get_risk_limits shows them; tools can lower them or pause trading, never raise them.",
  "Start with list_agents; register_agent creates a casino identity; claim_faucet gives a new agent $1 once.",
  "Bet batches (place_crash_batch, place_coinflip_batch, place_dice_batch): each bet settles instantly on the server; a batch runs as a chord of casino.bet_batch jobs (one bets/batch call of ≤ 20 bets each) whose callback aggregates the results.",
  "Before anything is sent a batch is checked against the operator's limits (max bet, max batch stake, daily loss per agent and fleet-wide, counting every stake as lost: LIMIT_EXCEEDED), the kill switch (TRADING_PAUSED), then each agent's server Kelly cap round2(balance × risk_factor × win probability) (KELLY_LIMIT_EXCEEDED, the cap in the hint); a refused batch sends no bet.",
  "The operator watches and steers the fleet in a browser console (jobs, batches, money, health, schedules): `npx pf-fleet dashboard` serves it at http://127.0.0.1:8788/ on the same database (or `/` of `pf-fleet serve --http`); tell the user when they ask to see the fleet.",
  "A dry run reads each agent's server balance and risk factor as a real run would (GET /auth/balance; if a read fails, the local ledger balance at the default risk factor 0.25, and it says so) and shows stakes per agent, Kelly caps, expected value, the real vs priced house edge and warnings; use it first when unsure.",
].join(" ");

export const SERVER_CAPABILITIES: InitializeResult["capabilities"] = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  // what the SDK declares itself once prompts/ registers a prompt and a completer (fleet_health always is)
  prompts: { listChanged: true },
  completions: {},
  // tasks/* are answered from the job table (tasks.ts)
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
};

export function serverIdentity(): InitializeResult["serverInfo"] {
  return { name: "pf-fleet", title: "Purple Flea fleet", version: packageVersion() };
}

/** The `initialize` answer minus the negotiated protocol version. */
export function initializeAnswer(): Pick<InitializeResult, "capabilities" | "serverInfo" | "instructions"> {
  return { capabilities: SERVER_CAPABILITIES, serverInfo: serverIdentity(), instructions: SERVER_INSTRUCTIONS };
}
