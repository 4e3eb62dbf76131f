// The build's second step: files tsc does not emit (the console's page, the MCP App views) are copied beside
// the compiled code, where the server reads them through import.meta.url. Plain JS so it runs before
// anything is compiled.
import { cpSync, existsSync, rmSync } from "node:fs";

const ASSET_DIRS = ["src/console/public", "src/mcp/apps/public"];

for (const dir of ASSET_DIRS) {
  if (!existsSync(dir)) continue;
  // copied afresh: the console serves every file in its directory, so a file removed from src must leave dist too
  rmSync(`dist/${dir}`, { recursive: true, force: true });
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
