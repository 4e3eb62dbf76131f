import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openKeyVault } from "../../src/fleet/key-vault.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { assertDistIsFresh, REPO } from "../pack/built.js";

/**
 * Secrets (issue 13, finding 4), through the built CLI as a host or an operator starts it: no secret is taken
 * from the command line, PF_*_FILE settings work, a malformed key is refused before it is sent, every database
 * file is the owner's alone, and no key is in the database files in plain text.
 */

const CLI = join(REPO, "dist", "src", "cli.js");
const KEY = `sk_live_${"3f".repeat(24)}`;

let dir: string;
let staging: RunningSandbox;

beforeAll(async () => {
  assertDistIsFresh();
  staging = await startSandbox({ rateLimits: false });
});
afterAll(async () => staging?.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** the CLI run to its end (stdin closed at once): exit code and output */
function runCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", PF_DB: join(dir, "fleet.db"), LOG_LEVEL: "warn", ...env },
    stdio: "pipe",
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin.end();
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
}

const liveUrls = () => ({
  PF_MODE: "live",
  PF_CASINO_URL: staging.urls.casino,
  PF_ESCROW_URL: staging.urls.escrow,
  PF_FAUCET_URL: staging.urls.faucet,
  PF_DOMAINS_URL: staging.urls.domains,
});

async function connect(env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? "", PF_DB: join(dir, "db", "fleet.db"), LOG_LEVEL: "warn", ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "secrets-test", version: "1.0.0" });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call };
}

