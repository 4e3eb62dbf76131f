/**
 * Confirmation before live money moves: pf-fleet in live mode against a "staging" sandbox reached only through
 * the PF_*_URL settings, driven by the SDK's own Client — one that declares elicitation and answers the question,
 * and one that does not (it needs a dry run's confirm_token). What the user would notice: whether the bets or
 * payments reached the server (the sandbox's own request counts) and whether pf-fleet wrote anything.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { type MoneyPlan, mintConfirmToken, tokenProblem } from "../../src/mcp/confirm.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { startHttpServer } from "../../src/transports/http.js";

let dir: string;
let staging: RunningSandbox;
let fleet: FleetServer;
let primary: string;
let second: string;
/** declares elicitation; answers with `answer` and records each question */
let asking: Client;
/** declares no elicitation */
let plain: Client;
let answer: ElicitResult = { action: "accept", content: { confirm: true } };
const questions: string[] = [];

async function connect(server: McpServer, elicitation: boolean): Promise<Client> {
  const client = new Client(
    { name: "pf-fleet-confirm-test", version: "1.0.0" },
    { capabilities: elicitation ? { elicitation: {} } : {} },
  );
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      questions.push(req.params.message);
      return answer;
    });
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;

function ok<T = Record<string, unknown>>(r: CallToolResult): T {
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}
function refused(r: CallToolResult): { code: string; message: string; hint: string } {
  if (!r.isError) throw new Error(`expected a refusal, got ${JSON.stringify(r.structuredContent)}`);
  return (r.structuredContent as { error: { code: string; message: string; hint: string } }).error;
}

/** what the staging server has seen that moves money (every POST but registration) */
function moneyRequests(): number {
  return Object.entries(staging.stats().byRoute)
    .filter(([route]) => route.startsWith("POST ") && !route.includes("/auth/register"))
    .reduce((n, [, c]) => n + c, 0);
}
const jobRows = () => sqliteDbForTests(fleet.deps.storage).prepare("SELECT COUNT(*) FROM jobs").pluck().get() as number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-confirm-"));
  staging = await startSandbox({ rateLimits: false });
  const client = createPurpleFleaClient({ urls: { ...staging.urls, wallet: `${staging.controlUrl}/v1` } });
  const reg = await client.casino.register();
  await client.close();
  primary = reg.agentId;
  staging.fund(primary, 100);
  fleet = await createServer(
    loadConfig({
      PF_MODE: "live",
      PF_API_KEY: reg.apiKey,
      PF_DB: join(dir, "live.db"),
      PF_CASINO_URL: staging.urls.casino,
      PF_ESCROW_URL: staging.urls.escrow,
      PF_FAUCET_URL: staging.urls.faucet,
      PF_DOMAINS_URL: staging.urls.domains,
      PF_MAX_BATCH_USD: "20",
      PF_DAILY_LOSS_LIMIT_USD: "50",
      PF_FLEET_DAILY_LOSS_LIMIT_USD: "100",
      PF_TOOLSETS: "casino,escrow,domains,jobs,admin",
    }),
    { logger: silentLogger },
  );
  asking = await connect(fleet.server, true);
  plain = await connect(fleet.createSessionServer().server, false);
  second = ok<{ agent: { agent_id: string } }>(await call(plain, "register_agent", {})).agent.agent_id;
  staging.fund(second, 100);
});
afterAll(async () => {
  await asking?.close();
  await plain?.close();
  await fleet?.close();
  await staging?.close();
  rmSync(dir, { recursive: true, force: true });
});

const flips = (over: Record<string, unknown> = {}) => ({
  side: "heads",
  count: 4,
  amount: 0.5,
  agent_ids: [primary],
  wait_seconds: 20,
  ...over,
});

