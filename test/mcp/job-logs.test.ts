import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type LoggingMessageNotification, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobEngine, JobEvent, JobRow } from "../../src/jobs/types.js";
import { silentLogger } from "../../src/log.js";
import { attachSubscriptions } from "../../src/mcp/subscriptions.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";
import { type Harness, ok, startHarness } from "./harness.js";

/**
 * A finished job someone started (a batch, not each of its bets) reaches the client as an `info` log message, at
 * the level the client chose with `logging/setLevel` — per session over Streamable HTTP too.
 */

type Message = LoggingMessageNotification["params"];

let h: Harness;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 10);
});
afterAll(async () => h?.close());

function collect(client: Client): Message[] {
  const messages: Message[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    messages.push(n.params);
  });
  return messages;
}

async function batch(client: Client, count: number): Promise<string> {
  const result = await client.callTool({
    name: "place_coinflip_batch",
    arguments: { side: "tails", count, amount: 0.01, agent_ids: [agentId], wait_seconds: 30 },
  });
  const out = result.structuredContent as { job_id: string; status: string };
  expect(out.status).toBe("finished");
  return out.job_id;
}

const about = (messages: Message[], id: string) => messages.filter((m) => String(m.data).includes(id));

describe("job completions as log messages", () => {
  it("sends one info message for a finished 45-bet batch, none for its member jobs", async () => {
    const messages = collect(h.client);
    await h.client.setLoggingLevel("info");
    const chordId = await batch(h.client, 45);
    await expect.poll(() => about(messages, chordId).length).toBe(1);
    expect(about(messages, chordId)[0]).toMatchObject({ level: "info", logger: "pf-fleet.jobs" });
    expect(String(about(messages, chordId)[0]?.data)).toMatch(/chord\) succeeded .*jobs:\/\//);

    const members = (await h.fleet.deps.engine.list({ canvasId: chordId })).jobs;
    expect(members.length).toBeGreaterThanOrEqual(3); // three 20-bet calls and the callback that sums them
    for (const m of members) expect(about(messages, m.id)).toEqual([]);
  });

  it("sends none once the client asks for warnings only", async () => {
    const messages = collect(h.client);
    await h.client.setLoggingLevel("warning");
    const chordId = await batch(h.client, 2);
    await h.client.ping(); // anything sent before this answer has arrived
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(about(messages, chordId)).toEqual([]);
  });
});

describe("over Streamable HTTP", () => {
  let http: RunningHttp;
  const TOKEN = "job-logs-token-0123456789abcdef";
  beforeAll(async () => {
    http = await startHttpServer(h.fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
  });
  afterAll(async () => http?.close());

  async function session(): Promise<Client> {
    const client = new Client({ name: "pf-fleet-job-logs", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    return client;
  }

  it("honours each session's own level", async () => {
    const quiet = await session();
    const chatty = await session();
    try {
      const quietMessages = collect(quiet);
      const chattyMessages = collect(chatty);
      await quiet.setLoggingLevel("warning");
      await chatty.setLoggingLevel("info");
      const chordId = await batch(chatty, 3);
      await expect.poll(() => about(chattyMessages, chordId).length).toBe(1);
      await quiet.ping();
      expect(about(quietMessages, chordId)).toEqual([]);
    } finally {
      await quiet.close();
      await chatty.close();
    }
  });
});

describe("a batch whose members fail", () => {
  it("logs the first failed member, counts the rest, and says how many in the batch's own ending", async () => {
    // a stand-in engine: the subscriptions only listen to its events, and 200 failing bet calls are hard to stage
    let emit: (job: JobRow, event: JobEvent) => void = () => undefined;
    const engine = {
      on(listener: typeof emit) {
        emit = listener;
        return () => undefined;
      },
    } as unknown as JobEngine;
    const server = new McpServer({ name: "logs", version: "1" }, { capabilities: { logging: {}, resources: {} } });
    const detach = attachSubscriptions(server, engine);
    const client = new Client({ name: "logs-test", version: "1" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    const messages = collect(client);
    await client.setLoggingLevel("info");

    const job = (over: Partial<JobRow>) =>
      ({
        task: "casino.bet_batch",
        parentId: null,
        error: null,
        progress: null,
        createdAt: 0,
        finishedAt: 1_000,
        ...over,
      }) as JobRow;
    const ended = (row: JobRow) => emit(row, { at: 1_000, jobId: row.id, from: "running", to: row.state, reason: "x" });
    for (let i = 0; i < 200; i++) {
      ended(
        job({
          id: `m${i}`,
          state: "dead",
          parentId: "chord-1",
          error: { code: "UPSTREAM_REFUSED", message: "no" } as JobRow["error"],
        }),
      );
    }
    ended(job({ id: "chord-1", task: "chord", state: "succeeded" }));

    await expect.poll(() => messages.length).toBe(2);
    expect(messages[0]).toMatchObject({ level: "warning" });
    expect(String(messages[0]?.data)).toMatch(
      /job m0 .* of jobs:\/\/chord-1 ended dead: UPSTREAM_REFUSED: no; further members/,
    );
    expect(messages[1]).toMatchObject({ level: "warning" });
    expect(String(messages[1]?.data)).toMatch(
      /job chord-1 \(chord\) succeeded .*; 200 member job\(s\) ended failed, dead or unknown/,
    );
    detach();
    await client.close();
  });
});
