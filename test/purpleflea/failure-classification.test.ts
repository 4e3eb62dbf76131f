import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { createPurpleFleaClient, type PurpleFleaClient } from "../../src/purpleflea/index.js";
import { betBody, json, type ScriptedServer, startScriptedServer, text } from "./scripted-server.js";

const KEY = `sk_live_${"0123456789abcdef".repeat(3)}`;
const BET = { game: "coin-flip", side: "heads", amount: 30_000, clientSeed: "job-1:bet-0" } as const;

let server: ScriptedServer;
let client: PurpleFleaClient;

beforeAll(async () => {
  server = await startScriptedServer();
  client = createPurpleFleaClient({ urls: server.urls, timeoutMs: 2_000 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.received.length = 0;
});

async function failure(p: Promise<unknown>): Promise<FleetError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(FleetError);
  return outcome as FleetError;
}

const placeBet = (opts?: { timeoutMs?: number; signal?: AbortSignal }) => client.casino.bet(KEY, BET, opts);
const readBalance = (opts?: { timeoutMs?: number; signal?: AbortSignal }) => client.casino.balance(KEY, opts);

describe("refusals (4xx) are permanent with stable codes", () => {
  it("maps kelly_limit_exceeded to KELLY_LIMIT_EXCEEDED with the cap in the hint", async () => {
    server.script((_req, res) =>
      json(res, 400, {
        error: "kelly_limit_exceeded",
        message: "Bet $0.03 exceeds Kelly limit of $0.01",
        max_bet: 0.01,
      }),
    );
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code: "KELLY_LIMIT_EXCEEDED", kind: "permanent", status: 400 });
    expect(err.upstreamCode).toBe("kelly_limit_exceeded");
    expect(err.hint).toContain("≤ $0.01");
    expect(err.retryable).toBe(false);
  });

  it.each([
    [400, "insufficient_balance", "INSUFFICIENT_BALANCE"],
    [400, "minimum_bet", "INVALID_INPUT"],
    [401, "unauthorized", "UNAUTHORIZED"],
    [403, "forbidden", "FORBIDDEN"],
    [404, "not_found", "NOT_FOUND"],
    [409, "invalid_status", "CONFLICT"],
    [410, "deprecated", "UPSTREAM_REJECTED"],
  ])("maps %i %s to %s", async (status, upstream, code) => {
    server.script((_req, res) => json(res, status, { error: upstream, message: "no" }));
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code, kind: "permanent", status, upstreamCode: upstream });
  });

  it("maps escrow's 402 insufficient_balance to INSUFFICIENT_BALANCE", async () => {
    server.script((_req, res) => json(res, 402, { error: "insufficient_balance", message: "Balance too low" }));
    const err = await failure(
      client.escrow.create(KEY, { amount: 500_000, description: "work", counterpartyAgentId: "ag_0123456789ab" }),
    );
    expect(err).toMatchObject({ code: "INSUFFICIENT_BALANCE", kind: "permanent", status: 402 });
  });

  it("never puts a key into the message, even when the server echoes it", async () => {
    server.script((_req, res) => json(res, 401, { error: "unauthorized", message: `Invalid key ${KEY}` }));
    const err = await failure(readBalance());
    expect(err.code).toBe("UNAUTHORIZED");
    expect(JSON.stringify(err.toJSON())).not.toContain(KEY);
    expect(err.message).toContain("[redacted]");
  });
});

describe("rate limits", () => {
  it("takes the wait from reset_at", async () => {
    const resetAt = new Date(Date.now() + 20_000).toISOString();
    server.script((_req, res) => json(res, 429, { error: "rate_limit_exceeded", reset_at: resetAt }));
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code: "RATE_LIMITED", kind: "rate_limited", status: 429 });
    expect(err.retryAfterMs).toBeGreaterThan(10_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it("waits one 60 s window when the server gives no reset time", async () => {
    server.script((_req, res) => json(res, 429, { error: "rate_limited" }));
    const err = await failure(readBalance());
    expect(err).toMatchObject({ code: "RATE_LIMITED", kind: "rate_limited", retryAfterMs: 60_000 });
  });

  it("marks the faucet's 24 h IP limit as not worth waiting for", async () => {
    server.script((_req, res) => json(res, 429, { error: "ip_rate_limited", message: "One claim per IP per 24h" }));
    const err = await failure(client.faucet.claim("ag_0123456789ab"));
    expect(err).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 24 * 3_600_000 });
    expect(err.details).toMatchObject({ worthWaiting: false });
    expect(err.hint).toMatch(/not worth waiting/);
  });
});

