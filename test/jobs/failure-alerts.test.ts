import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFailureHook, type JobFailure } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/log.js";

/** One alert per condition: the same failure met again (a job retried every 5-minute tick) is not re-sent. */

let server: Server;
let url: string;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const HOUR = 3_600_000;
const ipRefusal = (jobId: string, at: number): JobFailure => ({
  jobId,
  task: "faucet.claim",
  queue: "wallet",
  state: "failed",
  critical: true,
  attempts: 1,
  at,
  error: {
    code: "RATE_LIMITED",
    message: "the faucet refused the claim",
    kind: "permanent",
    retryable: false,
    upstream_code: "ip_rate_limited",
    details: { condition: "faucet:ip_rate_limited" },
  },
});
const outcomeUnknown = (jobId: string, at: number): JobFailure => ({
  ...ipRefusal(jobId, at),
  task: "escrow.release",
  queue: "escrow",
  state: "unknown",
  error: { code: "OUTCOME_UNKNOWN", message: "lost answer", kind: "ambiguous", retryable: false },
});

describe("failure alerts", () => {
  it("alerts once per condition, again after the repeat window, and never merges different jobs' money failures", async () => {
    received.length = 0;
    const hook = createFailureHook({ logger: silentLogger, webhookUrl: url });
    const t0 = Date.UTC(2026, 5, 1);
    // the IP refusal met by 12 ticks of 5 minutes, for two different agents' claim jobs
    for (let tick = 0; tick < 12; tick++)
      await hook(ipRefusal(tick % 2 === 0 ? "job-a" : "job-b", t0 + tick * 300_000));
    expect(received.map((r) => r.jobId)).toEqual(["job-a"]);

    // two different escrows whose answers were lost are two conditions; each alerted once
    await hook(outcomeUnknown("job-x", t0));
    await hook(outcomeUnknown("job-y", t0));
    await hook(outcomeUnknown("job-x", t0 + HOUR));
    expect(received.map((r) => r.jobId)).toEqual(["job-a", "job-x", "job-y"]);

    // a day later the refusal still holds: one reminder, with the count of repeats it stood for
    await hook(ipRefusal("job-a", t0 + 25 * HOUR));
    expect(received).toHaveLength(4);
    expect(received[3]).toMatchObject({ jobId: "job-a", repeatsSinceLastAlert: 11 });
  });
});
