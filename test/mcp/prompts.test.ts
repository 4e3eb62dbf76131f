import { ErrorCode, type GetPromptResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, utcDateKey } from "../../src/ledger/index.js";
import { SERVER_CAPABILITIES } from "../../src/mcp/server-info.js";
import { DEFAULT_TOOLSETS, TOOLSETS } from "../../src/mcp/toolsets.js";
import { type Harness, ok, startHarness } from "./harness.js";

/** The prompt's text, the one user message every pf-fleet prompt renders. */
function textOf(result: GetPromptResult): string {
  expect(result.messages).toHaveLength(1);
  const content = result.messages[0]?.content;
  if (content?.type !== "text") throw new Error(`expected a text message, got ${JSON.stringify(content)}`);
  return content.text;
}

/** Every pf-fleet tool, whatever the toolsets: a backticked word in a prompt that is one of these is a call. */
const ALL_TOOLS = new Set<string>(Object.values(TOOLSETS).flat());

/** Every `tool` (with `{json}` arguments) the text names, in order; other backticked words are not calls. */
function callsIn(text: string): Array<{ tool: string; args: Record<string, unknown> }> {
  return [...text.matchAll(/`([a-z_]+)`(?: with `(\{.*?\})`(?=[:.\s;]))?/g)]
    .filter((m) => ALL_TOOLS.has(m[1] as string))
    .map((m) => ({ tool: m[1] as string, args: m[2] ? (JSON.parse(m[2]) as Record<string, unknown>) : {} }));
}

