/** `GET /api/schedules`: the Beat schedules as the scheduler lists them. */
import type { ScheduleOrigin } from "../../../scheduler/types.js";
import type { FleetDeps } from "../../deps.js";
import type { JobState } from "../../jobs/types.js";
import { iso } from "./views.js";

export interface ScheduleItem {
  name: string;
  enabled: boolean;
  task: string;
  /** `every 300 s`, or the cron expression and its zone (`0 * * * * UTC`), as list_schedules writes it */
  when: string;
  money: boolean;
  next_run_at: string | null;
  last_job_id: string | null;
  last_job_state: JobState | null;
  origin: ScheduleOrigin;
}

export async function consoleSchedules(deps: Pick<FleetDeps, "scheduler">): Promise<{ schedules: ScheduleItem[] }> {
  const schedules = await deps.scheduler.list();
  return {
    schedules: schedules.map((s) => ({
      name: s.name,
      enabled: s.enabled,
      task: s.task,
      when: s.cron === null ? `every ${s.intervalSeconds} s` : `${s.cron} ${s.timezone}`,
      money: s.money,
      next_run_at: iso(s.nextRunAt),
      last_job_id: s.lastFiring?.jobId ?? null,
      last_job_state: s.lastJobState,
      origin: s.origin,
    })),
  };
}
