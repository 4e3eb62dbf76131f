import { createRequire } from "node:module";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps";
import { getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";
import { EXTENSION_ID } from "@modelcontextprotocol/ext-apps/server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLEET_VIEW_URI } from "../../src/mcp/apps/fleet-view.js";
import { type Harness, ok, startHarness } from "./harness.js";

/**
 * The MCP App behind the batch tools and pnl_report, as a host sees it over MCP: the `ui://` resource is listed and
 * read with the MCP App MIME type and metadata the ext-apps SDK's own schemas accept, the four tools link it in
 * tools/list, and a client that does not speak MCP Apps gets the same text and structured content as before.
 */

const VIEW_TOOLS = ["place_coinflip_batch", "place_crash_batch", "place_dice_batch", "pnl_report"];

let h: Harness;
let agentId: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
});
afterAll(async () => h?.close());

/**
 * A definition from the spec's JSON Schema that ext-apps ships (`schema.json`, generated from its types, with
 * `additionalProperties: false`): an unknown or misspelt key fails, not just a wrong type.
 */
function specSchema(name: string): (value: unknown) => string | undefined {
  const spec = createRequire(import.meta.url)("@modelcontextprotocol/ext-apps/schema.json") as {
    $defs: Record<string, Record<string, unknown>>;
  };
  // the dialect key aside, these definitions use nothing draft-07 and 2020-12 read differently
  const { $schema: _dialect, ...schema } = spec.$defs[name] ?? {};
  const validate = new AjvJsonSchemaValidator().getValidator(schema);
  return (value) => {
    const result = validate(value);
    return result.valid ? undefined : (result.errorMessage ?? "invalid");
  };
}
const resourceMetaErrors = specSchema("McpUiResourceMeta");
const toolMetaErrors = specSchema("McpUiToolMeta");

/** the page loads nothing from any domain and asks for the host's border */
const VIEW_UI_META = { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true };

it("checks metadata against the spec's schema strictly (a misspelt key is refused)", () => {
  expect(resourceMetaErrors({ csp: { conectDomains: [] } })).toBeDefined();
  expect(toolMetaErrors({ resourceUri: FLEET_VIEW_URI, resource_uri: "x" })).toBeDefined();
});

describe("the ui:// resource", () => {
  it("is listed with the MCP App MIME type and valid ui metadata (no network, a border)", async () => {
    const { resources } = await h.client.listResources();
    const view = resources.find((r) => r.uri === FLEET_VIEW_URI);
    expect(view?.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(view?.uri.startsWith("ui://")).toBe(true);
    const ui = view?._meta?.ui;
    expect(resourceMetaErrors(ui)).toBeUndefined();
    expect(ui).toEqual(VIEW_UI_META);
  });

  it("reads as one self-contained HTML document: every script and style inlined, nothing fetched", async () => {
    const { contents } = await h.client.readResource({ uri: FLEET_VIEW_URI });
    expect(contents).toHaveLength(1);
    const [page] = contents as [{ uri: string; mimeType?: string; text?: string; _meta?: { ui?: unknown } }];
    expect(page.uri).toBe(FLEET_VIEW_URI);
    expect(page.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(page._meta?.ui).toEqual(VIEW_UI_META);
    expect(resourceMetaErrors(page._meta?.ui)).toBeUndefined();
    const html = page.text ?? "";
    expect(html.startsWith("<!doctype html>")).toBe(true);
    // no slot left unfilled, nothing loaded by URL (the iframe has no network)
    expect(html).not.toContain("<!--inline:");
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import/);
    // uPlot, ext-apps' App and the view itself are all in the page
    expect(html).toContain("https://github.com/leeoniya/uPlot (v1.6.32)");
    expect(html).toContain("globalThis.McpExtApps = Object.freeze({");
    expect(html).toContain("app.callServerTool");
    // three script elements and no more: no inlined code closed one early
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
  });
});

describe("tools/list", () => {
  it("links the view from the three batch tools and pnl_report only, as _meta.ui.resourceUri", async () => {
    const { tools } = await h.client.listTools();
    const linked = tools.filter((t) => t._meta !== undefined);
    expect(linked.map((t) => t.name).sort()).toEqual([...VIEW_TOOLS].sort());
    for (const tool of linked) {
      // exactly the nested key (the deprecated flat `ui/resourceUri` duplicate is left out to save context)
      expect(tool._meta, tool.name).toEqual({ ui: { resourceUri: FLEET_VIEW_URI } });
      expect(toolMetaErrors(tool._meta?.ui), tool.name).toBeUndefined();
      // what a host built on ext-apps' AppBridge reads from the tool
      expect(getToolUiResourceUri(tool)).toBe(FLEET_VIEW_URI);
    }
  });
});

describe("a client without MCP Apps", () => {
  it("gets the batch result as text and structured content, with nothing of the view in it", async () => {
    h.fleet.deps.sandbox!.fund(agentId, 5);
    const result = (await h.call("place_coinflip_batch", {
      side: "heads",
      count: 4,
      amount: 0.01,
      agent_ids: [agentId],
      wait_seconds: 30,
    })) as CallToolResult;
    const sc = ok<{ status: string; job_id: string; summary: { total_bets: number; wins: number } }>(result);
    expect(sc.status).toBe("finished");
    expect(Object.keys(result).sort()).toEqual(["content", "structuredContent"]);
    expect(result.content.map((c) => c.type)).toEqual(["text", "resource_link"]);
    const text = result.content[0] as { text: string };
    expect(text.text).toContain(`job ${sc.job_id}: ${sc.summary.total_bets} bets settled, ${sc.summary.wins} won`);
    expect(JSON.stringify(result)).not.toContain("ui://");
  });

  it("gets the same answer as a host that declares MCP Apps: the view changes nothing in a result", async () => {
    const host = new Client(
      { name: "apps-host", version: "1.0.0" },
      { capabilities: { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } } },
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    // a second session on the same fleet (the HTTP transport makes one per client the same way)
    const session = h.fleet.createSessionServer();
    await session.server.connect(serverSide);
    await host.connect(clientSide);
    try {
      const args = { period: "all", agent_ids: [agentId] };
      const plain = await h.call("pnl_report", args);
      const withApps = await host.callTool({ name: "pnl_report", arguments: args });
      expect(ok<{ totals: { bets: number } }>(plain).totals.bets).toBe(4);
      expect(withApps).toEqual(plain);
    } finally {
      await host.close();
      session.dispose();
    }
  });
});
