/**
 * `--no-worker` (PF_WORKER=false): an MCP front end that enqueues and answers but runs nothing; another process on
 * the same database (here a second server with its worker on) runs what it enqueued.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/index.js";
import { type Harness, startHarness } from "./harness.js";

describe("an MCP front end without a worker", () => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0).reverse()) await h.close();
  });

  it("enqueues but runs nothing; a process with a worker on the same database runs the job", async () => {
    const front = await startHarness({ PF_WORKER: "false" });
    harnesses.push(front);
    const job = await front.fleet.deps.engine.enqueue(TASK.dailyPnl, {});
    await new Promise((r) => setTimeout(r, 500));
    expect((await front.fleet.deps.engine.get(job.id))?.state).toBe("queued");

    const worker = await startHarness({ PF_DB: join(front.dir, "fleet.db") });
    harnesses.push(worker);
    const done = await worker.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 });
    expect(done.state).toBe("succeeded");
  });
});
