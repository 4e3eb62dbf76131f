#!/usr/bin/env node
/**
 * Entry point: picks a subcommand and hands it the rest of argv. No logic lives here; each command module is
 * imported lazily so that `pf-fleet` (stdio) starts without loading the sandbox or the HTTP transport.
 */
import { readFileSync } from "node:fs";
import { tuneHeap } from "./heap.js";

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  stdio: { summary: "run the MCP server over stdio (the default)", load: () => import("./commands/stdio.js") },
  serve: {
    summary: "run the MCP server over Streamable HTTP and SSE (--http [--port N] [--host H])",
    load: () => import("./commands/serve.js"),
  },
  dashboard: {
    summary: "the operations console alone, on the same database as a stdio server (--port N, default 8788)",
    load: () => import("./commands/dashboard.js"),
  },
  worker: {
    summary: "run jobs, schedules and reconciliation with no MCP transport (one per machine of a fleet)",
    load: () => import("./commands/worker.js"),
  },
  sandbox: {
    summary: "run the local Purple Flea sandbox (--port N, --json, --faults k=v,…, --no-rate-limits)",
    load: () => import("./commands/sandbox.js"),
  },
  demo: {
    summary: "end-to-end demo: starts pf-fleet over stdio against the embedded sandbox",
    load: () => import("./commands/demo.js"),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return [
    `pf-fleet ${version()} — Purple Flea operations as durable background jobs, over MCP`,
    "",
    "Usage: pf-fleet [command] [options]",
    "",
    "Commands:",
    ...rows,
    "",
    "Options: --help, --version; every setting in the README's Configuration table is also a flag",
    "(for example --db PATH, --mode live, --max-bet-usd 0.5), except secrets: PF_API_KEY, PF_HTTP_TOKEN and",
    "PF_SECRET_KEY come from the environment or a *_FILE setting, never the command line.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const isCommand = first !== undefined && !first.startsWith("-");
  const name = isCommand ? first : "stdio";
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`pf-fleet: unknown command \`${name}\`\n\n${usage()}\n`);
    return 2;
  }
  const args = isCommand ? rest : argv;
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`pf-fleet ${name}: ${command.summary}\n`);
    return 0;
  }
  tuneHeap();
  const mod = await command.load();
  return mod.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (stdio, serve, sandbox) resolve only when they are done serving.
    process.exitCode = code;
  },
  (err: unknown) => {
    // exit, not just set the code: stdio has already answered `initialize` and its open stdin would keep a
    // server that failed to load (say, a native module built for another Node) alive and silent for the host
    process.stderr.write(`pf-fleet: ${err instanceof Error ? err.message : String(err)}\n`, () => process.exit(1));
  },
);