describe("a client that can ask the user", () => {
  it("shows the plan above the threshold; accepted, the bets are sent", async () => {
    answer = { action: "accept", content: { confirm: true } };
    const asked = questions.length;
    const bets = staging.stats().betsSettled;
    const out = ok<{ status: string; summary: { total_bets: number } }>(
      await call(asking, "place_coinflip_batch", flips()),
    );
    expect(questions.length).toBe(asked + 1);
    const q = questions.at(-1) as string;
    // stake per bet and count, the agent, the worst case, the limits with their headroom
    expect(q).toMatch(/LIVE money move: place_coinflip_batch puts up to \$2\.00 at risk/);
    expect(q).toContain("4 bet(s) of $0.50 each");
    expect(q).toContain(primary);
    expect(q).toMatch(/max bet \$1\.00; max batch \$20\.00/);
    expect(q).toMatch(new RegExp(`${primary}: daily loss limit \\$50\\.00, headroom \\$`));
    expect(q).toMatch(/fleet daily loss limit \$100\.00, headroom \$/);
    expect(out.status).toBe("finished");
    expect(staging.stats().betsSettled).toBe(bets + 4);
  });

  it("declined or dismissed, nothing is sent and nothing is written", async () => {
    for (const a of [{ action: "decline" }, { action: "cancel" }, { action: "accept", content: { confirm: false } }]) {
      answer = a as ElicitResult;
      const [requests, jobs, asked] = [staging.stats().requests, jobRows(), questions.length];
      const err = refused(await call(asking, "place_coinflip_batch", flips()));
      expect(err.code).toBe("CONFIRMATION_DECLINED");
      expect(err.message).toMatch(/nothing was sent/);
      expect(questions.length).toBe(asked + 1);
      expect(staging.stats().requests).toBe(requests);
      expect(jobRows()).toBe(jobs);
    }
  });

  it("does not ask at or below the threshold ($1 by default)", async () => {
    answer = { action: "decline" };
    const asked = questions.length;
    const bets = staging.stats().betsSettled;
    const out = ok<{ status: string }>(await call(asking, "place_coinflip_batch", flips({ count: 2 })));
    expect(out.status).toBe("finished");
    expect(staging.stats().betsSettled).toBe(bets + 2);
    expect(questions.length).toBe(asked);
  });

  it("a plan the limits refuse is refused as before, without asking", async () => {
    const asked = questions.length;
    const err = refused(await call(asking, "place_coinflip_batch", flips({ amount: 1.5 })));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(questions.length).toBe(asked);
  });

  it("asks before an escrow is created; declined, no escrow exists", async () => {
    answer = { action: "decline" };
    const [money, jobs, asked] = [moneyRequests(), jobRows(), questions.length];
    const args = {
      agent_id: primary,
      counterparty_agent_id: second,
      amount: 3,
      description: "logo",
      validation: "manual",
    };
    expect(refused(await call(asking, "create_escrow_chain", args)).code).toBe("CONFIRMATION_DECLINED");
    expect(questions.at(-1)).toMatch(
      /escrow \$3\.00 from .* max escrow \$10\.00 .*fleet daily escrow \$50\.00, headroom \$50\.00/s,
    );
    expect(questions.length).toBe(asked + 1);
    expect([moneyRequests(), jobRows()]).toEqual([money, jobs]);
  });
});

