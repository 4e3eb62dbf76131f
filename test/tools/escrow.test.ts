import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { listMovements } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/** The escrow tools against the embedded sandbox, through the SDK Client. */

interface EscrowOut {
  escrow_id: string;
  status: string;
  creator_id: string;
  counterparty_id: string;
  net_to_counterparty_usd: number;
}
interface ChainOut {
  mode: string;
  outcome: string;
  escrow_id: string | null;
  escrow: EscrowOut | null;
  validation: { policy: string; passed: boolean | null; reason: string | null };
  amount_released_usd: number | null;
  steps: Array<{ task: string; state: string }>;
  next_steps: string[];
}
interface ActionOut {
  mode: string;
  job: { job_id: string; state: string; finished: boolean };
  escrow: EscrowOut;
  next_steps: string[];
}

let h: ToolHarness;
let creator: string;
let worker: string;

beforeAll(async () => {
  h = await startHarness();
  creator = await h.agent(40);
  worker = await h.agent(5);
});
afterAll(async () => {
  await h?.close();
});

const balance = (agentId: string) => usdToMicros(h.fleet.deps.sandbox!.balanceOf(agentId));

/** An escrow made straight through the client, as another pf-fleet session or the creator's own code would. */
async function directEscrow(amount: number): Promise<string> {
  const { client, fleet } = h.fleet.deps;
  const e = await client.escrow.create(await fleet.keyFor(creator), {
    amount: usdToMicros(amount),
    description: "deliver the weekly dataset",
    counterpartyAgentId: worker,
  });
  return e.escrowId;
}

describe("create_escrow_chain", () => {
  it("leaves the escrow funded when validation fails, and says how to complete, release or dispute it", async () => {
    const [creatorBefore, workerBefore] = [balance(creator), balance(worker)];
    const out = ok<ChainOut>(
      await h.call("create_escrow_chain", {
        agent_id: creator,
        counterparty_agent_id: worker,
        amount: 2,
        description: "write the quarterly report",
      }),
    );
    expect(out).toMatchObject({ mode: "sandbox", outcome: "not_released", amount_released_usd: null });
    expect(out.escrow?.status).toBe("funded");
    expect(out.validation).toMatchObject({ policy: "counterparty_completed", passed: false });
    expect(out.validation.reason).toMatch(/not marked it completed/);
    expect(out.steps.map((s) => s.task)).toEqual([TASK.escrowCreate, TASK.escrowValidate, TASK.escrowRelease]);
    expect(out.next_steps.join("\n")).toMatch(/complete_escrow[\s\S]*release_escrow[\s\S]*dispute_escrow/);
    expect(balance(creator)).toBe(creatorBefore - 2_000_000);
    expect(balance(worker)).toBe(workerBefore);
  });

  it("with manual validation never releases", async () => {
    const out = ok<ChainOut>(
      await h.call("create_escrow_chain", {
        agent_id: creator,
        counterparty_agent_id: worker,
        amount: 0.5,
        description: "manual review",
        validation: "manual",
      }),
    );
    expect(out.outcome).toBe("not_released");
    expect(out.validation.reason).toMatch(/manual/);
    expect(out.escrow?.status).toBe("funded");

    // the chain's declined release step must not block the release the model then asks for by hand
    const workerBefore = balance(worker);
    const released = ok<ActionOut>(await h.call("release_escrow", { escrow_id: out.escrow_id }));
    expect(released.escrow.status).toBe("released");
    expect(balance(worker)).toBe(workerBefore + 495_000);
  });

  it("releases once the counterparty completes the work", async () => {
    const workerBefore = balance(worker);
    const known = await createJobIds();
    const chain = h.call("create_escrow_chain", {
      agent_id: creator,
      counterparty_agent_id: worker,
      amount: 1,
      description: "translate the documentation",
      validation_wait_seconds: 30,
      wait_seconds: 40,
    });
    const escrowId = await createdEscrowId(known);
    const done = ok<ActionOut>(await h.call("complete_escrow", { escrow_id: escrowId }));
    expect(done.escrow.status).toBe("completed");

    const out = ok<ChainOut>(await chain);
    expect(out).toMatchObject({ outcome: "released", escrow_id: escrowId, amount_released_usd: 0.99 });
    expect(out.escrow?.status).toBe("released");
    expect(balance(worker)).toBe(workerBefore + 990_000);
    const credits = await listMovements(h.fleet.deps.storage, { agentIds: [worker], kinds: ["escrow_release"] });
    expect(credits.filter((m) => m.reference.startsWith(escrowId)).map((m) => m.amount)).toEqual([990_000]);
  });

  it("reports a create the server refuses as the tool's error; nothing is locked", async () => {
    const before = balance(worker);
    const err = toolError(
      await h.call("create_escrow_chain", {
        agent_id: worker,
        counterparty_agent_id: creator,
        // within the operator's max escrow (PF_MAX_ESCROW_USD, $10 by default), above the worker's ~$6 balance
        amount: 9,
        description: "more than the balance",
      }),
    );
    expect(err.code).toBe("INSUFFICIENT_BALANCE");
    expect(err.hint).toMatch(/job_status/);
    expect(balance(worker)).toBe(before);
  });

  it("refuses an escrow to the creator itself before anything is written", async () => {
    const [requests, rows] = [h.requests(), h.rows()];
    const err = toolError(
      await h.call("create_escrow_chain", {
        agent_id: creator,
        counterparty_agent_id: creator,
        amount: 1,
        description: "pay myself",
      }),
    );
    expect(err.code).toBe("INVALID_INPUT");
    expect(h.requests()).toBe(requests);
    expect(h.rows()).toEqual(rows);
  });
});

