import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { RESOURCE_MIME_TYPE, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

/**
 * The MCP App (ext-apps 1.x) behind the batch tools and `pnl_report`: one `ui://` resource, a self-contained HTML
 * page that a host supporting MCP Apps renders in the conversation next to the tool's result. Hosts without MCP
 * Apps never read it; the tools' text and structured content are the same for every host.
 *
 * The page runs in a sandboxed iframe without network, so everything it needs is inlined at read time: uPlot's
 * script and CSS, ext-apps' browser bundle of the `App` class, and the view itself (./public/, plain files kept
 * readable in the source tree).
 */

export const FLEET_VIEW_URI = "ui://pf-fleet/view.html";

/**
 * What a tool's `_meta` carries to link the view: only `ui.resourceUri`. The deprecated flat `ui/resourceUri` key
 * that ext-apps' registerAppTool also writes is left out: hosts on the stable spec (2026-01-26) read the nested
 * key, and the duplicate would cost every conversation's tool list ~50 characters per tool.
 */
export const FLEET_VIEW_META = { ui: { resourceUri: FLEET_VIEW_URI } } as const;

/**
 * The page loads nothing from anywhere (no connect or resource domains), wants the host's border, and asks for no
 * permission: the host's strictest default CSP fits it.
 */
const RESOURCE_UI_META = {
  ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true },
};

export function registerFleetView(server: McpServer): void {
  registerAppResource(
    server,
    "pf-fleet batch and PnL view",
    FLEET_VIEW_URI,
    {
      description: "Interactive view of a bet batch (live progress, PnL chart, per-agent table) or a PnL report",
      _meta: RESOURCE_UI_META,
    },
    async () => ({
      contents: [{ uri: FLEET_VIEW_URI, mimeType: RESOURCE_MIME_TYPE, text: fleetViewHtml(), _meta: RESOURCE_UI_META }],
    }),
  );
}

let cached: string | undefined;

/** The page with every script and stylesheet inlined; built once per process. */
export function fleetViewHtml(): string {
  cached ??= buildHtml();
  return cached;
}

function buildHtml(): string {
  const dir = viewDir();
  const own = (name: string) => readFileSync(`${dir}${name}`, "utf8");
  const require = createRequire(import.meta.url);
  const dep = (specifier: string) => readFileSync(require.resolve(specifier), "utf8");
  // each `<!--inline:NAME-->` of view.html becomes the element holding NAME
  const slots: Record<string, string> = {
    "uplot.css": style(dep("uplot/dist/uPlot.min.css")),
    "view.css": style(own("view.css")),
    "uplot.js": script(dep("uplot/dist/uPlot.iife.min.js")),
    // a module, like the view after it: modules run in order, so the view finds the global this one sets
    "ext-apps.js": script(exportsAsGlobal(dep("@modelcontextprotocol/ext-apps/app-with-deps"), "McpExtApps"), "module"),
    "view.js": script(own("view.js"), "module"),
  };
  // a function replacer: the inlined code is full of `$` sequences a replacement string would interpret
  return own("view.html").replace(/<!--inline:([\w.-]+)-->/g, (slot, name: string) => {
    const filled = slots[name];
    if (filled === undefined) throw new Error(`view.html has an unknown slot ${slot}`);
    return filled;
  });
}

/**
 * ./public/ beside this module: src/mcp/apps/public under vitest, dist/src/mcp/apps/public once the build has
 * copied it (scripts/copy-assets.mjs). A dist built without that copy reads the source tree's (a checkout has both).
 */
function viewDir(): string {
  for (const rel of ["./public/", "../../../../src/mcp/apps/public/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}view.html`)) return dir;
  }
  throw new Error("the MCP App's view files (src/mcp/apps/public) are missing from this install");
}

/**
 * ext-apps' browser bundle is an ES module ending in one `export{a as App,…}` clause. An inline module cannot be
 * imported by another, so that clause becomes a global the view's own module reads. Fails loudly if a future
 * bundle ends differently, rather than shipping a page that cannot start.
 */
export function exportsAsGlobal(bundle: string, global: string): string {
  const clause = /export\s*\{([^}]*)\};?\s*$/.exec(bundle);
  if (!clause?.[1]) throw new Error(`the bundle for ${global} does not end in one export clause`);
  const entries = clause[1].split(",").map((spec) => {
    const [local, exported = local] = spec.trim().split(/\s+as\s+/);
    return `${JSON.stringify(exported)}: ${local}`;
  });
  return `${bundle.slice(0, clause.index)}\nglobalThis.${global} = Object.freeze({ ${entries.join(", ")} });\n`;
}

/** A script element whose code cannot end it early or open an HTML comment inside it. */
function script(code: string, type?: "module"): string {
  if (code.includes("<!--")) throw new Error("inlined script holds `<!--`, which HTML parses inside <script>");
  return `<script${type ? ` type="${type}"` : ""}>${code.replace(/<\/(script)/gi, "<\\/$1")}</script>`;
}

function style(css: string): string {
  if (/<\/style/i.test(css)) throw new Error("inlined stylesheet holds `</style`");
  return `<style>${css}</style>`;
}
