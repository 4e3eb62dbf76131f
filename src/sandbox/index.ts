/**
 * The embedded Purple Flea sandbox: casino, escrow, faucet and domains on local HTTP servers with the real
 * routes, bodies, status codes and game maths, plus sandbox-only controls (funding, a movable clock, faults).
 */
export { parseFaults } from "./fault-config.js";
export { startSandbox } from "./start.js";
export type {
  FaultConfig,
  RateLimitOptions,
  RunningSandbox,
  SandboxOptions,
  SandboxStats,
  SandboxUrls,
} from "./types.js";