describe("complete_escrow, release_escrow, dispute_escrow, get_escrow", () => {
  it("get_escrow reads the escrow and its events without writing or moving anything", async () => {
    const id = await directEscrow(0.4);
    const rows = h.rows();
    const posts = postCount();
    const out = ok<{ escrow: EscrowOut; events: unknown[]; next_steps: string[] }>(
      await h.call("get_escrow", { escrow_id: id }),
    );
    expect(out.escrow).toMatchObject({ escrow_id: id, status: "funded", creator_id: creator, counterparty_id: worker });
    expect(out.events.length).toBeGreaterThan(0);
    expect(h.rows()).toEqual(rows);
    expect(postCount()).toBe(posts);
  });

  it("release_escrow pays the counterparty 99%", async () => {
    const id = await directEscrow(3);
    const workerBefore = balance(worker);
    const out = ok<ActionOut>(await h.call("release_escrow", { escrow_id: id }));
    expect(out.job.state).toBe("succeeded");
    expect(out.escrow.status).toBe("released");
    expect(balance(worker)).toBe(workerBefore + 2_970_000);
  });

  it("refuses to act as the wrong party or from the wrong state, with nothing enqueued", async () => {
    const id = await directEscrow(0.3);
    const rows = h.rows();
    const wrongParty = toolError(await h.call("complete_escrow", { escrow_id: id, agent_id: creator }));
    expect(wrongParty.code).toBe("FORBIDDEN");
    ok(await h.call("dispute_escrow", { escrow_id: id, reason: "the dataset was never delivered" }));
    const rowsAfterDispute = h.rows();
    expect(rowsAfterDispute.jobs).toBe(rows.jobs! + 1);
    const wrongState = toolError(await h.call("release_escrow", { escrow_id: id }));
    expect(wrongState.code).toBe("CONFLICT");
    expect(wrongState.message).toMatch(/disputed/);
    expect(h.rows()).toEqual(rowsAfterDispute);
  });

  it("dispute_escrow freezes the escrow; a short reason is refused before anything is sent", async () => {
    const id = await directEscrow(0.2);
    const requests = h.requests();
    const short = toolError(await h.call("dispute_escrow", { escrow_id: id, reason: "bad" }));
    expect(short.code).toBe("INVALID_INPUT");
    expect(h.requests()).toBe(requests);
    const out = ok<ActionOut>(
      await h.call("dispute_escrow", { escrow_id: id, reason: "work does not match the spec" }),
    );
    expect(out.escrow.status).toBe("disputed");
    expect(out.next_steps.join(" ")).toMatch(/by hand/);
  });
});

describe("settle_escrows", () => {
  it("releases the listed escrows the counterparty completed and skips the others with a reason", async () => {
    const completed = await directEscrow(1);
    const pending = await directEscrow(1);
    ok(await h.call("complete_escrow", { escrow_id: completed }));
    const workerBefore = balance(worker);
    const out = ok<{
      status: string;
      settled: Array<{ escrow_id: string; amount_released_usd: number }>;
      skipped: Array<{ escrow_id: string; status: string; reason: string }>;
      failed: unknown[];
    }>(await h.call("settle_escrows", { escrow_ids: [completed, pending] }));
    expect(out.status).toBe("finished");
    expect(out.settled).toEqual([{ escrow_id: completed, amount_released_usd: 0.99, counterparty_id: worker }]);
    expect(out.skipped).toMatchObject([{ escrow_id: pending, status: "funded" }]);
    expect(out.failed).toEqual([]);
    expect(balance(worker)).toBe(workerBefore + 990_000);
  });
});

/** POST requests the sandbox has seen (money-moving calls are all POSTs). */
function postCount(): number {
  const byRoute = h.fleet.deps.sandbox!.stats().byRoute;
  return Object.entries(byRoute)
    .filter(([route]) => route.startsWith("POST "))
    .reduce((n, [, c]) => n + c, 0);
}

/** The escrow id a new escrow.create job (one not in `known`) created, once it has succeeded. */
async function createdEscrowId(known: Set<string>): Promise<string> {
  const { engine } = h.fleet.deps;
  for (let i = 0; i < 400; i++) {
    const job = (await engine.list({ task: TASK.escrowCreate, limit: 1 })).jobs[0];
    if (job && !known.has(job.id) && job.state === "succeeded") return (job.result as { escrowId: string }).escrowId;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the chain never created its escrow");
}

async function createJobIds(): Promise<Set<string>> {
  return new Set((await h.fleet.deps.engine.list({ task: TASK.escrowCreate, limit: 200 })).jobs.map((j) => j.id));
}