describe("a client that cannot ask", () => {
  it("is refused without a token, with a hint naming the dry run; nothing sent or written", async () => {
    const [requests, jobs] = [staging.stats().requests, jobRows()];
    const err = refused(await call(plain, "place_coinflip_batch", flips()));
    expect(err.code).toBe("CONFIRMATION_REQUIRED");
    expect(err.message).toMatch(/\$2\.00 .*above .*\$1\.00/);
    expect(err.hint).toMatch(/dry_run: true.*confirm_token/);
    expect([staging.stats().requests, jobRows()]).toEqual([requests, jobs]);
  });

  it("sends the plan a dry run confirmed with its token, and nothing else", async () => {
    const dry = await call(plain, "place_coinflip_batch", flips({ dry_run: true }));
    const token = ok<{ status: string; confirm_token: string }>(dry).confirm_token;
    expect(token).toMatch(/^pfc1\./);
    expect((dry.content[0] as { text: string }).text).toContain(`confirm_token "${token}"`);

    // the same plan with another amount, count or agents: refused, nothing sent
    const money = moneyRequests();
    for (const changed of [{ amount: 0.6 }, { count: 5 }, { agent_ids: [primary, second] }, { side: "tails" }]) {
      const err = refused(await call(plain, "place_coinflip_batch", flips({ ...changed, confirm_token: token })));
      expect(err.code).toBe("CONFIRMATION_REQUIRED");
      expect(err.message).toMatch(/different plan/);
    }
    expect(refused(await call(plain, "place_coinflip_batch", flips({ confirm_token: "pfc1.x.forged" }))).code).toBe(
      "CONFIRMATION_REQUIRED",
    );
    expect(moneyRequests()).toBe(money);

    // the very plan: sent (the wait is not part of the plan)
    const bets = staging.stats().betsSettled;
    const out = ok<{ status: string }>(
      await call(plain, "place_coinflip_batch", flips({ confirm_token: token, wait_seconds: 30 })),
    );
    expect(out.status).toBe("finished");
    expect(staging.stats().betsSettled).toBe(bets + 4);
  });

  it("no dry-run token for a plan the limits would refuse", async () => {
    const dry = ok<{ blocked_by?: { code: string }; confirm_token?: string }>(
      await call(plain, "place_coinflip_batch", flips({ amount: 1.5, dry_run: true })),
    );
    expect(dry.blocked_by?.code).toBe("LIMIT_EXCEEDED");
    expect(dry.confirm_token).toBeUndefined();
  });

  it("an escrow: created only with the dry run's token; then released only with the release's own token", async () => {
    const args = {
      agent_id: primary,
      counterparty_agent_id: second,
      amount: 2,
      description: "a logo",
      validation: "manual",
    };
    const money = moneyRequests();
    expect(refused(await call(plain, "create_escrow_chain", args)).code).toBe("CONFIRMATION_REQUIRED");
    const dry = ok<{ outcome: string; job: null; confirm_token: string }>(
      await call(plain, "create_escrow_chain", { ...args, dry_run: true }),
    );
    expect(dry).toMatchObject({ outcome: "dry_run", job: null });
    expect(moneyRequests()).toBe(money);
    const err = refused(
      await call(plain, "create_escrow_chain", { ...args, amount: 2.5, confirm_token: dry.confirm_token }),
    );
    expect(err.code).toBe("CONFIRMATION_REQUIRED");
    const created = ok<{ escrow_id: string; outcome: string }>(
      await call(plain, "create_escrow_chain", { ...args, confirm_token: dry.confirm_token }),
    );
    expect(created.outcome).toBe("not_released");
    expect(staging.stats().byRoute["POST /escrow/create"]).toBe(1);

    // release: the create's token does not carry over; the release's dry run gives its own
    const release = { escrow_id: created.escrow_id };
    expect(refused(await call(plain, "release_escrow", { ...release, confirm_token: dry.confirm_token })).code).toBe(
      "CONFIRMATION_REQUIRED",
    );
    const relDry = ok<{ job: null; confirm_token: string; escrow: { status: string } }>(
      await call(plain, "release_escrow", { ...release, dry_run: true }),
    );
    expect(relDry).toMatchObject({ job: null, escrow: { status: "funded" } });
    const released = ok<{ escrow: { status: string } }>(
      await call(plain, "release_escrow", { ...release, confirm_token: relDry.confirm_token }),
    );
    expect(released.escrow.status).toBe("released");
  });

  it("settle_escrows: the dry run lists what it would release; the token settles exactly that", async () => {
    const args = {
      agent_id: primary,
      counterparty_agent_id: second,
      amount: 1.5,
      description: "a poem",
      validation: "manual",
    };
    const dry = ok<{ confirm_token: string }>(await call(plain, "create_escrow_chain", { ...args, dry_run: true }));
    const { escrow_id } = ok<{ escrow_id: string }>(
      await call(plain, "create_escrow_chain", { ...args, confirm_token: dry.confirm_token }),
    );
    // completing moves no money: no question
    ok(await call(plain, "complete_escrow", { escrow_id }));

    const err = refused(await call(plain, "settle_escrows", { escrow_ids: [escrow_id] }));
    expect(err.code).toBe("CONFIRMATION_REQUIRED");
    expect(err.message).toContain("$1.50");
    const plan = ok<{ status: string; releasing: string[]; confirm_token: string }>(
      await call(plain, "settle_escrows", { escrow_ids: [escrow_id], dry_run: true }),
    );
    expect(plan).toMatchObject({ status: "dry_run", releasing: [escrow_id] });
    const settled = ok<{ settled: Array<{ escrow_id: string }> }>(
      await call(plain, "settle_escrows", { escrow_ids: [escrow_id], confirm_token: plan.confirm_token }),
    );
    expect(settled.settled.map((s) => s.escrow_id)).toEqual([escrow_id]);
  });
});