describe("server failures (5xx)", () => {
  it("leave a money call's outcome unknown", async () => {
    server.script((_req, res) => json(res, 500, { error: "internal_error" }));
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous", status: 500 });
  });

  it("are safe to retry on a read", async () => {
    server.script((_req, res) => json(res, 503, { error: "unavailable" }));
    const err = await failure(readBalance());
    expect(err).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", kind: "retryable", status: 503 });
  });

  it("leave a registration's outcome unknown (an account may exist)", async () => {
    server.script((_req, res) => text(res, 502, "text/html", "<html><body>502 Bad Gateway</body></html>"));
    const err = await failure(client.casino.register());
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous", status: 502 });
    expect(err.message).toContain("502 Bad Gateway");
  });
});

describe("lost answers", () => {
  it("a timeout on a bet is ambiguous; on a read it is retryable", async () => {
    server.script(() => {}); // never answers
    expect(await failure(placeBet({ timeoutMs: 150 }))).toMatchObject({ code: "TIMEOUT", kind: "ambiguous" });
    expect(await failure(readBalance({ timeoutMs: 150 }))).toMatchObject({ code: "TIMEOUT", kind: "retryable" });
  });

  it("a reset before the server read the body is still ambiguous for a bet (cannot be proven)", async () => {
    server.script({ beforeBody: (_req, socket) => socket.destroy() });
    expect(await failure(placeBet())).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });
    expect(await failure(readBalance())).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", kind: "retryable" });
  });

  it("a reset after the server read the body is ambiguous for a bet", async () => {
    server.script((_req, _res, socket) => socket.destroy());
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });
    expect(JSON.parse(server.received[0]!.body)).toMatchObject({ client_seed: "job-1:bet-0" });
  });

  it("a success cut off mid-body is ambiguous for a bet", async () => {
    server.script((_req, res, socket) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      res.write('{"bet_id":"bet_1","amount_bet":');
      setImmediate(() => socket.destroy());
    });
    expect(await failure(placeBet())).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });
  });

  it("a refusal whose body is cut off is still a refusal", async () => {
    server.script((_req, res, socket) => {
      res.writeHead(400, { "content-type": "application/json", "content-length": "500" });
      res.write('{"error":"inva');
      setImmediate(() => socket.destroy());
    });
    expect(await failure(placeBet())).toMatchObject({ code: "INVALID_INPUT", kind: "permanent", status: 400 });
  });

  it("invalid JSON on a 200 is ambiguous for a bet and retryable for a read", async () => {
    server.script((_req, res) => text(res, 200, "application/json", "{not json"));
    expect(await failure(placeBet())).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous", status: 200 });
    expect(await failure(readBalance())).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", kind: "retryable" });
  });

  it("a 200 whose JSON lacks documented fields is ambiguous for a bet", async () => {
    server.script((_req, res) => json(res, 200, { bet_id: "bet_1", won: true }));
    const err = await failure(placeBet());
    expect(err).toMatchObject({ code: "OUTCOME_UNKNOWN", kind: "ambiguous" });
    expect(err.message).toMatch(/amount_bet/);
  });
});

