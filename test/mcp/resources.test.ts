import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { type Harness, ok, startHarness } from "./harness.js";

let h: Harness;
let agentId: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 10);
});
afterAll(async () => h?.close());

async function readJson(uri: string): Promise<Record<string, unknown>> {
  const res = await h.client.readResource({ uri });
  const json = res.contents.find((c) => c.mimeType === "application/json");
  return JSON.parse(String(json && "text" in json ? json.text : "null"));
}

describe("resources", () => {
  it("lists the fixed resources and the templates", async () => {
    const { resources } = await h.client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of ["pnl://summary", "pnl://weekly", "queues://stats", "agents://list"]) expect(uris).toContain(uri);
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining(["pnl://daily/{date}", "jobs://{id}"]),
    );
  });

  it("serves PnL from the ledger after a bet", async () => {
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, {
      agentId,
      bet: { game: "dice", direction: "over", threshold: 50 },
      amount: 20_000,
      clientSeeds: [`res-${Date.now()}`],
    });
    expect((await h.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 })).state).toBe("succeeded");
    const summary = (await readJson("pnl://summary")) as {
      mode: string;
      all_time: { totals: { bets: number; wagered_usd: number } };
    };
    expect(summary.mode).toBe("sandbox");
    expect(summary.all_time.totals).toMatchObject({ bets: 1, wagered_usd: 0.02 });
    const today = new Date().toISOString().slice(0, 10);
    const daily = (await readJson(`pnl://daily/${today}`)) as { date: string; report: { totals: { bets: number } } };
    expect(daily).toMatchObject({ date: today, report: { totals: { bets: 1 } } });
    const weekly = (await readJson("pnl://weekly")) as { report: { totals: { bets: number } } };
    expect(weekly.report.totals.bets).toBe(1);
    const empty = (await readJson("pnl://daily/2020-01-01")) as { report: { totals: { bets: number } } };
    expect(empty.report.totals.bets).toBe(0);
  });

  it("serves a job, the queues and the agents", async () => {
    const job = (await h.fleet.deps.engine.list({ task: TASK.betBatch, limit: 1 })).jobs[0]!;
    const read = (await readJson(`jobs://${job.id}`)) as {
      job: { id: string; state: string; args: unknown; result: unknown };
      events: unknown[];
      bets: unknown[];
    };
    expect(read.job).toMatchObject({ id: job.id, state: "succeeded" });
    // Money in USD, as the tools show it; the call's bets from the ledger, as job_status lists them.
    expect(read.job.args).toMatchObject({ amount_usd: 0.02 });
    expect(read.job.result).toMatchObject({ placed: 1, wagered_usd: 0.02 });
    expect(read.bets).toEqual([expect.objectContaining({ stake_usd: 0.02, source: "response" })]);
    expect(read.events.length).toBeGreaterThan(0);
    const queues = (await readJson("queues://stats")) as { queues: Array<{ queue: string }> };
    expect(queues.queues.map((q) => q.queue)).toContain("casino");
    const agents = (await readJson("agents://list")) as { agents: Array<{ agent_id: string }> };
    expect(agents.agents.map((a) => a.agent_id)).toEqual([agentId]);
    await expect(h.client.readResource({ uri: "jobs://does-not-exist" })).rejects.toThrow(/no job/);
  });

  it("tells a subscriber when a job finishes", async () => {
    const job = await h.fleet.deps.engine.enqueue(
      TASK.betBatch,
      { agentId, bet: { game: "coin-flip", side: "heads" }, amount: 10_000, clientSeeds: [`sub-${Date.now()}`] },
      { dueAt: Date.now() + 500 },
    );
    const uri = `jobs://${job.id}`;
    const finished = new Promise<void>((resolve) => {
      h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
        if (n.params.uri === uri && (await h.fleet.deps.engine.get(job.id))?.state === "succeeded") resolve();
      });
    });
    await h.client.subscribeResource({ uri });
    await finished;
    const read = (await readJson(uri)) as { job: { state: string } };
    expect(read.job.state).toBe("succeeded");
  });
});
