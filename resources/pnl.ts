import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { DAY_MS, formatReport, isoWeekKey, periodRange, pnlReport, utcDateKey } from "../src/ledger/index.js";
import { ledgerDays } from "../src/mcp/completions.js";
import { pnlReportView } from "../src/mcp/pnl-view.js";
import { jsonContents } from "../src/mcp/resource-content.js";
import { invalidResourceUri } from "../src/mcp/resource-errors.js";

/** PnL read models over the ledger: all time (with today), one UTC day, and the current ISO week. */
export function register(server: McpServer, deps: FleetDeps): void {
  server.registerResource(
    "pnl-summary",
    "pnl://summary",
    {
      title: "PnL summary",
      description: "All-time and today's (UTC) trading PnL in USD, by game and by agent, with fees and faucet income",
      mimeType: "application/json",
    },
    async (uri) => {
      const now = Date.now();
      const all = await pnlReport(deps.storage);
      const today = await pnlReport(deps.storage, periodRange("today", { now }));
      return jsonContents(
        uri.href,
        { mode: deps.mode, all_time: pnlReportView(all), today: pnlReportView(today) },
        formatReport(all),
      );
    },
  );

  server.registerResource(
    "pnl-daily",
    new ResourceTemplate("pnl://daily/{date}", {
      list: async () => {
        const now = Date.now();
        return {
          resources: Array.from({ length: 7 }, (_, i) => {
            const date = utcDateKey(now - i * DAY_MS);
            return { uri: `pnl://daily/${date}`, name: `PnL ${date}`, mimeType: "application/json" };
          }),
        };
      },
      // days the ledger holds bets on, newest first
      complete: { date: (value) => ledgerDays(deps, value) },
    }),
    {
      title: "PnL for one UTC day",
      description: "Trading PnL of one UTC day (pnl://daily/YYYY-MM-DD), in USD",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const date = String(variables.date ?? "");
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        throw invalidResourceUri(uri.href, `date must be YYYY-MM-DD, got \`${date}\``);
      }
      const report = await pnlReport(deps.storage, periodRange("day", { date, now: Date.now() }));
      return jsonContents(uri.href, { mode: deps.mode, date, report: pnlReportView(report) }, formatReport(report));
    },
  );

  server.registerResource(
    "pnl-weekly",
    "pnl://weekly",
    {
      title: "PnL this week",
      description: "Trading PnL of the current ISO week (Monday 00:00 UTC onwards), in USD",
      mimeType: "application/json",
    },
    async (uri) => {
      const now = Date.now();
      const report = await pnlReport(deps.storage, periodRange("week", { now }));
      return jsonContents(
        uri.href,
        { mode: deps.mode, week: isoWeekKey(now), report: pnlReportView(report) },
        formatReport(report),
      );
    },
  );
}