describe("cancellation", () => {
  it("an abort while waiting is CANCELLED: ambiguous for a bet, retryable for a read", async () => {
    server.script(() => {});
    const ac = new AbortController();
    const pending = failure(placeBet({ signal: ac.signal }));
    const pendingRead = failure(readBalance({ signal: ac.signal }));
    await waitFor(() => server.received.length === 2);
    ac.abort();
    expect(await pending).toMatchObject({ code: "CANCELLED", kind: "ambiguous" });
    expect(await pendingRead).toMatchObject({ code: "CANCELLED", kind: "retryable" });
  });

  it("an already-aborted signal sends nothing", async () => {
    const err = await failure(placeBet({ signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ code: "CANCELLED", kind: "retryable" });
    expect(server.received).toHaveLength(0);
  });
});

describe("unreachable services", () => {
  it("connection refused is retryable even for a bet: nothing was sent", async () => {
    const port = await closedPort();
    const urls = { ...server.urls, casino: `http://127.0.0.1:${port}/api/v1` };
    const offline = createPurpleFleaClient({ urls, timeoutMs: 2_000 });
    try {
      const err = await failure(offline.casino.bet(KEY, BET));
      expect(err).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", kind: "retryable" });
      expect(err.message).toContain("ECONNREFUSED");
    } finally {
      await offline.close();
    }
  });

  it("a DNS failure is retryable", async () => {
    const urls = { ...server.urls, casino: "http://pf-fleet-no-such-host.invalid/api/v1" };
    const offline = createPurpleFleaClient({ urls, timeoutMs: 5_000 });
    try {
      const err = await failure(offline.casino.bet(KEY, BET));
      expect(err).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", kind: "retryable" });
    } finally {
      await offline.close();
    }
  });

  it("a closed client refuses calls without sending", async () => {
    const closed = createPurpleFleaClient({ urls: server.urls });
    await closed.close();
    const err = await failure(closed.casino.bet(KEY, BET));
    expect(err.code).toBe("INTERNAL");
    expect(server.received).toHaveLength(0);
  });
});

describe("bad input touches nothing", () => {
  it.each([
    ["a zero stake", { ...BET, amount: 0 }],
    ["a fractional micro stake", { ...BET, amount: 1.5 }],
    ["an empty client seed", { ...BET, clientSeed: "" }],
    ["a bad side", { ...BET, side: "edge" }],
    [
      "a dice threshold out of range",
      { game: "dice", direction: "over", threshold: 100, amount: 10_000, clientSeed: "s" },
    ],
    ["a crash target out of range", { game: "crash", cash_out_at: 1, amount: 10_000, clientSeed: "s" }],
  ])("rejects %s with INVALID_INPUT", async (_label, bet) => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    const err = await failure(client.casino.bet(KEY, bet as any));
    expect(err).toMatchObject({ code: "INVALID_INPUT", kind: "permanent" });
    expect(server.received).toHaveLength(0);
  });

  it("rejects a batch over 20 bets", async () => {
    const bets = Array.from({ length: 21 }, (_, i) => ({ ...BET, clientSeed: `s${i}` }));
    expect(await failure(client.casino.batch(KEY, bets))).toMatchObject({ code: "INVALID_INPUT" });
    expect(server.received).toHaveLength(0);
  });

  it("rejects a faucet claim for something that is not an agent id", async () => {
    expect(await failure(client.faucet.claim("alice"))).toMatchObject({ code: "INVALID_INPUT" });
    expect(server.received).toHaveLength(0);
  });
});

describe("what goes on the wire", () => {
  it("sends the bearer key, USD amounts and the client seed, and no identity headers", async () => {
    server.script((_req, res) =>
      json(res, 200, betBody({ amount: 0.03, multiplier: 1.99, won: false, newBalance: 0.97 })),
    );
    await placeBet();
    const [req] = server.received;
    expect(req).toMatchObject({ method: "POST", url: "/api/v1/games/coin-flip" });
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.headers["x-forwarded-for"]).toBeUndefined();
    expect(req!.headers["x-real-ip"]).toBeUndefined();
    expect(JSON.parse(req!.body)).toEqual({ side: "heads", amount: 0.03, client_seed: "job-1:bet-0" });
  });

  it("sends no Authorization header to the faucet", async () => {
    server.script((_req, res) =>
      json(res, 200, { credited: 1, claim_id: "c-1", agent_id: "ag_0123456789ab", message: "ok" }),
    );
    const claim = await client.faucet.claim("ag_0123456789ab");
    expect(claim).toEqual({ credited: 1_000_000, claimId: "c-1", agentId: "ag_0123456789ab" });
    expect(server.received[0]!.headers.authorization).toBeUndefined();
    expect(JSON.parse(server.received[0]!.body)).toEqual({ agent_casino_id: "ag_0123456789ab" });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

/** A port that was just free: bound, then released, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
