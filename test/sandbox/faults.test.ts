import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FaultConfig, RunningSandbox } from "../../src/sandbox/index.js";
import { call, control, parseCsv, registerAgent, startTestSandbox, type TestAgent } from "./helpers.js";

let sb: RunningSandbox;
let agent: TestAgent;
beforeEach(async () => {
  sb = await startTestSandbox();
  agent = await registerAgent(sb, { fund: 9 });
});
afterEach(async () => {
  await sb.close();
});

const flip = (clientSeed: string) =>
  call(sb, "casino", "POST", "/games/coin-flip", {
    key: agent.apiKey,
    body: { side: "heads", amount: 0.5, client_seed: clientSeed },
  });

async function exportedSeeds(): Promise<string[]> {
  const res = await call(sb, "casino", "GET", "/bets/export.csv", { key: agent.apiKey });
  return parseCsv(res.text).map((r) => r.client_seed as string);
}

/** What a client sees for one request: a status, or "socket" when the connection died without an answer. */
async function outcome(request: () => Promise<{ status: number }>): Promise<string> {
  try {
    return String((await request()).status);
  } catch {
    return "socket";
  }
}

describe("fault injection", () => {
  it("reset: the connection dies BEFORE processing, so no money moves", async () => {
    sb.setFaults({ reset: 1, scope: "money" });
    await expect(flip("reset-1")).rejects.toThrow();
    sb.setFaults(null);
    expect(sb.balanceOf(agent.agentId)).toBe(10);
    expect(await exportedSeeds()).toEqual([]);
    expect(sb.stats()).toMatchObject({ betsSettled: 0, faults: { reset: 1 } });
  });

  it("drop: the bet is processed and money moves, but the answer never arrives", async () => {
    sb.setFaults({ drop: 1, scope: "money" });
    await expect(flip("drop-1")).rejects.toThrow();
    sb.setFaults(null);
    expect(sb.balanceOf(agent.agentId)).not.toBe(10);
    expect(await exportedSeeds()).toEqual(["drop-1"]);
    expect(sb.stats()).toMatchObject({ betsSettled: 1, faults: { drop: 1 } });
  });

  it("error: 500 internal_error without processing", async () => {
    sb.setFaults({ error: 1 });
    const res = await flip("error-1");
    expect([res.status, res.body.error]).toEqual([500, "internal_error"]);
    const escrow = await call(sb, "escrow", "POST", "/escrow/create", {
      key: agent.apiKey,
      body: { amount_usd: 1, description: "job", counterparty_agent_id: agent.agentId },
    });
    expect(escrow.status).toBe(500);
    sb.setFaults(null);
    expect(sb.balanceOf(agent.agentId)).toBe(10);
    expect(await exportedSeeds()).toEqual([]);
  });

  it("burst429: each burst is burstLength consecutive 429s with reset_at", async () => {
    sb.setFaults({ burst429: 0.3, burstLength: 4, seed: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await call(sb, "faucet", "GET", "/faucet/stats");
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.error).toBe("rate_limit_exceeded");
        expect(Number.isNaN(Date.parse(res.body.reset_at))).toBe(false);
      }
    }
    const runs = statuses
      .join(",")
      .split(/,?200,?/)
      .filter((run) => run !== "");
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.split(",").length % 4).toBe(0);
    expect(sb.stats().faults.burst429).toBe(statuses.filter((s) => s === 429).length);
  });

  it("replays the same fault sequence from the same seed, and scope money spares reads", async () => {
    const config: FaultConfig = { seed: 7, reset: 0.15, error: 0.15, burst429: 0.1, burstLength: 2, drop: 0.15 };
    const run = async (faults: FaultConfig) => {
      sb.setFaults(faults);
      const seen: string[] = [];
      for (let i = 0; i < 30; i++) seen.push(await outcome(() => call(sb, "faucet", "GET", "/faucet/stats")));
      return seen;
    };
    const first = await run(config);
    expect(new Set(first)).toEqual(new Set(["200", "500", "429", "socket"]));
    expect(await run(config)).toEqual(first);
    expect(await run({ ...config, seed: 8 })).not.toEqual(first);

    sb.setFaults({ error: 1, scope: "money" });
    for (let i = 0; i < 5; i++) expect((await call(sb, "faucet", "GET", "/faucet/stats")).status).toBe(200);
  });

  it("is configured over HTTP too, and bad configs are refused", async () => {
    const set = await control(sb, "POST", "faults", { error: 1, scope: "money" });
    expect(set.body.faults).toEqual({ error: 1, scope: "money" });
    expect((await flip("http-1")).status).toBe(500);
    expect((await control(sb, "GET", "faults")).body.faults).toEqual({ error: 1, scope: "money" });
    expect((await control(sb, "POST", "faults", null)).body.faults).toBeNull();
    expect((await flip("http-2")).status).toBe(200);
    for (const bad of [{ error: 2 }, { error: 0.6, reset: 0.6 }, { scope: "some" }, { explode: 1 }]) {
      const res = await control(sb, "POST", "faults", bad);
      expect([res.status, res.body.error]).toEqual([400, "invalid_request"]);
    }
  });
});
