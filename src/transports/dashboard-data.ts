import type { FleetDeps } from "../deps.js";
import type { JobRow } from "../jobs/types.js";
import { redactSecrets } from "../log.js";
import { microsToUsd } from "../money.js";

/**
 * The dashboard's read model (Flower for people): queues, recent jobs, failures, schedules, agents, limits.
 * Read-only, built from the same sources as the MCP resources; never includes a key.
 */

export async function dashboardSnapshot(deps: FleetDeps) {
  const [limits, pause, queues, recent, failures, schedules, agents] = await Promise.all([
    deps.fleet.limits(),
    deps.fleet.pauseState(),
    deps.engine.stats(),
    deps.engine.list({ limit: 25 }),
    deps.engine.list({ state: ["failed", "dead", "unknown"], limit: 25 }),
    deps.scheduler.list(),
    deps.fleet.listAgents(),
  ]);
  return {
    generated_at: new Date().toISOString(),
    mode: deps.mode,
    queues,
    recent_jobs: recent.jobs.map(jobLine),
    failures: failures.jobs.map(jobLine),
    schedules: schedules.map((s) => ({
      name: s.name,
      enabled: s.enabled,
      task: s.task,
      when: s.cron ?? `every ${s.intervalSeconds} s`,
      money: s.money,
      next_run_at: s.nextRunAt ? new Date(s.nextRunAt).toISOString() : null,
      last_job_state: s.lastJobState,
    })),
    agents: agents.map((a) => ({
      agent_id: a.agentId,
      label: a.label,
      source: a.source,
      paused: a.paused,
      created_at: new Date(a.createdAt).toISOString(),
    })),
    trading: { fleet_paused: pause.fleetPaused, reason: pause.reason, paused_agents: pause.pausedAgents },
    limits_usd: {
      max_bet: microsToUsd(limits.maxBet),
      max_batch: microsToUsd(limits.maxBatch),
      daily_loss_limit: microsToUsd(limits.dailyLossLimit),
      fleet_daily_loss_limit: microsToUsd(limits.fleetDailyLossLimit),
    },
  };
}

function jobLine(job: JobRow) {
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    state: job.state,
    attempts: `${job.attempts}/${job.maxAttempts}`,
    progress: job.progress
      ? `${job.progress.done}/${job.progress.total}${job.progress.message ? ` ${job.progress.message}` : ""}`
      : null,
    created_at: new Date(job.createdAt).toISOString(),
    finished_at: job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
    error: job.error ? redactSecrets(`${job.error.code}: ${job.error.message}`) : null,
  };
}
