import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config.js";
import { REPO } from "./built.js";

/**
 * server.json, the MCP registry entry: the same version as package.json everywhere, the npm package that
 * `npx -y pf-fleet@<version>` will fetch once published, the bundle as a GitHub release asset, and only
 * environment variables pf-fleet really reads. (The official schema is not vendored here; `mcp-publisher
 * publish` validates against it. These checks are the registry's documented constraints.)
 */
interface EnvVar {
  name: string;
  isSecret?: boolean;
  default?: string;
  choices?: string[];
}
interface Pkg {
  registryType: string;
  identifier: string;
  version?: string;
  fileSha256?: string;
  transport: { type: string };
  environmentVariables?: EnvVar[];
}
const server = JSON.parse(readFileSync(join(REPO, "server.json"), "utf8")) as {
  $schema: string;
  name: string;
  description: string;
  version: string;
  packages: Pkg[];
};
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  name: string;
  version: string;
  mcpName: string;
};
const manifest = JSON.parse(readFileSync(join(REPO, "manifest.json"), "utf8")) as {
  server: { mcp_config: { env: Record<string, string> } };
};
const npm = server.packages.find((p) => p.registryType === "npm");
const mcpb = server.packages.find((p) => p.registryType === "mcpb");

describe("server.json (MCP registry)", () => {
  it("carries package.json's version, for the server and each package", () => {
    expect(server.version).toBe(pkg.version);
    for (const p of server.packages) expect(p.version, p.registryType).toBe(pkg.version);
    expect(mcpb?.identifier).toMatch(new RegExp(`/v${pkg.version}/${pkg.name}-${pkg.version}\\.mcpb$`));
  });

  it("is named as the registry requires, and package.json's mcpName proves the npm package is ours", () => {
    expect(server.$schema).toMatch(/^https:\/\/static\.modelcontextprotocol\.io\/schemas\/\d{4}-\d{2}-\d{2}\//);
    expect(server.name).toMatch(/^io\.github\.[a-zA-Z0-9-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.description.length).toBeLessThanOrEqual(100);
    expect(pkg.mcpName).toBe(server.name);
  });

  it("offers the npm package over stdio and the bundle as a GitHub release asset with its SHA-256", () => {
    expect(npm).toMatchObject({ identifier: pkg.name, transport: { type: "stdio" } });
    expect(mcpb?.identifier).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/releases\/download\//);
    expect(mcpb?.fileSha256).toMatch(/^[a-f0-9]{64}$/);
    expect(mcpb?.transport).toEqual({ type: "stdio" });
  });

  it("names only environment variables pf-fleet reads, the key as a secret, with pf-fleet's defaults", () => {
    const settings = new Map(SETTINGS.map((s) => [s.env as string, s]));
    const vars = npm?.environmentVariables ?? [];
    for (const v of vars) {
      expect(settings.has(v.name), `${v.name} is not in SETTINGS`).toBe(true);
      if (v.default !== undefined) expect(v.default, v.name).toBe(settings.get(v.name)?.default);
    }
    expect(vars.find((v) => v.name === "PF_API_KEY")?.isSecret).toBe(true);
    expect(vars.find((v) => v.name === "PF_MODE")?.choices).toEqual(["sandbox", "live"]);
    // the same settings a bundle user is asked for
    expect(vars.map((v) => v.name).sort()).toEqual(Object.keys(manifest.server.mcp_config.env).sort());
  });
});