describe("register_domain", () => {
  it("asks before buying: refused without elicitation or token; accepted, bought once", async () => {
    const search = ok<{
      account_id: string;
      results: Array<{ domain: string; available: boolean; price_usd_estimate: number }>;
    }>(await call(plain, "search_domains", { query: "confirmbot" }));
    const pick = search.results.find((r) => r.available && r.price_usd_estimate > 1);
    if (!pick) throw new Error("the sandbox registry offered no available name above $1");
    staging.fund(search.account_id, 100);
    const money = moneyRequests();
    expect(refused(await call(plain, "register_domain", { domain: pick.domain })).code).toBe("CONFIRMATION_REQUIRED");
    expect(moneyRequests()).toBe(money);

    answer = { action: "accept", content: { confirm: true } };
    const asked = questions.length;
    const bought = ok<{ registration: { domain_id: string } | null }>(
      await call(asking, "register_domain", { domain: pick.domain }),
    );
    expect(questions.length).toBe(asked + 1);
    expect(questions.at(-1)).toContain(`register ${pick.domain} for about $${pick.price_usd_estimate.toFixed(2)}`);
    expect(bought.registration?.domain_id).toBeTruthy();
    expect(moneyRequests()).toBe(money + 1);
  });
});

describe("over Streamable HTTP", () => {
  it("the question reaches the client on the call's own stream; declined, nothing is sent", async () => {
    const token = "confirm-test-token-0123456789abcdef";
    const http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token, logger: silentLogger });
    const client = new Client(
      { name: "pf-fleet-confirm-http", version: "1.0.0" },
      { capabilities: { elicitation: {} } },
    );
    const seen: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      seen.push(req.params.message);
      return { action: "decline" };
    });
    try {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      const [requests, jobs] = [staging.stats().requests, jobRows()];
      const err = refused(await call(client, "place_coinflip_batch", flips()));
      expect(err.code).toBe("CONFIRMATION_DECLINED");
      expect(seen).toEqual([expect.stringContaining("puts up to $2.00 at risk")]);
      expect([staging.stats().requests, jobRows()]).toEqual([requests, jobs]);
    } finally {
      await client.close();
      await http.close();
    }
  });
});

describe("PF_CONFIRM_ABOVE_USD", () => {
  it("defaults to $1, takes --confirm-above-usd (0 = always ask) and refuses a negative amount", () => {
    expect(loadConfig({}).confirmAbove).toBe(1_000_000);
    expect(loadConfig({ PF_CONFIRM_ABOVE_USD: "2.5" }).confirmAbove).toBe(2_500_000);
    expect(loadConfig({ PF_CONFIRM_ABOVE_USD: "5" }, ["--confirm-above-usd", "0"]).confirmAbove).toBe(0);
    expect(() => loadConfig({ PF_CONFIRM_ABOVE_USD: "-1" })).toThrow(/PF_CONFIRM_ABOVE_USD must be a number ≥ 0/);
  });
});

describe("the token", () => {
  const plan: MoneyPlan = {
    tool: "place_dice_batch",
    args: { count: 3, amount: 2_000_000 },
    resolved: { agents: [{ agent_id: "ag_a", bets: 3, stake: 6_000_000 }] },
    worstCase: 6_000_000,
    lines: [],
    limits: async () => [],
  };

  it("expires after 10 minutes and binds every part of the plan", () => {
    const now = Date.now();
    const token = mintConfirmToken(plan, now);
    expect(tokenProblem(plan, token, now + 9 * 60_000)).toBeUndefined();
    expect(tokenProblem(plan, token, now + 11 * 60_000)).toMatch(/expired/);
    expect(tokenProblem({ ...plan, args: { amount: 2_000_000, count: 3 } }, token, now)).toBeUndefined();
    expect(tokenProblem({ ...plan, tool: "place_crash_batch" }, token, now)).toMatch(/different plan/);
    expect(tokenProblem({ ...plan, resolved: { agents: [] } }, token, now)).toMatch(/different plan/);
    // a token whose expiry was pushed out no longer matches
    const [v, , mac] = token.split(".");
    expect(tokenProblem(plan, `${v}.${(now + 3_600_000).toString(36)}.${mac}`, now + 11 * 60_000)).toMatch(
      /different plan/,
    );
  });
});

