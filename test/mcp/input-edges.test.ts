import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, ok, rowCounts, startHarness, toolError } from "./harness.js";

/**
 * Input edges (issue 13, finding 5): keys named like Object.prototype internals are refused before anything
 * happens, echoed values are clipped, and schema-valid nonsense is INVALID_INPUT (or another domain code), never
 * INTERNAL.
 */

let h: Harness;
let agentId: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", { label: "edges" })).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 5);
});
afterAll(async () => h?.close());

/**
 * A session fed hand-written JSON, parsed the way the stdio and HTTP transports parse a message: JSON.parse makes
 * `__proto__` an own key, which an object literal in a test could not.
 */
async function rawSession() {
  const session = h.fleet.createSessionServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const replies = new Map<number, (msg: Record<string, unknown>) => void>();
  clientSide.onmessage = (msg) => {
    const id = (msg as { id?: unknown }).id;
    if (typeof id === "number") replies.get(id)?.(msg as Record<string, unknown>);
  };
  await session.server.connect(serverSide);
  await clientSide.start();
  let nextId = 1;
  const request = async (method: string, paramsJson: string) => {
    const id = nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve) => replies.set(id, resolve));
    await clientSide.send(JSON.parse(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsJson}}`));
    return reply;
  };
  await request(
    "initialize",
    '{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}',
  );
  await clientSide.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  return {
    request,
    close: () => clientSide.close(),
  };
}

function untouched() {
  const sandbox = h.fleet.deps.sandbox!;
  const requests = sandbox.stats().requests;
  const rows = rowCounts(h.fleet);
  return () => {
    expect(sandbox.stats().requests).toBe(requests);
    expect(rowCounts(h.fleet)).toEqual(rows);
  };
}

describe("keys named like prototype internals", () => {
  it("an own __proto__ key (raw JSON) is refused before anything happens: no bet is placed", async () => {
    const raw = await rawSession();
    try {
      const check = untouched();
      const reply = await raw.request(
        "tools/call",
        `{"name":"place_crash_batch","arguments":{"count":1,"amount":0.01,"cash_out_at":1.5,"wait_seconds":0,"__proto__":{"dry_run":true}}}`,
      );
      const result = reply.result as CallToolResult;
      const err = toolError(result);
      expect(err.code).toBe("INVALID_INPUT");
      expect(err.message).toContain("__proto__");
      expect(err.hint).toMatch(/nothing was sent or stored/);
      // give a wrongly enqueued bet time to leave
      await new Promise((r) => setTimeout(r, 300));
      check();
    } finally {
      await raw.close();
    }
  });

  it.each([
    [
      "create_schedule",
      `{"name":"edge-proto","task":"ledger.refresh","cron":"0 * * * *","args":{"__proto__":{"x":1}}}`,
    ],
    [
      "create_schedule",
      `{"name":"edge-ctor","task":"ledger.refresh","cron":"0 * * * *","args":{"constructor":{"x":1}}}`,
    ],
    [
      "create_schedule",
      `{"name":"edge-deep","task":"ledger.refresh","cron":"0 * * * *","args":{"a":[{"b":{"prototype":1}}]}}`,
    ],
    ["list_agents", `{"constructor":1}`],
  ])("%s %s → INVALID_INPUT naming the key, nothing written", async (tool, args) => {
    const raw = await rawSession();
    try {
      const check = untouched();
      const reply = await raw.request("tools/call", `{"name":"${tool}","arguments":${args}}`);
      const err = toolError(reply.result as CallToolResult);
      expect(err.code).toBe("INVALID_INPUT");
      expect(err.message).toMatch(/__proto__|constructor|prototype/);
      check();
      expect(ok<{ schedules: Array<{ name: string }> }>(await h.call("list_schedules")).schedules).not.toContainEqual(
        expect.objectContaining({ name: expect.stringMatching(/^edge-/) }),
      );
    } finally {
      await raw.close();
    }
  });

  it("a task-augmented call with one is refused as invalid params, creating no job", async () => {
    const raw = await rawSession();
    try {
      const check = untouched();
      const reply = await raw.request(
        "tools/call",
        `{"name":"place_crash_batch","task":{},"arguments":{"count":1,"amount":0.01,"cash_out_at":1.5,"__proto__":{"dry_run":true}}}`,
      );
      expect(reply.error).toMatchObject({ code: -32602, message: expect.stringMatching(/INVALID_INPUT: .*__proto__/) });
      check();
    } finally {
      await raw.close();
    }
  });
});

describe("echoed values", () => {
  it("are clipped: a 180 kB value gives an error of a few hundred characters that says how long it was", async () => {
    const check = untouched();
    const result = await h.call("register_agent", { label: "x".repeat(180_000) });
    const err = toolError(result);
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(/label: must be at most 64 characters, got `"x+… \(180002 characters\)`/);
    expect(JSON.stringify(result).length).toBeLessThan(2_000);
    check();
  });

  it("many bad values and huge keys stay bounded too", async () => {
    const manyBad = toolError(
      await h.call("place_crash_batch", {
        count: 1,
        amount: 0.01,
        cash_out_at: 1.5,
        agent_ids: Array.from({ length: 5_000 }, (_, i) => `bad-${"y".repeat(30)}-${i}`),
      }),
    );
    expect(manyBad.message).toMatch(/and \d+ more/);
    expect(manyBad.message.length).toBeLessThan(2_000);

    const hugeKey = await h.call("list_agents", { ["k".repeat(180_000)]: 1 });
    expect(toolError(hugeKey).code).toBe("INVALID_INPUT");
    expect(JSON.stringify(hugeKey).length).toBeLessThan(2_000);
  });
});