describe("prompts with the default toolsets", () => {
  let h: Harness;
  let agentId: string;
  let tools: Set<string>;
  beforeAll(async () => {
    // what a user gets without --toolsets: no escrow, no admin
    h = await startHarness({ PF_TOOLSETS: DEFAULT_TOOLSETS.join(",") });
    agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
    h.fleet.deps.sandbox!.fund(agentId, 5);
    tools = new Set((await h.client.listTools()).tools.map((t) => t.name));
  });
  afterAll(async () => h?.close());

  it("declares prompts and completions, in the early stdio answer too", () => {
    const declared = { prompts: { listChanged: true }, completions: {} };
    expect(h.client.getServerCapabilities()).toMatchObject(declared);
    expect(SERVER_CAPABILITIES).toMatchObject(declared);
  });

  it("lists the prompts whose tools are offered, with their arguments", async () => {
    const { prompts } = await h.client.listPrompts();
    const byName = new Map(prompts.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(["fleet_health", "review_pnl", "run_small_strategy"]);
    expect(byName.get("run_small_strategy")?.arguments).toEqual([
      expect.objectContaining({ name: "game", required: true }),
      expect.objectContaining({ name: "budget_usd", required: true }),
      expect.objectContaining({ name: "agent_id", required: false }),
    ]);
    expect(byName.get("review_pnl")?.arguments?.map((a) => [a.name, a.required])).toEqual([
      ["period", false],
      ["agent_id", false],
    ]);
    for (const p of prompts) expect(p.description?.length).toBeGreaterThan(20);
  });

  it("run_small_strategy: limits, balance, a dry run, the batch, then PnL — with the user's arguments filled in", async () => {
    const text = textOf(
      await h.client.getPrompt({
        name: "run_small_strategy",
        arguments: { game: "coinflip", budget_usd: "1", agent_id: agentId },
      }),
    );
    expect(text).toContain("sandbox mode");
    const calls = callsIn(text);
    expect(calls.map((c) => c.tool)).toEqual([
      "get_risk_limits",
      "wallet_balance",
      "claim_faucet",
      "place_coinflip_batch",
      "place_coinflip_batch",
      "job_status",
      "pnl_report",
    ]);
    expect(calls[1]?.args).toEqual({ agent_id: agentId });
    const batch = { side: "heads", count: 10, amount: 0.1, agent_ids: [agentId] };
    expect(calls[3]?.args).toEqual({ ...batch, dry_run: true });
    expect(calls[4]?.args).toEqual({ ...batch, dry_run: false, wait_seconds: 30 });
    expect(calls[6]?.args).toEqual({ period: "today", agent_ids: [agentId], reconcile: true });

    // the dry run the prompt asks for is a call the tool accepts, and it sends nothing
    const posts = () =>
      Object.entries(h.fleet.deps.sandbox!.stats().byRoute)
        .filter(([route]) => route.startsWith("POST "))
        .reduce((n, [, count]) => n + count, 0);
    const before = posts();
    const dry = ok<{ status: string; count: number; job_id: string | null }>(
      await h.call("place_coinflip_batch", calls[3]!.args),
    );
    expect(dry).toMatchObject({ status: "dry_run", count: 10, job_id: null });
    expect(posts()).toBe(before);
  });

  it("run_small_strategy: a tiny budget becomes whole-cent bets within it", async () => {
    const text = textOf(
      await h.client.getPrompt({ name: "run_small_strategy", arguments: { game: "dice", budget_usd: "0.05" } }),
    );
    const dry = callsIn(text).find((c) => c.tool === "place_dice_batch" && c.args.dry_run === true);
    expect(dry?.args).toEqual({ direction: "over", threshold: 50, count: 5, amount: 0.01, dry_run: true });
    expect(text).toContain("the whole fleet");
  });

  it("review_pnl turns a period word into pnl_report's period and date, and the call is one the tool accepts", async () => {
    const text = textOf(await h.client.getPrompt({ name: "review_pnl", arguments: { period: "yesterday" } }));
    const report = callsIn(text).find((c) => c.tool === "pnl_report");
    const yesterday = utcDateKey(Date.now() - DAY_MS);
    expect(report?.args).toEqual({ period: "day", date: yesterday, reconcile: true });
    const out = ok<{ period: { kind: string; from: string } }>(await h.call("pnl_report", report!.args));
    expect(out.period).toMatchObject({ kind: "day", from: `${yesterday}T00:00:00.000Z` });

    const defaulted = textOf(await h.client.getPrompt({ name: "review_pnl", arguments: {} }));
    expect(callsIn(defaulted).find((c) => c.tool === "pnl_report")?.args).toEqual({ period: "today", reconcile: true });
  });

  it("names only tools this session offers", async () => {
    const rendered = [
      await h.client.getPrompt({ name: "run_small_strategy", arguments: { game: "crash", budget_usd: "2" } }),
      await h.client.getPrompt({ name: "review_pnl", arguments: { period: "last_week", agent_id: agentId } }),
      await h.client.getPrompt({ name: "fleet_health", arguments: { schedule: "wallet-balance-check" } }),
    ].map(textOf);
    for (const text of rendered) {
      for (const { tool } of callsIn(text)) expect(tools, `${tool} in:\n${text}`).toContain(tool);
    }
    // the admin toolset is off by default: the schedules come from their resource instead
    expect(rendered[2]).toContain("schedules://list");
    expect(rendered[2]).toContain("`wallet-balance-check`");
  });

  it("refuses bad arguments with invalid params, naming the argument", async () => {
    await expect(
      h.client.getPrompt({ name: "run_small_strategy", arguments: { game: "roulette", budget_usd: "1" } }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringContaining("game") });
    await expect(
      h.client.getPrompt({ name: "run_small_strategy", arguments: { game: "dice", budget_usd: "100 cents" } }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringContaining("budget_usd") });
    await expect(h.client.getPrompt({ name: "review_pnl", arguments: { period: "fortnight" } })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
  });
});

describe("prompts follow the toolsets", () => {
  it("offers settle_escrows with the escrow toolset, and its plan names the settlement with the user's arguments", async () => {
    const h = await startHarness({ PF_TOOLSETS: "all" });
    try {
      const names = (await h.client.listPrompts()).prompts.map((p) => p.name);
      expect(names).toContain("settle_escrows");
      const text = textOf(
        await h.client.getPrompt({
          name: "settle_escrows",
          arguments: { escrow_ids: "esc_a, esc_b", min_hours_before_timeout: "6" },
        }),
      );
      const calls = callsIn(text);
      expect(calls.map((c) => c.tool)).toEqual([
        "list_agents",
        "settle_escrows",
        "job_status",
        "get_escrow",
        "wallet_balance",
      ]);
      expect(calls[1]?.args).toEqual({ escrow_ids: ["esc_a", "esc_b"], min_hours_before_timeout: 6, wait_seconds: 30 });
      // with the admin toolset the schedules come from the tool
      const health = textOf(await h.client.getPrompt({ name: "fleet_health", arguments: {} }));
      expect(callsIn(health).map((c) => c.tool)).toContain("list_schedules");
    } finally {
      await h.close();
    }
  });

  it("offers no betting prompt in read-only mode", async () => {
    const h = await startHarness({ PF_READ_ONLY: "true", PF_TOOLSETS: "all" });
    try {
      const names = (await h.client.listPrompts()).prompts.map((p) => p.name).sort();
      expect(names).toEqual(["fleet_health", "review_pnl"]);
    } finally {
      await h.close();
    }
  });
});
