import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { utcDateKey } from "../../src/ledger/index.js";
import { resourceLinksFor } from "../../src/mcp/resource-links.js";
import { type Harness, ok, startHarness } from "./harness.js";

const uris = (tool: string, structured: unknown, now?: number) =>
  resourceLinksFor(tool, structured, now).map((l) => l.uri);

/** Wednesday 2026-03-04, in the ISO week that starts on Monday 2026-03-02. */
const WEDNESDAY = Date.UTC(2026, 2, 4, 15);

describe("resourceLinksFor", () => {
  it("links the job a result started, not the bet members its summary quotes", () => {
    const batch = { status: "finished", job_id: "chord-1", summary: { best: { job_id: "member-7" } } };
    expect(uris("place_coinflip_batch", batch)).toEqual(["jobs://chord-1"]);
  });

  it("links nothing for a dry run, an error result or a result without jobs", () => {
    expect(resourceLinksFor("place_dice_batch", { status: "dry_run", job_id: null })).toEqual([]);
    expect(resourceLinksFor("claim_faucet", { error: { code: "LIMIT_EXCEEDED", message: "no" } })).toEqual([]);
    expect(resourceLinksFor("list_agents", { agents: [] })).toEqual([]);
    expect(resourceLinksFor("list_agents", null)).toEqual([]);
  });

  it("links a settlement and its release chord, a chain and its steps (each once), a status and per-agent jobs", () => {
    expect(uris("settle_escrows", { job: { job_id: "settle-1" }, releases_job_id: "releases-1" })).toEqual([
      "jobs://settle-1",
      "jobs://releases-1",
    ]);
    const chain = {
      job: { job_id: "chain-1" },
      steps: [
        { job_id: "step-1", task: "escrow.create" },
        { job_id: "step-2", task: "escrow.validate" },
        { job_id: "chain-1", task: "oops: the chain again" },
      ],
    };
    expect(uris("create_escrow_chain", chain)).toEqual(["jobs://chain-1", "jobs://step-1", "jobs://step-2"]);
    expect(uris("job_status", { job: { id: "any-1", state: "running" } })).toEqual(["jobs://any-1"]);
    expect(uris("verify_bets", { job: { job_id: "g" }, agents: [{ agent_id: "ag_1", job_id: "v1" }] })).toEqual([
      "jobs://g",
      "jobs://v1",
    ]);
  });

  it("links a PnL report's day, this week, and the trading days it lists, newest first and at most 7", () => {
    expect(uris("pnl_report", { period: { kind: "today", from: "2026-03-04T00:00:00.000Z" }, days: [] })).toEqual([
      "pnl://daily/2026-03-04",
    ]);
    const thisWeek = {
      period: { kind: "week", from: "2026-03-02T00:00:00.000Z", to: "2026-03-09T00:00:00.000Z" },
      days: [{ date: "2026-03-02" }, { date: "2026-03-04" }],
    };
    expect(uris("pnl_report", thisWeek, WEDNESDAY)).toEqual([
      "pnl://weekly",
      "pnl://daily/2026-03-04",
      "pnl://daily/2026-03-02",
    ]);
    // pnl://weekly is the current week only
    const lastWeek = { ...thisWeek, period: { kind: "week", from: "2026-02-23T00:00:00.000Z" }, days: [] };
    expect(uris("pnl_report", lastWeek, WEDNESDAY)).toEqual([]);
    const tenDays = Array.from({ length: 10 }, (_, i) => ({ date: `2026-02-${String(10 + i).padStart(2, "0")}` }));
    expect(uris("pnl_report", { period: { kind: "all", from: null }, days: tenDays })).toEqual(
      tenDays
        .map((d) => `pnl://daily/${d.date}`)
        .reverse()
        .slice(0, 7),
    );
    // another tool's `days` are not PnL days
    expect(uris("transaction_history", { days: tenDays })).toEqual([]);
  });

  it("builds content a client accepts in a tool result", () => {
    const links = resourceLinksFor("settle_escrows", { job: { job_id: "s" }, releases_job_id: "r" });
    for (const l of links) {
      expect(l).toMatchObject({ type: "resource_link", mimeType: "application/json" });
      expect(l.name.length).toBeGreaterThan(0);
      expect(l.description?.length).toBeGreaterThan(0);
    }
    const result = { content: [{ type: "text", text: "done" }, ...links], structuredContent: {} };
    expect(CallToolResultSchema.safeParse(result).success).toBe(true);
  });
});

describe("links from real results resolve", () => {
  let h: Harness;
  let agentId: string;
  beforeAll(async () => {
    h = await startHarness();
    agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
    h.fleet.deps.sandbox!.fund(agentId, 5);
  });
  afterAll(async () => h?.close());

  it("tool results carry a batch's jobs:// link and a PnL report's pnl:// link, and both can be read", async () => {
    const batchResult = await h.call("place_coinflip_batch", {
      side: "heads",
      count: 2,
      amount: 0.01,
      agent_ids: [agentId],
    });
    const reportResult = await h.call("pnl_report", { period: "today" });
    const batch = ok(batchResult);
    ok(reportResult);
    const links = [...batchResult.content, ...reportResult.content].filter((c) => c.type === "resource_link");
    expect(links.map((l) => l.uri)).toEqual([`jobs://${batch.job_id}`, `pnl://daily/${utcDateKey(Date.now())}`]);
    for (const l of links) {
      const read = await h.client.readResource({ uri: l.uri });
      expect(read.contents[0]?.mimeType).toBe(l.mimeType);
    }
  });
});
