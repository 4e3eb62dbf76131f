import { ErrorCode, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { RESOURCE_NOT_FOUND } from "../../src/mcp/resource-errors.js";
import { type Harness, ok, startHarness } from "./harness.js";

/**
 * Resource errors carry the spec's codes: −32002 "Resource not found" (with the uri in `data`) for a URI that
 * names nothing, −32602 for a malformed one; and a subscription is accepted only for a URI that can be read.
 */

let h: Harness;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 5);
});
afterAll(async () => h?.close());

const notFound = (uri: string) => ({ code: RESOURCE_NOT_FOUND, data: { uri } });

describe("resources/read", () => {
  it("answers −32002 with the uri for a job that does not exist", async () => {
    const uri = "jobs://01900000-0000-7000-8000-000000000000";
    await expect(h.client.readResource({ uri })).rejects.toMatchObject(notFound(uri));
  });

  it("answers −32002 for a URI no resource or template matches", async () => {
    for (const uri of ["nothing://here", "pnl://monthly", "jobs://"]) {
      await expect(h.client.readResource({ uri }), uri).rejects.toMatchObject(notFound(uri));
    }
  });

  it("answers −32602 for a URI that matches a template with a malformed value", async () => {
    for (const uri of ["pnl://daily/yesterday", "pnl://daily/2026-02-30"]) {
      await expect(h.client.readResource({ uri }), uri).rejects.toMatchObject({
        code: ErrorCode.InvalidParams,
        data: { uri },
      });
    }
  });

  it("still reads what exists", async () => {
    const job = await h.fleet.deps.engine.enqueue(
      TASK.betBatch,
      { agentId, bet: { game: "coin-flip", side: "heads" }, amount: 10_000, clientSeeds: ["resource-errors-1"] },
      { dueAt: Date.now() + 3_600_000 },
    );
    const read = await h.client.readResource({ uri: `jobs://${job.id}` });
    expect(JSON.parse(String((read.contents[0] as { text: string }).text)).job.id).toBe(job.id);
    await h.fleet.deps.engine.cancel(job.id, "test cleanup");
  });
});

describe("resources/subscribe", () => {
  it("refuses a job that does not exist and a made-up URI with −32002, a malformed one with −32602", async () => {
    const missing = "jobs://01900000-0000-7000-8000-000000000000";
    await expect(h.client.subscribeResource({ uri: missing })).rejects.toMatchObject(notFound(missing));
    await expect(h.client.subscribeResource({ uri: "made://up" })).rejects.toMatchObject(notFound("made://up"));
    await expect(h.client.subscribeResource({ uri: "pnl://daily/soon" })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
  });

  it("accepts what can be read, and the subscriber hears of it", async () => {
    const updated: string[] = [];
    h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    const job = await h.fleet.deps.engine.enqueue(
      TASK.betBatch,
      { agentId, bet: { game: "coin-flip", side: "heads" }, amount: 10_000, clientSeeds: ["resource-errors-2"] },
      { dueAt: Date.now() + 3_600_000 },
    );
    const uri = `jobs://${job.id}`;
    await h.client.subscribeResource({ uri });
    await h.client.subscribeResource({ uri: "queues://stats" });
    await h.client.subscribeResource({ uri: "pnl://daily/2026-01-05" });
    await h.fleet.deps.engine.cancel(job.id, "test: a state change to hear about");
    await expect.poll(() => updated.includes(uri)).toBe(true);
  });
});
