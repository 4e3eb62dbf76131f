import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { initializeAnswer } from "../../src/mcp/server-info.js";
import { EarlyInitializeTransport } from "../../src/transports/early-initialize.js";
import { startHarness } from "./harness.js";

/**
 * The stdio entry point answers `initialize` before pf-fleet has loaded. These tests drive the wrapper with the
 * SDK's own Client and McpServer: the client is initialized while no server exists yet, and the server that
 * connects later still sees the whole conversation.
 */

const answer = {
  capabilities: { tools: { listChanged: true }, logging: {} },
  serverInfo: { name: "early", version: "1.0.0" },
  instructions: "say hello",
};

function lateServer(instructions = answer.instructions) {
  const server = new McpServer(answer.serverInfo, { capabilities: answer.capabilities, instructions });
  server.registerTool("hello", { inputSchema: { name: z.string() } }, async ({ name }) => ({
    content: [{ type: "text", text: `hello ${name}` }],
  }));
  return server;
}

async function connectEarly() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const early = new EarlyInitializeTransport(serverSide, answer);
  await early.listen();
  const client = new Client({ name: "test", version: "1" }, { capabilities: { elicitation: { form: {} } } });
  await client.connect(clientSide);
  return { early, client };
}

describe("EarlyInitializeTransport", () => {
  it("initializes the client before any server exists, then serves it once one connects", async () => {
    const { early, client } = await connectEarly();
    expect(client.getInstructions()).toBe("say hello");
    expect(client.getServerVersion()).toEqual(answer.serverInfo);

    // a request sent while loading waits for the server instead of failing
    const listing = client.listTools();
    const server = lateServer();
    const mismatches: unknown[] = [];
    early.onMismatch = (e, r) => mismatches.push([e, r]);
    await server.connect(early);
    expect((await listing).tools.map((t) => t.name)).toEqual(["hello"]);
    const called = await client.callTool({ name: "hello", arguments: { name: "fleet" } });
    expect(called.content).toEqual([{ type: "text", text: "hello fleet" }]);
    // the server saw the client's initialize, so it knows what the client can do
    expect(server.server.getClientCapabilities()).toEqual({ elicitation: { form: {} } });
    expect(mismatches).toEqual([]);
    await client.close();
  });

  it("reports a server whose own initialize answer differs from the early one", async () => {
    const { early, client } = await connectEarly();
    const mismatches: unknown[] = [];
    early.onMismatch = (_e, real) => mismatches.push(real);
    await lateServer("something else").connect(early);
    await client.listTools();
    expect(mismatches).toHaveLength(1);
    expect(JSON.stringify(mismatches[0])).toContain("something else");
    await client.close();
  });
});

describe("pf-fleet's early answer", () => {
  it("is what a session server answers itself", async () => {
    const h = await startHarness();
    try {
      const early = initializeAnswer();
      expect(h.client.getServerCapabilities()).toEqual(early.capabilities);
      expect(h.client.getServerVersion()).toEqual(early.serverInfo);
      expect(h.client.getInstructions()).toBe(early.instructions);
    } finally {
      await h.close();
    }
  });
});
