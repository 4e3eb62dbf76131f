import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { FleetDeps } from "../deps.js";
import { FleetError, type FleetErrorCode } from "../errors.js";
import { createSessionServer, type SessionServer } from "../mcp/session-server.js";
import { TOOLSET_NAMES } from "../mcp/toolsets.js";

/**
 * The console's buttons. Each one calls the MCP tool of the same name through an in-process MCP client, so
 * validation, risk limits, the kill switch and live-mode confirmation are exactly the tool's own. The bodies
 * are narrower than the tools' inputs: a schedule can only be switched on or off or run, and limits can only
 * be lowered (pause_trading refuses a raise), so no button can raise a limit or change a stake.
 */

const id = z.string().min(1).max(200);
const lowerUsd = z.number().positive().optional();

const ACTIONS = {
  retry_job: { body: z.strictObject({ job_id: id }), dryRun: false },
  cancel_job: { body: z.strictObject({ job_id: id }), dryRun: false },
  run_schedule_now: { body: z.strictObject({ name: id, confirm_token: z.string().max(500).optional() }), dryRun: true },
  set_schedule: {
    body: z.strictObject({ name: id, enabled: z.boolean(), confirm_token: z.string().max(500).optional() }),
    dryRun: true,
  },
  pause_trading: {
    body: z.strictObject({
      reason: z.string().max(200),
      agent_id: id.optional(),
      pause: z.boolean().optional(),
      max_bet_usd: lowerUsd,
      max_batch_usd: lowerUsd,
      daily_loss_limit_usd: lowerUsd,
      fleet_daily_loss_limit_usd: lowerUsd,
    }),
    dryRun: false,
  },
  resume_trading: { body: z.strictObject({ agent_id: id.optional() }), dryRun: false },
  check_balances: { body: z.strictObject({ agent_id: id.optional() }), tool: "wallet_balance", dryRun: false },
} as const;

export type ConsoleActionName = keyof typeof ACTIONS;

export const ACTION_NAMES = Object.keys(ACTIONS) as ConsoleActionName[];

export interface ActionError {
  code: string;
  message: string;
  hint: string | null;
}

export type ActionAnswer =
  | { ok: true; result: unknown }
  /** `confirm`: the tool wants live-money confirmation; sending the action again with its token goes ahead */
  | { ok: false; error: ActionError; confirm?: { plan: unknown; confirm_token: string } };

export interface ConsoleActions {
  run(name: string, body: unknown): Promise<{ status: number; answer: ActionAnswer }>;
  close(): Promise<void>;
}

export function createConsoleActions(deps: FleetDeps): ConsoleActions {
  let connected: Promise<{ client: Client; session: SessionServer }> | undefined;

  /** One MCP session for every button, opened on first use. The operator's console sees every toolset. */
  function connect() {
    connected ??= (async () => {
      // Delegates to `deps` (so fields set after start-up, like the sandbox, are seen) with every toolset on.
      const operatorDeps: FleetDeps = Object.create(deps, {
        config: { value: { ...deps.config, toolsets: TOOLSET_NAMES, readOnly: false }, enumerable: true },
      });
      const session = createSessionServer(operatorDeps);
      const client = new Client({ name: "pf-fleet-console", version: "1.0.0" });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await session.server.connect(serverSide);
      await client.connect(clientSide);
      return { client, session };
    })();
    return connected;
  }

  async function call(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const { client } = await connect();
    return (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
  }

  async function run(name: string, body: unknown): Promise<{ status: number; answer: ActionAnswer }> {
    if (!Object.hasOwn(ACTIONS, name)) {
      return refused(
        new FleetError("NOT_FOUND", `no console action \`${name.slice(0, 60)}\``, {
          hint: `actions: ${ACTION_NAMES.join(", ")}`,
        }),
      );
    }
    const action = ACTIONS[name as ConsoleActionName];
    const parsed = action.body.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return refused(
        new FleetError("INVALID_INPUT", `${name}: ${issue?.path.join(".") || "body"}: ${issue?.message}`, {
          hint: "the console's actions take the fields listed in src/console/API.md",
        }),
      );
    }
    const tool = "tool" in action ? action.tool : name;
    const args = parsed.data as Record<string, unknown>;
    const result = await call(tool, args);
    if (!result.isError) return { status: 200, answer: { ok: true, result: result.structuredContent ?? null } };
    const error = toolError(result);
    if (error.code === "CONFIRMATION_REQUIRED" && action.dryRun && args.confirm_token === undefined) {
      // What the operator is asked to confirm: the tool's own dry run of the same request, and its token.
      const dry = await call(tool, { ...args, dry_run: true });
      const plan = dry.structuredContent as { confirm_token?: string } | undefined;
      if (!dry.isError && typeof plan?.confirm_token === "string") {
        return { status: 409, answer: { ok: false, error, confirm: { plan, confirm_token: plan.confirm_token } } };
      }
    }
    return { status: statusOf(error.code), answer: { ok: false, error } };
  }

  return {
    run,
    async close() {
      if (!connected) return;
      const { client, session } = await connected;
      await client.close();
      session.dispose();
    },
  };
}

function toolError(result: CallToolResult): ActionError {
  const error = (result.structuredContent as { error?: Partial<ActionError> } | undefined)?.error;
  if (error?.code && error.message) return { code: error.code, message: error.message, hint: error.hint ?? null };
  const text = result.content.find((c) => c.type === "text");
  return { code: "INTERNAL", message: text && "text" in text ? text.text : "the tool failed", hint: null };
}

function refused(err: FleetError): { status: number; answer: ActionAnswer } {
  return {
    status: statusOf(err.code),
    answer: { ok: false, error: { code: err.code, message: err.message, hint: err.hint ?? null } },
  };
}

/** HTTP statuses for the tools' error codes; only INTERNAL (a pf-fleet bug) is a 500 */
const STATUS: Record<FleetErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 403,
  FORBIDDEN: 403,
  CONFLICT: 409,
  CONFIRMATION_REQUIRED: 409,
  CONFIRMATION_DECLINED: 409,
  TRADING_PAUSED: 409,
  CANCELLED: 409,
  LIMIT_EXCEEDED: 422,
  KELLY_LIMIT_EXCEEDED: 422,
  INSUFFICIENT_BALANCE: 422,
  UPSTREAM_REJECTED: 422,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 502,
  OUTCOME_UNKNOWN: 502,
  TIMEOUT: 504,
  STORAGE_UNAVAILABLE: 503,
  STORAGE_FULL: 507,
  STORAGE_READ_ONLY: 503,
  STORAGE_IO_ERROR: 503,
  INTERNAL: 500,
};

function statusOf(code: string): number {
  return STATUS[code as FleetErrorCode] ?? 500;
}
