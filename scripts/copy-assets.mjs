// The build's second step: files tsc does not emit (the console's page, the MCP App views) are copied beside
// the compiled code, where the server reads them through import.meta.url. Plain JS so it runs before
// anything is compiled.
import { cpSync, existsSync } from "node:fs";

const ASSET_DIRS = ["src/console/public", "src/mcp/apps/public"];

for (const dir of ASSET_DIRS) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
