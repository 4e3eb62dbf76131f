import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

/** The built CLI (`npm test` builds dist/ first; locally run `npx tsc -p tsconfig.build.json`). */
const CLI = fileURLToPath(new URL("../../dist/src/cli.js", import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function startCli(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  const child = spawn(process.execPath, [CLI, "sandbox", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const output = async (lines: number): Promise<string[]> => {
    while (stdout.split("\n").length <= lines) {
      if (child.exitCode !== null) throw new Error(`sandbox exited early (${child.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return stdout.split("\n").slice(0, lines);
  };
  return { child, exited, output, stderr: () => stderr };
}

async function expectHealthy(urls: string[]): Promise<void> {
  for (const url of urls) {
    const res = await fetch(`${new URL(url).origin}/health`);
    expect(res.status).toBe(200);
  }
}

describe("pf-fleet sandbox", () => {
  it("prints the base URLs as JSON, serves them, and exits 0 on SIGTERM", async () => {
    const cli = startCli(["--port", "0", "--json"]);
    const [line] = await cli.output(1);
    const urls = JSON.parse(line as string) as Record<string, string>;
    expect(Object.keys(urls)).toEqual(["casino", "escrow", "faucet", "domains"]);
    expect(urls.casino).toMatch(/\/api\/v1$/);
    await expectHealthy(Object.values(urls));
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });

  it("prints one `<service> <url>` line per service and runs with faults and without rate limits", async () => {
    const cli = startCli(["--port=0", "--faults", "error=1,seed=7,scope=money", "--no-rate-limits"]);
    const lines = await cli.output(4);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["casino", "escrow", "faucet", "domains"]);
    const urls = lines.map((l) => l.split(" ")[1] as string);
    await expectHealthy(urls);
    const claim = await fetch(`${urls[2]}/faucet/claim`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_casino_id: "ag_000000000000" }),
    });
    expect(claim.status).toBe(500);
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(0);
  });

  it("rejects bad flags with a message on stderr and exit code 2", async () => {
    for (const args of [["--port", "abc"], ["--faults", "error=3"], ["--frobnicate"]]) {
      const cli = startCli(args);
      expect(await cli.exited).toBe(2);
      expect(cli.stderr()).toMatch(/pf-fleet sandbox: /);
    }
  });
});
