/**
 * What pf-fleet offers a host, read from the real server: a pf-fleet started in-process (sandbox mode, every
 * toolset, a throwaway database) and asked through the SDK's own Client, as a host would ask it. The MCP
 * Bundle's manifest lists these tools and prompts; `sync-manifest` writes them and a test keeps them equal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Prompt, Tool } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { createServer } from "../src/server.js";

export interface ServerSurface {
  tools: Tool[];
  prompts: Prompt[];
}

/** Every tool and prompt pf-fleet can offer: sandbox mode (its sandbox-only tools included), all toolsets. */
export async function readServerSurface(): Promise<ServerSurface> {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-surface-"));
  const config = loadConfig({ PF_MODE: "sandbox", PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all" });
  const fleet = await createServer(config, { logger: silentLogger, lazy: true, startEngine: false });
  const client = new Client({ name: "pf-fleet-surface", version: "1.0.0" });
  try {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await fleet.server.connect(serverSide);
    await client.connect(clientSide);
    const { tools } = await client.listTools();
    const { prompts } = await client.listPrompts();
    return { tools, prompts };
  } finally {
    await client.close();
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A manifest's tool entry: the name and the description's first sentence (the manifest is a listing, not the schema). */
export interface ManifestTool {
  name: string;
  description: string;
}

/** A manifest's prompt entry; `text` is required by the manifest schema and uses its `${arguments.x}` form. */
export interface ManifestPrompt {
  name: string;
  description: string;
  arguments: string[];
  text: string;
}

export function manifestTools(tools: readonly Tool[]): ManifestTool[] {
  return tools.map((t) => ({ name: t.name, description: firstSentence(t.description ?? t.title ?? t.name) }));
}

/**
 * pf-fleet's prompts are built per call (the fleet's agents, the tools offered, the date), so the manifest's
 * text is a template of what the prompt asks for; the host gets the full plan from `prompts/get`.
 */
export function manifestPrompts(prompts: readonly Prompt[]): ManifestPrompt[] {
  return prompts.map((p) => {
    const args = (p.arguments ?? []).map((a) => a.name);
    const given = args.map((a) => `${a}: \${arguments.${a}}`).join(", ");
    return {
      name: p.name,
      description: p.description ?? p.title ?? p.name,
      arguments: args,
      text: `${p.title ?? p.name} with pf-fleet${given ? ` (${given})` : ""}. ${p.description ?? ""}`.trim(),
    };
  });
}

/** Up to the first ". " (or the whole text), without the trailing period; "e.g." and "i.e." end no sentence. */
export function firstSentence(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const end = oneLine.search(/(?<!\b(?:e\.g|i\.e))\.(\s|$)/);
  return end === -1 ? oneLine : oneLine.slice(0, end);
}
