import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { isSelected, TOOLSET_NAMES, TOOLSETS } from "../../src/mcp/toolsets.js";
import { type Harness, ok, startHarness, toolError } from "./harness.js";

/**
 * The tool list is context every conversation pays for: the default list stays under budget, toolsets and
 * read-only mode register exactly what they say, the JSON is clean 2020-12 with a type on every node, and output
 * schemas state what a success holds while error results still validate in the SDK's own Client.
 */

const DEFAULT_BUDGET_CHARS = 30_000;
const MONEY_TOOLS = [
  "place_crash_batch",
  "place_coinflip_batch",
  "place_dice_batch",
  "claim_faucet",
  "create_escrow_chain",
  "release_escrow",
  "settle_escrows",
  "register_domain",
];

async function listedWith(env: Record<string, string>): Promise<Tool[]> {
  const h = await startHarness(env, { startEngine: false });
  try {
    return (await h.client.listTools()).tools;
  } finally {
    await h.close();
  }
}

const names = (tools: Tool[]) => tools.map((t) => t.name).sort();

describe("the default tool list", () => {
  it(`fits ${DEFAULT_BUDGET_CHARS} characters as compact JSON and offers the default toolsets`, async () => {
    const tools = await listedWith({ PF_TOOLSETS: "" });
    expect(JSON.stringify(tools).length).toBeLessThanOrEqual(DEFAULT_BUDGET_CHARS);
    // the harness runs in sandbox mode, whose defaults add the sandbox-only tools
    const expected = ["fleet", "casino", "faucet", "jobs", "analytics", "sandbox"].flatMap(
      (s) => TOOLSETS[s as "fleet"],
    );
    expect(names(tools)).toEqual([...expected].sort());
  });
});

describe("toolsets", () => {
  it("register exactly their tools, with `fleet` always", async () => {
    for (const set of TOOLSET_NAMES) {
      const tools = await listedWith({ PF_TOOLSETS: set });
      expect(names(tools), set).toEqual([...new Set([...TOOLSETS.fleet, ...TOOLSETS[set]])].sort());
    }
  });

  it("cover every registered tool, and `all` registers every one", async () => {
    const tools = await listedWith({ PF_TOOLSETS: "all" });
    expect(names(tools)).toEqual(Object.values(TOOLSETS).flat().sort());
    expect(() =>
      isSelected({ name: "made_up_tool", annotations: {} }, { toolsets: TOOLSET_NAMES, readOnly: false }),
    ).toThrow(/made_up_tool.*no toolset/);
  });

  it("refuse an unknown toolset name at start-up, naming the valid ones", () => {
    expect(() => loadConfig({ PF_TOOLSETS: "casino,poker" })).toThrow(
      /unknown toolset `poker`.*valid: fleet, casino.*all/,
    );
    expect(loadConfig({}, ["--toolsets", "escrow"]).toolsets).toEqual(["fleet", "escrow"]);
    expect(loadConfig({}, ["--read-only"]).readOnly).toBe(true);
    expect(loadConfig({ PF_READ_ONLY: "1" }).readOnly).toBe(true);
  });
});

describe("read-only mode", () => {
  it("registers only tools whose annotations say read-only: no money tool, nothing that changes state", async () => {
    const all = await listedWith({ PF_TOOLSETS: "all" });
    const readOnly = await listedWith({ PF_TOOLSETS: "all", PF_READ_ONLY: "true" });
    expect(readOnly.length).toBeGreaterThan(0);
    for (const tool of readOnly) expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
    for (const name of MONEY_TOOLS) expect(names(readOnly), name).not.toContain(name);
    expect(names(readOnly)).toEqual(names(all.filter((t) => t.annotations?.readOnlyHint === true)));
  });
});

describe("the JSON of every schema", () => {
  let tools: Tool[];
  beforeAll(async () => {
    tools = await listedWith({ PF_TOOLSETS: "all" });
  });

  it("declares no draft-07 dialect, no 2^53 integer bounds, and no node without a type", () => {
    for (const tool of tools) {
      for (const [which, schema] of [
        ["input", tool.inputSchema],
        ["output", tool.outputSchema],
      ] as const) {
        const json = JSON.stringify(schema ?? {});
        expect(json, `${tool.name} ${which}`).not.toMatch(/draft-07/);
        expect(json, `${tool.name} ${which}`).not.toMatch(/9007199254740991/);
        for (const node of schemaNodes(schema)) {
          expect(isUntyped(node), `${tool.name} ${which}: ${JSON.stringify(node)}`).toBe(false);
        }
      }
    }
  });
});

describe("output schemas", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PF_TOOLSETS: "all" });
  });
  afterAll(async () => h?.close());

  it("let successes and error results through the SDK Client's validation", async () => {
    await h.client.listTools();
    const agent = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", { label: "budget-1" })).agent;
    ok(await h.call("list_agents"));
    ok(await h.call("place_coinflip_batch", { side: "heads", count: 2, amount: 0.01, dry_run: true }));
    // error results: a bad argument, an unknown job, and a tool whose success has an `error` field of its own
    expect(
      toolError(await h.call("place_dice_batch", { direction: "over", threshold: 500, count: 1, amount: 1 })).code,
    ).toBe("INVALID_INPUT");
    expect(toolError(await h.call("job_status", { job_id: "nope" })).code).toBe("NOT_FOUND");
    expect(toolError(await h.call("claim_faucet", { agent_id: "ag_0000000000ff" })).code).toBe("NOT_FOUND");
    expect(agent.agent_id).toMatch(/^ag_/);
  });

  it("require what a success holds: a success missing a required field fails validation", async () => {
    const { tools } = await h.client.listTools();
    const schema = tools.find((t) => t.name === "list_agents")?.outputSchema;
    const validate = new AjvJsonSchemaValidator().getValidator(schema as Record<string, unknown>);
    const success = ok(await h.call("list_agents"));
    expect(validate(success).valid).toBe(true);
    const { agents: _dropped, ...missing } = success;
    expect(validate(missing).valid).toBe(false);
    expect(validate({ error: { code: "INTERNAL", message: "x", retryable: false } }).valid).toBe(true);
  });
});

type Node = Record<string, unknown>;

/** Every subschema of a JSON Schema: properties, items, additionalProperties, the applicators' branches. */
function schemaNodes(schema: unknown): Node[] {
  if (typeof schema !== "object" || schema === null) return [];
  const node = schema as Node;
  const children: unknown[] = [];
  for (const key of ["properties", "$defs", "patternProperties"]) {
    if (typeof node[key] === "object") children.push(...Object.values(node[key] as Node));
  }
  for (const key of ["items", "additionalProperties", "not", "contains"]) {
    if (typeof node[key] === "object") children.push(node[key]);
  }
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    if (Array.isArray(node[key])) children.push(...(node[key] as unknown[]));
  }
  return [node, ...children.flatMap(schemaNodes)];
}

/** A node that accepts any value because it says nothing but annotations (zod's `unknown` as `{}`). */
function isUntyped(node: Node): boolean {
  return Object.keys(node).every((k) => ["description", "default", "title", "examples"].includes(k));
}
