import { QUEUE_NAMES } from "../config.js";
import { FleetError } from "../errors.js";
import type { TaskDefinition } from "./types.js";

/** Names of the canvas parent rows; no task may take them. */
export const CANVAS_TASKS = ["group", "chord", "chain"] as const;

const TASK_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;

/** Task name → definition (Celery's `@app.task` plus `task_routes`). */
export class TaskRegistry {
  readonly #tasks = new Map<string, TaskDefinition>();
  /** the engine's own defaults (aggregate_bet_results): an application may register its own version once */
  readonly #builtins = new Set<string>();

  register<A, R>(task: TaskDefinition<A, R>, opts: { builtin?: boolean } = {}): void {
    validate(task as TaskDefinition);
    if (this.#tasks.has(task.name) && !this.#builtins.has(task.name)) {
      throw new FleetError("CONFLICT", `task \`${task.name}\` is already registered`);
    }
    this.#builtins.delete(task.name);
    if (opts.builtin) this.#builtins.add(task.name);
    this.#tasks.set(task.name, task as TaskDefinition);
  }

  get(name: string): TaskDefinition | undefined {
    return this.#tasks.get(name);
  }

  /** the definition, or INVALID_INPUT naming what is registered */
  require(name: string): TaskDefinition {
    const task = this.#tasks.get(name);
    if (!task) {
      throw new FleetError("INVALID_INPUT", `unknown task \`${name}\``, {
        hint: `registered tasks: ${[...this.#tasks.keys()].sort().join(", ") || "none"}`,
      });
    }
    return task;
  }

  names(): string[] {
    return [...this.#tasks.keys()];
  }
}

function validate(task: TaskDefinition): void {
  const name = String(task.name);
  const fail = (what: string) => {
    throw new FleetError("INVALID_INPUT", `task \`${name}\`: ${what}`);
  };
  if (!TASK_NAME.test(name)) fail("name must match /^[a-z][a-z0-9_.:-]{0,63}$/");
  if ((CANVAS_TASKS as readonly string[]).includes(name)) fail(`\`${name}\` is reserved for canvas rows`);
  if (!QUEUE_NAMES.includes(task.queue)) fail(`queue must be one of ${QUEUE_NAMES.join(", ")}, got \`${task.queue}\``);
  if (task.moneyMoving && typeof task.reconcile !== "function") {
    fail("a money-moving task needs `reconcile`, so an unknown outcome is proven before any resend");
  }
  if (!Number.isInteger(task.timeLimitMs) || task.timeLimitMs <= 0) {
    fail(`timeLimitMs must be an integer > 0, got \`${task.timeLimitMs}\``);
  }
  const { maxAttempts, baseDelayMs, maxDelayMs, jitter } = task.retry;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    fail(`retry.maxAttempts must be an integer ≥ 1, got \`${maxAttempts}\``);
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= baseDelayMs)) {
    fail(`retry delays must satisfy 0 ≤ baseDelayMs ≤ maxDelayMs, got \`${baseDelayMs}\` and \`${maxDelayMs}\``);
  }
  if (!(jitter >= 0 && jitter <= 1)) fail(`retry.jitter must be 0–1, got \`${jitter}\``);
  if (task.expiresAfterMs !== undefined && !(task.expiresAfterMs > 0)) {
    fail(`expiresAfterMs must be > 0, got \`${task.expiresAfterMs}\``);
  }
}