describe("money schedules", () => {
  // 24 firings a day × 5 bets × $0.50: enabling commits the fleet to a $60 worst-case day, a run to $2.50
  const hourly = {
    name: "live-hourly-flips",
    task: "casino.place_batch",
    cron: "0 * * * *",
    args: { bet: { game: "coin-flip", side: "heads" }, count: 5, amount_usd: 0.5, agent_ids: [primary] },
  };

  it("enabling one and running it now ask like a batch: no way round the question through Beat", async () => {
    ok(await call(plain, "create_schedule", { ...hourly, args: { ...hourly.args, agent_ids: [primary] } }));
    const enable = { name: hourly.name, enabled: true };

    const refusedEnable = refused(await call(plain, "set_schedule", enable));
    expect(refusedEnable.code).toBe("CONFIRMATION_REQUIRED");
    const listed = ok<{ schedules: Array<{ name: string; enabled: boolean }> }>(
      await call(plain, "list_schedules", {}),
    );
    expect(listed.schedules.find((s) => s.name === hourly.name)?.enabled).toBe(false);

    const dry = ok<{ confirm_token?: string; dry_run: boolean; schedule: { enabled: boolean } }>(
      await call(plain, "set_schedule", { ...enable, dry_run: true }),
    );
    expect(dry).toMatchObject({ dry_run: true, schedule: { enabled: true } });
    expect(dry.confirm_token).toMatch(/^pfc1\./);
    const enabled = ok<{ schedule: { enabled: boolean } }>(
      await call(plain, "set_schedule", { ...enable, confirm_token: dry.confirm_token }),
    );
    expect(enabled.schedule.enabled).toBe(true);

    const rows = jobRows();
    expect(refused(await call(plain, "run_schedule_now", { name: hourly.name })).code).toBe("CONFIRMATION_REQUIRED");
    answer = { action: "decline" };
    expect(refused(await call(asking, "run_schedule_now", { name: hourly.name })).code).toBe("CONFIRMATION_DECLINED");
    expect(questions.at(-1)).toMatch(/run live-hourly-flips .*5 bet\(s\) × \$0\.50/);
    expect(jobRows()).toBe(rows);

    const runDry = ok<{ confirm_token?: string; job_id: string | null }>(
      await call(plain, "run_schedule_now", { name: hourly.name, dry_run: true }),
    );
    expect(runDry.job_id).toBeNull();
    const run = ok<{ job_id: string }>(
      await call(plain, "run_schedule_now", { name: hourly.name, confirm_token: runDry.confirm_token }),
    );
    expect(run.job_id).toBeTruthy();
    // the enabling token does not run it, nor the other way round
    expect(
      refused(await call(plain, "run_schedule_now", { name: hourly.name, confirm_token: dry.confirm_token })).code,
    ).toBe("CONFIRMATION_REQUIRED");
  });
});

describe("sandbox mode", () => {
  it("never asks", async () => {
    const sandboxFleet = await createServer(loadConfig({ PF_DB: join(dir, "sandbox.db"), PF_MAX_BATCH_USD: "20" }), {
      logger: silentLogger,
      sandbox: { rateLimits: false },
    });
    try {
      const client = await connect(sandboxFleet.server, true);
      const agent = ok<{ agent: { agent_id: string } }>(await call(client, "register_agent", {})).agent.agent_id;
      sandboxFleet.deps.sandbox?.fund(agent, 100);
      answer = { action: "decline" };
      const asked = questions.length;
      const out = ok<{ status: string; confirm_token?: string }>(
        await call(client, "place_coinflip_batch", flips({ agent_ids: [agent], count: 10 })),
      );
      expect(out.status).toBe("finished");
      const dry = ok<{ confirm_token?: string }>(
        await call(client, "place_coinflip_batch", flips({ agent_ids: [agent], count: 10, dry_run: true })),
      );
      expect(dry.confirm_token).toBeUndefined();
      expect(questions.length).toBe(asked);
      await client.close();
    } finally {
      await sandboxFleet.close();
    }
  });
});