describe("schema-valid nonsense", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty", "@__proto__"])(
    "a cron of %j is INVALID_INPUT, not INTERNAL",
    async (cron) => {
      const check = untouched();
      const set = toolError(await h.call("set_schedule", { name: "daily-ledger-refresh", cron }));
      expect(set.code).toBe("INVALID_INPUT");
      expect(set.message).toContain("cron");
      const created = toolError(await h.call("create_schedule", { name: "edge-cron", task: "ledger.refresh", cron }));
      expect(created.code).toBe("INVALID_INPUT");
      check();
    },
  );

  it("no tool answers INTERNAL to odd but schema-valid values, and the server stays up", async () => {
    const { tools } = await h.client.listTools();
    const job = (await h.fleet.deps.engine.list({ limit: 1 })).jobs[0]?.id ?? "j_none";
    const strings = [
      "__proto__",
      "constructor",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "",
      " ",
      "x".repeat(5_000),
      "💥\u0000\u202e\ud800",
      "../../etc/passwd",
      agentId,
      job,
    ];
    const internal: string[] = [];
    let calls = 0;
    for (const tool of tools) {
      const props = (tool.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set(tool.inputSchema.required ?? []);
      const base: Record<string, unknown> = {};
      // a plausible value for each required field, so that the odd one under test gets past the others
      const seeds: Record<string, unknown> = {
        agent_id: agentId,
        counterparty_agent_id: agentId,
        job_id: job,
        name: tool.name === "create_schedule" ? "edge-fuzz" : "daily-ledger-refresh",
        reason: "fuzzing the inputs",
        description: "fuzzing the inputs",
      };
      for (const name of Object.keys(props)) {
        if (required.has(name) || /wait/.test(name)) {
          base[name] = seeds[name] ?? valuesFor(name, props[name] ?? {}, strings)[0];
        }
      }
      for (const [name, schema] of Object.entries(props)) {
        for (const value of valuesFor(name, schema, strings)) {
          const args = { ...base, [name]: value };
          const result = (await h.client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
          calls++;
          const code = (result.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;
          if (code === "INTERNAL")
            internal.push(`${tool.name} ${JSON.stringify(args).slice(0, 200)}: ${textOf(result)}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(500);
    expect(internal).toEqual([]);
    expect(ok(await h.call("list_agents")).agents).toBeTruthy();
  }, 120_000);
});

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
}

/** odd values of the JSON type `schema` asks for; waits are always 0 so no call blocks */
function valuesFor(name: string, schema: JsonSchema, strings: readonly string[]): unknown[] {
  if (/wait/.test(name)) return [0];
  if (schema.enum) return [...schema.enum, ...strings.slice(0, 3)];
  if (schema.const !== undefined) return [schema.const];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.flatMap((v) => valuesFor(name, v, strings));
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "string"];
  return types.flatMap((type): unknown[] => {
    switch (type) {
      case "string":
        return [...strings];
      case "number":
      case "integer": {
        const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1e-9 : -1e15);
        const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1e-9 : 1e15);
        const whole = (n: number) => (type === "integer" ? Math.round(n) : n);
        return [low, high, whole((low + high) / 2), whole(Math.max(low, Math.min(high, 0.01)))].map(whole);
      }
      case "boolean":
        return [true, false];
      case "null":
        return [null];
      case "array":
        return [[], valuesFor(name, schema.items ?? {}, strings).slice(0, 4)];
      case "object":
        return [{}, { toString: 1, valueOf: "x", game: "crash" }];
      default:
        return [];
    }
  });
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

describe("register_agent and the local rate limiter", () => {
  it("a burst past the casino's 10 a minute is refused here with RATE_LIMITED, never answered 429", async () => {
    // the sandbox enforces its limits in this test, as the real casino does
    const limited = await startHarness({}, { sandbox: { rateLimits: true } });
    try {
      const sandbox = limited.fleet.deps.sandbox!;
      const results = [];
      for (let i = 0; i < 11; i++) results.push(await limited.call("register_agent", { label: `burst-${i}` }));
      expect(results.slice(0, 10).every((r) => !r.isError)).toBe(true);
      const refused = toolError(results[10]!) as { code: string; message: string; hint?: string; retryable?: boolean };
      expect(refused.code).toBe("RATE_LIMITED");
      expect(refused.retryable).toBe(true);
      expect(refused.hint).toMatch(/wait \d+ s and call register_agent again/);
      expect(sandbox.stats().byRoute["POST /api/v1/auth/register"]).toBe(10);
      // (the automatic faucet claim of registrations 2–10 is refused by the faucet's own daily limit, as it should be)
      expect(sandbox.stats().rateLimited["register-ip"]).toBeUndefined();
      expect(ok<{ agents: unknown[] }>(await limited.call("list_agents")).agents).toHaveLength(10);
    } finally {
      await limited.close();
    }
  }, 60_000);
});
