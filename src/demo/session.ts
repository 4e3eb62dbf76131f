import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

/** What the demo needs of an MCP session: a client on a spawned pf-fleet, readable output, strict steps. */

export interface ToolOutcome {
  text: string;
  structured: Record<string, unknown>;
}

export class DemoSession {
  private constructor(
    readonly client: Client,
    private readonly transport: StdioClientTransport,
  ) {}

  static async start(opts: { cli: string; env: Record<string, string> }): Promise<DemoSession> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [opts.cli, "stdio"],
      env: { ...inheritedEnv(), ...opts.env },
      stderr: "inherit",
    });
    const client = new Client({ name: "pf-fleet-demo", version: "1.0.0" });
    await client.connect(transport);
    return new DemoSession(client, transport);
  }

  get serverVersion(): string {
    return this.client.getServerVersion()?.version ?? "?";
  }

  /** Calls a tool; an isError result fails the demo with the tool's own code and hint. */
  async call(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    const result = await this.client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    const text = (result.content as Array<{ type: string; text?: string }>)
      .filter((c) => c.type === "text")
      .map((c) => c.text ?? "")
      .join("\n");
    if (result.isError) throw new Error(`${name} failed: ${text}`);
    return { text, structured: (result.structuredContent ?? {}) as Record<string, unknown> };
  }

  heading(title: string): void {
    process.stdout.write(`\n━━ ${title}\n`);
  }

  say(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  expect(condition: boolean, failure: string): void {
    if (!condition) throw new Error(failure);
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }
}

/** PATH and friends, without variables that would switch the child to live mode or another database. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("PF_")) out[k] = v;
  }
  return out;
}

/** `count` consecutive free loopback ports (the embedded sandbox takes casino…domains on N…N+3). */
export async function findFreePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return ports;
  }
  throw new Error(`could not find ${count} consecutive free ports on 127.0.0.1`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
