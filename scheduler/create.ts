import { FleetError } from "../src/errors.js";
import { schedulableTask, startsDisabled } from "./catalog.js";
import { applyPatch } from "./patch.js";
import type { NewSchedule, Schedule } from "./types.js";

/**
 * A schedule made from the chat (Celery Beat users define their own periodic tasks), built and validated in
 * full before anything is written: name, task, args, timing, policy. It is a `user` schedule: deletable, never
 * re-seeded, and held to at most one firing a minute (patch.ts). A schedule whose task moves money (bets, escrow
 * releases) starts disabled whatever the caller asked: only a separate `set_schedule enabled=true`, which states a
 * betting schedule's worst-case daily stake against the limits, turns it on.
 */

/** lowercase letters, digits, `-` and `_`, starting with a letter or digit, ≤ 64 characters */
export const SCHEDULE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_DESCRIPTION = 200;

const NOTHING_WRITTEN = "nothing was written";

export function scheduleFromDraft(d: NewSchedule, now: number): Schedule {
  if (!SCHEDULE_NAME.test(d.name)) {
    throw new FleetError(
      "INVALID_INPUT",
      `name must be 1–64 lowercase letters, digits, \`-\` or \`_\`, starting with a letter or digit, got \`${d.name}\``,
      { hint: `e.g. \`hourly-ledger-refresh\`; ${NOTHING_WRITTEN}` },
    );
  }
  if (d.description !== undefined && d.description.length > MAX_DESCRIPTION) {
    throw new FleetError(
      "INVALID_INPUT",
      `description must be at most ${MAX_DESCRIPTION} characters, got ${d.description.length}`,
      { hint: NOTHING_WRITTEN },
    );
  }
  if (d.cron === undefined && d.intervalSeconds === undefined) {
    throw new FleetError("INVALID_INPUT", "give cron or interval_seconds: a schedule needs a timing", {
      hint: `cron \`0 * * * *\` is hourly; interval_seconds 900 is every 15 minutes; ${NOTHING_WRITTEN}`,
    });
  }
  const task = schedulableTask(d.task);
  const timing = d.cron !== undefined ? `cron ${d.cron.trim()}` : `every ${d.intervalSeconds} s`;
  const draft: Schedule = {
    name: d.name,
    description: d.description ?? `created from the chat: ${d.task}, ${timing}`,
    task: d.task,
    args: {},
    queue: task.queue,
    cron: null,
    intervalSeconds: null,
    timezone: "UTC",
    enabled: false,
    catchUp: "skip",
    expirySeconds: null,
    money: task.money,
    activeSince: now,
    origin: "user",
    createdAt: now,
    updatedAt: now,
  };
  return applyPatch(
    draft,
    {
      ...(d.cron !== undefined ? { cron: d.cron } : {}),
      ...(d.intervalSeconds !== undefined ? { intervalSeconds: d.intervalSeconds } : {}),
      ...(d.timezone !== undefined ? { timezone: d.timezone } : {}),
      ...(d.catchUp !== undefined ? { catchUp: d.catchUp } : {}),
      ...(d.expirySeconds !== undefined ? { expirySeconds: d.expirySeconds } : {}),
      args: d.args,
      enabled: !startsDisabled(task) && (d.enabled ?? true),
    },
    now,
  );
}
