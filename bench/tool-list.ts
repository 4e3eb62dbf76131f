/**
 * What the tool list costs a model: `tools/list` as compact JSON (the `tools` array the SDK's Client returns,
 * JSON.stringify'd), per toolset, for the default set, for every toolset and in read-only mode, split into
 * descriptions, input schemas and output schemas. Each configuration is a real pf-fleet (createServer) reached
 * through the SDK's own Client over an in-memory transport. Writes the table into bench/RESULTS.md.
 *
 *   npm run bench:context
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { defaultToolsets, TOOLSET_NAMES } from "../src/mcp/toolsets.js";
import { createServer } from "../src/server.js";
import { replaceSection } from "./markdown-section.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
/** The budget for the default list, and the headroom aimed for. */
const BUDGET = 30_000;
const AIM = 26_000;

interface Sizes {
  tools: number;
  total: number;
  descriptions: number;
  inputSchemas: number;
  outputSchemas: number;
}

async function listTools(env: Record<string, string>, dir: string, n: number): Promise<Tool[]> {
  const config = loadConfig({ PF_DB: join(dir, `fleet-${n}.db`), ...env });
  const fleet = await createServer(config, { logger: createLogger("silent"), lazy: true, startEngine: false });
  const client = new Client({ name: "bench-tool-list", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await fleet.server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
    await fleet.ready.catch(() => undefined);
    await fleet.close();
  }
}

function sizes(tools: Tool[]): Sizes {
  const sum = (f: (t: Tool) => unknown) => tools.reduce((n, t) => n + (f(t) === undefined ? 0 : len(f(t))), 0);
  return {
    tools: tools.length,
    total: JSON.stringify(tools).length,
    descriptions: tools.reduce((n, t) => n + (t.description?.length ?? 0), 0),
    inputSchemas: sum((t) => t.inputSchema),
    outputSchemas: sum((t) => t.outputSchema),
  };
}

function len(value: unknown): number {
  return typeof value === "string" ? value.length : JSON.stringify(value).length;
}

const CONFIGURATIONS: Array<[label: string, env: Record<string, string>]> = [
  [`default in sandbox mode (${defaultToolsets("sandbox").join(", ")})`, {}],
  // live mode's default is the same set without `sandbox`, whose tools exist only in sandbox mode
  [`default in live mode (${defaultToolsets("live").join(", ")})`, { PF_TOOLSETS: defaultToolsets("live").join(",") }],
  ...TOOLSET_NAMES.map((set): [string, Record<string, string>] => [
    set === "fleet" ? "fleet (always on)" : `fleet + ${set}`,
    { PF_TOOLSETS: set },
  ]),
  ["all", { PF_TOOLSETS: "all" }],
  ["all, read-only", { PF_TOOLSETS: "all", PF_READ_ONLY: "true" }],
  ["default, read-only", { PF_READ_ONLY: "true" }],
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-tool-list-"));
  const rows: Array<[string, Sizes]> = [];
  try {
    for (const [i, [label, env]] of CONFIGURATIONS.entries()) rows.push([label, sizes(await listTools(env, dir, i))]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (n: number) => n.toLocaleString("en-US");
  const defaultTotal = rows[0]?.[1].total ?? Number.POSITIVE_INFINITY;
  const verdict = defaultTotal <= AIM ? "met, with the aimed-for headroom" : defaultTotal <= BUDGET ? "met" : "NOT met";
  const body = [
    "## Context: the size of `tools/list`",
    "",
    `Run ${new Date().toISOString()}, Node ${process.version}. Characters of \`tools/list\` as compact JSON ` +
      "(JSON.stringify of the `tools` array the SDK Client returns), per configuration; descriptions, input and " +
      "output schemas are the parts of the total that each accounts for.",
    "",
    "| toolsets | tools | total | descriptions | input schemas | output schemas |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      ([label, s]) =>
        `| ${label} | ${s.tools} | ${fmt(s.total)} | ${fmt(s.descriptions)} | ${fmt(s.inputSchemas)} | ${fmt(s.outputSchemas)} |`,
    ),
    "",
    `Target: the default list ≤ ${fmt(BUDGET)} characters (aim ≤ ${fmt(AIM)}) — **${verdict}** (${fmt(defaultTotal)}). ` +
      "Before issue 12 every tool was listed: 118,758 characters (descriptions 20,896; input schemas 19,669; output " +
      "schemas 69,826).",
    "",
    "How to rerun: `npm run bench:context`.",
  ].join("\n");
  replaceSection(join(repo, "bench", "RESULTS.md"), "context", body);
  process.stdout.write(`${body}\n`);
}

await main();
