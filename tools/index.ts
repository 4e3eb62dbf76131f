/**
 * Every MCP tool pf-fleet offers, one module each (see STYLE.md). Each module exports
 * `register(server, deps)`; this list is the whole surface, so a tool missing here does not exist.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { selectTools } from "../src/mcp/tool.js";
import { isSelected } from "../src/mcp/toolsets.js";
import * as cancelJob from "./cancel-job.js";
import * as claimFaucet from "./claim-faucet.js";
import * as completeEscrow from "./complete-escrow.js";
import * as createEscrowChain from "./create-escrow-chain.js";
import * as createSchedule from "./create-schedule.js";
import * as deleteSchedule from "./delete-schedule.js";
import * as disputeEscrow from "./dispute-escrow.js";
import * as getEscrow from "./get-escrow.js";
import * as getRiskLimits from "./get-risk-limits.js";
import * as jobStatus from "./job-status.js";
import * as listAgents from "./list-agents.js";
import * as listJobs from "./list-jobs.js";
import * as listSchedules from "./list-schedules.js";
import * as pauseTrading from "./pause-trading.js";
import * as placeCoinflipBatch from "./place-coinflip-batch.js";
import * as placeCrashBatch from "./place-crash-batch.js";
import * as placeDiceBatch from "./place-dice-batch.js";
import * as pnlReport from "./pnl-report.js";
import * as queueStats from "./queue-stats.js";
import * as registerAgent from "./register-agent.js";
import * as registerDomain from "./register-domain.js";
import * as releaseEscrow from "./release-escrow.js";
import * as resumeTrading from "./resume-trading.js";
import * as retryJob from "./retry-job.js";
import * as runScheduleNow from "./run-schedule-now.js";
import * as sandboxAdvanceClock from "./sandbox-advance-clock.js";
import * as sandboxFundAgent from "./sandbox-fund-agent.js";
import * as searchDomains from "./search-domains.js";
import * as setSchedule from "./set-schedule.js";
import * as settleEscrows from "./settle-escrows.js";
import * as transactionHistory from "./transaction-history.js";
import * as verifyBets from "./verify-bets.js";
import * as walletBalance from "./wallet-balance.js";

interface ToolModule {
  register(server: McpServer, deps: FleetDeps): void;
}

/** Grouped as a user meets them: fleet and wallet, casino, escrow, domains, analytics, jobs, risk, schedules, sandbox. */
export const TOOL_MODULES: readonly ToolModule[] = [
  registerAgent,
  listAgents,
  walletBalance,
  transactionHistory,
  claimFaucet,
  placeCrashBatch,
  placeCoinflipBatch,
  placeDiceBatch,
  verifyBets,
  createEscrowChain,
  completeEscrow,
  releaseEscrow,
  disputeEscrow,
  getEscrow,
  settleEscrows,
  searchDomains,
  registerDomain,
  pnlReport,
  jobStatus,
  listJobs,
  cancelJob,
  retryJob,
  queueStats,
  getRiskLimits,
  pauseTrading,
  resumeTrading,
  listSchedules,
  setSchedule,
  createSchedule,
  deleteSchedule,
  runScheduleNow,
  // sandbox mode only: each registers itself only there
  sandboxFundAgent,
  sandboxAdvanceClock,
];

/** The tools of the configured toolsets (src/mcp/toolsets.ts), only read-only ones in read-only mode. */
export function registerAllTools(server: McpServer, deps: FleetDeps): void {
  const { toolsets, readOnly } = deps.config;
  selectTools(server, (tool) => isSelected(tool, { toolsets, readOnly }));
  for (const tool of TOOL_MODULES) tool.register(server, deps);
}