describe("secrets on the command line", () => {
  const secretFlags: Array<[flag: string[], env: string]> = [
    [["--api-key", KEY], "PF_API_KEY"],
    [[`--http-token=token-${"9".repeat(20)}`], "PF_HTTP_TOKEN"],
    [["--secret-key", "ab".repeat(32)], "PF_SECRET_KEY"],
  ];
  const commands = [[], ["stdio"], ["serve", "--http", "--port", "0"], ["worker"]];

  it.each(secretFlags)("%j is refused at start with exit 2 and a hint to %s or its file", async (flag, env) => {
    const value = (flag.at(-1) as string).replace(/^--[a-z-]+=/, "");
    for (const command of commands) {
      const run = await runCli([...command, ...flag]);
      expect(run.code, `pf-fleet ${command.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`${env} in the environment, or ${env}_FILE`);
      expect(run.stderr).not.toContain(value);
      expect(run.stdout).toBe("");
      // nothing started: not even the database was created
      expect(existsSync(join(dir, "fleet.db"))).toBe(false);
    }
    expect(() => loadConfig({}, flag)).toThrow(/not accepted: a secret on the command line/);
  });
});

describe("secrets from files", () => {
  it("reads PF_API_KEY_FILE and PF_HTTP_TOKEN_FILE trimmed; one source only; a missing file is named", () => {
    const keyFile = join(dir, "api-key");
    const tokenFile = join(dir, "token");
    writeFileSync(keyFile, `  ${KEY}\n`, { mode: 0o600 });
    writeFileSync(tokenFile, "token-from-file\n", { mode: 0o600 });
    const c = loadConfig({ PF_API_KEY_FILE: keyFile, PF_HTTP_TOKEN_FILE: tokenFile });
    expect(c.apiKey).toBe(KEY);
    expect(c.httpToken).toBe("token-from-file");
    expect(() => loadConfig({ PF_API_KEY: KEY, PF_API_KEY_FILE: keyFile })).toThrow(
      "PF_API_KEY and PF_API_KEY_FILE are both set",
    );
    expect(() => loadConfig({ PF_SECRET_KEY: "ab".repeat(32), PF_SECRET_KEY_FILE: keyFile })).toThrow(/both set/);
    expect(() => loadConfig({ PF_HTTP_TOKEN_FILE: join(dir, "nope") })).toThrow(/PF_HTTP_TOKEN_FILE names `.*nope`/);
  });

  it("warns, without refusing, when a secret file is readable by other users", () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "shared-token\n");
    chmodSync(tokenFile, 0o644);
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      expect(loadConfig({ PF_HTTP_TOKEN_FILE: tokenFile }).httpToken).toBe("shared-token");
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /PF_HTTP_TOKEN_FILE: .* readable by other users \(mode 0644\); run `chmod 600/,
      );
      warn.mockClear();
      chmodSync(tokenFile, 0o600);
      loadConfig({ PF_HTTP_TOKEN_FILE: tokenFile });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("a live pf-fleet imports its primary agent from PF_API_KEY_FILE", async () => {
    const api = createPurpleFleaClient({ urls: { ...staging.urls, wallet: `${staging.controlUrl}/v1` } });
    const reg = await api.casino.register();
    await api.close();
    const keyFile = join(dir, "api-key");
    writeFileSync(keyFile, `${reg.apiKey}\n`, { mode: 0o600 });
    const { client, call } = await connect({ ...liveUrls(), PF_API_KEY_FILE: keyFile });
    try {
      // the import runs once the server is up (it answers initialize first)
      const listed = async () =>
        ((await call("list_agents")).structuredContent as { agents: Array<{ agent_id: string }> }).agents.map(
          (a) => a.agent_id,
        );
      await expect.poll(listed, { timeout: 10_000 }).toEqual([reg.agentId]);
    } finally {
      await client.close();
    }
  });
});

describe("a malformed key", () => {
  it.each([
    ["PF_API_KEY", "sk_live_not-hex-but-secret-material"],
    ["PF_API_KEY", "pf_live_0123456789abcdef0123456789abcdef"],
    ["PF_API_KEY_FILE", "sk_live_0123 secret-material"],
  ])("given as %s is refused before anything is sent, without echoing it", async (setting, key) => {
    const env: Record<string, string> = { ...liveUrls() };
    if (setting === "PF_API_KEY_FILE") {
      writeFileSync(join(dir, "api-key"), key, { mode: 0o600 });
      env.PF_API_KEY_FILE = join(dir, "api-key");
    } else {
      env.PF_API_KEY = key;
    }
    staging.resetStats();
    const run = await runCli([], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PF_API_KEY must look like `sk_live_` followed by hex digits/);
    expect(run.stderr).not.toContain(key.slice(8));
    expect(run.stdout).toBe("");
    expect(staging.stats().requests).toBe(0);
  });
});

describe("database files", () => {
  it("are all 0600 in a 0700 directory, and hold no key in plain text (database, WAL, sandbox)", async () => {
    const db = join(dir, "db", "fleet.db");
    const { client, call } = await connect({});
    let raw: Record<string, Buffer>;
    const files = [db, `${db}-wal`, `${db}-shm`, `${db}.key`, join(dir, "db", "fleet.sandbox.db")];
    try {
      const agentIds: string[] = [];
      for (const label of ["s1", "s2", "s3"]) {
        const r = await call("register_agent", { label });
        agentIds.push((r.structuredContent as { agent: { agent_id: string } }).agent.agent_id);
      }
      expect(statSync(join(dir, "db")).mode & 0o777).toBe(0o700);
      for (const file of [...files, `${files[4]}-wal`, `${files[4]}-shm`]) {
        expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: "600" });
      }
      // the bytes as they are while pf-fleet runs: the WAL holds the newest writes
      raw = Object.fromEntries(
        [db, `${db}-wal`, files[4] as string, `${files[4]}-wal`].map((f) => [f, readFileSync(f)]),
      );
    } finally {
      await client.close();
    }
    const stored = new Database(db, { readonly: true });
    const rows = stored.prepare("SELECT agent_id, api_key FROM fleet_agents").all() as Array<{
      agent_id: string;
      api_key: string;
    }>;
    stored.close();
    const vault = openKeyVault({ sqlitePath: db });
    const keys = rows.map((r) => vault.open(r.api_key, `agent:${r.agent_id}`));
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      expect(key).toMatch(/^sk_live_[0-9a-f]{48}$/);
      for (const [file, bytes] of Object.entries(raw)) {
        expect({ file, key: bytes.includes(key) }).toEqual({ file, key: false });
        expect({ file, hex: bytes.includes(key.slice(8)) }).toEqual({ file, hex: false });
      }
    }
  });
  it("narrows files a crash left readable: the database, its WAL (with writes to replay) and shared memory", async () => {
    // a database left as a process killed mid-run leaves it: its newest writes only in the WAL, every file 0644
    const crashed = new Database(join(dir, "live.db"));
    crashed.pragma("journal_mode = WAL");
    crashed.pragma("wal_autocheckpoint = 0");
    crashed.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    const db = join(dir, "old.db");
    for (const suffix of ["", "-wal", "-shm"]) {
      copyFileSync(join(dir, `live.db${suffix}`), `${db}${suffix}`);
      chmodSync(`${db}${suffix}`, 0o644);
    }
    crashed.close();
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0);
    const storage = openSqliteStorage(db, { private: true });
    try {
      for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await storage.close();
    }
  });
});
