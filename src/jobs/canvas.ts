/**
 * Celery's canvas on durable rows. A parent row (`group`, `chord`, `chain`) waits while its members run; each
 * member's terminal transition advances the parent in the same transaction. A chord's callback is created by a
 * conditional update (`callback_id IS NULL`) inside a serialised write, so it exists exactly once however many
 * processes finish members at the same moment, and across restarts.
 */

import { FleetError, type FleetErrorCode } from "../errors.js";
import { rethrowTransient } from "../storage/errors.js";
import type { StoredJob } from "../storage/jobs.js";
import type { Tx } from "../storage/types.js";
import { type EngineCore, toJobRow } from "./core.js";
import { describeJobError, errorText, jobError } from "./job-error.js";
import { buildCanvasJob, buildTaskJob, type Placement } from "./job-factory.js";
import type { WriteScope } from "./transitions.js";
import type { ChainSpec, ChordMemberOutcome, ChordSpec, GroupSpec, JobRow } from "./types.js";

/** a 50,000-bet plan is 2,500 calls of 20: one chord */
const MAX_MEMBERS = 2_500;

interface StepSpec {
  task: string;
  args: Record<string, unknown>;
}
interface ChordArgs {
  size: number;
  callback: StepSpec;
  deadlineAt: number | null;
}
interface ChainArgs {
  steps: StepSpec[];
}

export class Canvas {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  async group(spec: GroupSpec, tx?: Tx): Promise<JobRow> {
    const now = this.#core.clock.now();
    const members = checkMembers(spec.members, "group");
    const parent = buildCanvasJob(
      "group",
      this.#core.registry.require(members[0].task).queue,
      { size: members.length },
      now,
    );
    return this.#create(parent, this.#buildMembers(members, parent, spec.priority, now), tx);
  }

  async chord(spec: ChordSpec, tx?: Tx): Promise<JobRow> {
    const { registry, clock } = this.#core;
    const now = clock.now();
    const members = checkMembers(spec.members, "chord");
    const callbackTask = registry.require(spec.callback?.task);
    if (callbackTask.moneyMoving) {
      throw new FleetError("INVALID_INPUT", `chord callback \`${callbackTask.name}\` moves money; a callback must not`);
    }
    const callbackArgs = plainObject(spec.callback.args ?? {}, "chord callback args");
    // fail now, not when the members are done: the callback must accept `results`
    buildTaskJob(callbackTask, { ...callbackArgs, results: [] }, {}, now);
    if (spec.deadlineAt !== undefined && !Number.isFinite(spec.deadlineAt)) {
      throw new FleetError("INVALID_INPUT", `deadlineAt must be ms since epoch, got \`${spec.deadlineAt}\``);
    }
    const args: ChordArgs = {
      size: members.length,
      callback: { task: callbackTask.name, args: callbackArgs },
      deadlineAt: spec.deadlineAt ?? null,
    };
    const parent = { ...buildCanvasJob("chord", callbackTask.queue, args, now), deadlineAt: args.deadlineAt };
    return this.#create(parent, this.#buildMembers(members, parent, spec.priority, now), tx);
  }

  async chain(spec: ChainSpec, tx?: Tx): Promise<JobRow> {
    const { registry, clock } = this.#core;
    const now = clock.now();
    const steps = checkMembers(spec.steps, "chain").map((step, i) => {
      registry.require(step.task);
      return { task: step.task, args: plainObject(step.args, `args of chain step ${i + 1}`) };
    });
    const first = steps[0] as StepSpec;
    const parent = buildCanvasJob("chain", registry.require(first.task).queue, { steps } satisfies ChainArgs, now);
    parent.priority = spec.priority ?? 0;
    parent.progress = { done: 0, total: steps.length };
    const head = buildTaskJob(registry.require(first.task), first.args, { priority: parent.priority }, now, {
      parentId: parent.id,
      canvasId: parent.id,
      canvasIndex: 0,
    });
    return this.#create(parent, [head], tx);
  }

  /**
   * A member finished, so its parent may advance; runs inside the member's transaction. A group or chord counts
   * it off its row (one conditional update, whoever finishes it, in whichever process), and the member that
   * brings the count to zero fires the chord or finishes the group. Chains, and chord callbacks, read the parent.
   */
  async onTerminal(scope: WriteScope, member: StoredJob): Promise<void> {
    if (member.parentId === null || member.canvasIndex === null) return;
    const jobs = scope.tx.jobs;
    const counted = await jobs.memberFinished(member.parentId, scope.now);
    if (counted) {
      scope.progressed.add(member.parentId);
      if (counted.open > 0) return;
    }
    const parent = await jobs.get(member.parentId);
    if (parent?.state !== "waiting") return;
    if (counted) {
      if (parent.kind === "chord") await this.fireChord(scope, parent, "every member finished");
      else await this.#finishGroup(scope, parent);
    } else if (parent.kind === "chain") {
      await this.#advanceChain(scope, parent, member);
    } else if (parent.kind === "chord" && parent.callbackId === member.id) {
      await this.#finishChord(scope, parent, member);
    }
  }

  /**
   * A finished member was sent round again (dead-letter retry): its parent waits for it once more. A chain that
   * this very step stopped resumes: it waits again and goes on from this step once it succeeds.
   */
  async onReopen(scope: WriteScope, member: StoredJob): Promise<void> {
    if (member.parentId === null || member.canvasIndex === null) return;
    const { transitions } = this.#core;
    if (await scope.tx.jobs.memberReopened(member.parentId, scope.now)) {
      scope.progressed.add(member.parentId);
      return;
    }
    const parent = await scope.tx.jobs.get(member.parentId);
    const stoppedBy = (parent?.error?.details as { failedJobId?: unknown } | undefined)?.failedJobId;
    if (parent?.kind !== "chain" || parent.state !== "failed" || stoppedBy !== member.id) return;
    const step = `step ${member.canvasIndex + 1} (${member.task})`;
    await transitions.move(scope, parent, "waiting", `${step} retried by request; the chain resumes when it finishes`, {
      error: null,
      finishedAt: null,
    });
  }

  /** Creates the chord's callback unless one exists; `why` goes into the callback's first event. */
  async fireChord(scope: WriteScope, chord: StoredJob, why: string): Promise<void> {
    const { registry, transitions } = this.#core;
    const spec = chord.args as ChordArgs;
    const task = registry.get(spec.callback.task);
    // a callback that reads its members itself gets only the chord's id: nothing the size of the chord is copied
    const members = task?.readsMembers
      ? { chordId: chord.id }
      : { results: await scope.tx.jobs.memberOutcomes(chord.id) };
    const placement: Placement = { parentId: chord.id, canvasId: chord.id, canvasIndex: spec.size };
    try {
      await transitions.savepoint(scope, async (inner) => {
        if (!task)
          throw new FleetError("INVALID_INPUT", `chord callback task \`${spec.callback.task}\` is not registered`);
        const callback = buildTaskJob(
          task,
          { ...spec.callback.args, ...members },
          { priority: chord.priority },
          inner.now,
          placement,
        );
        // the exactly-once guard: only the write that sets callback_id from NULL creates the callback
        const marked = await inner.tx.jobs.update(
          chord,
          { state: "waiting", noCallbackYet: true },
          { callbackId: callback.id, updatedAt: inner.now },
        );
        if (marked) await transitions.insert(inner, callback, `callback of chord ${chord.id}: ${why}`);
      });
    } catch (err) {
      rethrowTransient(err);
      await transitions.move(scope, chord, "failed", `callback could not be created: ${errorText(err)}`, {
        error: jobError(err),
      });
    }
  }

  async #create(parent: StoredJob, members: StoredJob[], tx: Tx | undefined): Promise<JobRow> {
    const { transitions } = this.#core;
    parent.progress ??= { done: 0, total: members.length };
    if (parent.kind !== "chain") parent.openMembers = members.length;
    await this.#core.writeIn(tx, async (scope) => {
      await transitions.insert(scope, parent, `${parent.kind} created`);
      for (const m of members) {
        await transitions.insert(scope, m, `member ${(m.canvasIndex ?? 0) + 1} of ${parent.kind} ${parent.id}`);
      }
    });
    return toJobRow(parent);
  }

  #buildMembers(members: GroupSpec["members"], parent: StoredJob, priority: number | undefined, now: number) {
    parent.priority = priority ?? 0;
    return members.map((m, i) =>
      buildTaskJob(this.#core.registry.require(m.task), m.args, { priority, ...m.options }, now, {
        parentId: parent.id,
        canvasId: parent.id,
        canvasIndex: i,
      }),
    );
  }

  /** a parent's progress (members finished of total), published like a task's progress */
  async #progress(scope: WriteScope, parent: StoredJob, done: number, total: number): Promise<void> {
    const progress = { done, total };
    const updated = await scope.tx.jobs.update(parent, { state: "waiting" }, { progress, updatedAt: scope.now });
    if (!updated) return;
    scope.changes.push({
      job: updated,
      event: { at: scope.now, jobId: parent.id, from: "waiting", to: "waiting", reason: "progress", progress },
    });
  }

  async #finishGroup(scope: WriteScope, group: StoredJob): Promise<void> {
    const results = await scope.tx.jobs.memberOutcomes(group.id);
    const failed = results.filter((r) => r.state !== "succeeded");
    const total = results.length;
    if (failed.length === 0) {
      await this.#core.transitions.move(scope, group, "succeeded", `all ${total} members succeeded`, {
        result: { results },
        progress: { done: total, total },
      });
      return;
    }
    const first = failed[0] as ChordMemberOutcome;
    const error = summaryError(
      first,
      `${failed.length} of ${total} members did not succeed; first: job ${first.jobId} ended ${first.state}`,
    );
    await this.#core.transitions.move(scope, group, "failed", `${failed.length} of ${total} members did not succeed`, {
      result: { results },
      error,
      progress: { done: total, total },
    });
  }

  async #finishChord(scope: WriteScope, chord: StoredJob, callback: StoredJob): Promise<void> {
    const to = callback.state === "succeeded" ? "succeeded" : callback.state === "cancelled" ? "cancelled" : "failed";
    await this.#core.transitions.move(scope, chord, to, `callback ${callback.id} ended ${callback.state}`, {
      result: callback.result,
      error: callback.error,
    });
  }

  async #advanceChain(scope: WriteScope, chain: StoredJob, step: StoredJob): Promise<void> {
    const { registry, transitions } = this.#core;
    const { steps } = chain.args as ChainArgs;
    const index = step.canvasIndex ?? 0;
    const total = steps.length;
    const label = `step ${index + 1} of ${total} (${step.task})`;
    if (step.state !== "succeeded") {
      const error = summaryError(memberOutcome(step), `${label} ended ${step.state}: ${describeJobError(step.error)}`, {
        failedStep: index + 1,
        failedJobId: step.id,
      });
      await transitions.move(
        scope,
        chain,
        step.state === "cancelled" ? "cancelled" : "failed",
        `${label} ended ${step.state}`,
        {
          error,
          progress: { done: index, total },
        },
      );
      return;
    }
    if (index + 1 === total) {
      await transitions.move(scope, chain, "succeeded", `all ${total} steps succeeded`, {
        result: step.result,
        progress: { done: total, total },
      });
      return;
    }
    const next = steps[index + 1] as StepSpec;
    try {
      await transitions.savepoint(scope, async (inner) => {
        const task = registry.require(next.task);
        const args = { ...next.args, previous: step.result };
        const placement = { parentId: chain.id, canvasId: chain.id, canvasIndex: index + 1 };
        const row = buildTaskJob(task, args, { priority: chain.priority }, inner.now, placement);
        await transitions.insert(inner, row, `member ${index + 2} of chain ${chain.id}`);
        await this.#progress(inner, chain, index + 1, total);
      });
    } catch (err) {
      rethrowTransient(err);
      await transitions.move(scope, chain, "failed", `step ${index + 2} of ${total} could not be enqueued`, {
        error: jobError(err),
        progress: { done: index + 1, total },
      });
    }
  }
}

/** What a chord callback is told of one member: its result if it succeeded, else its error and its args. */
export function memberOutcome(job: JobRow): ChordMemberOutcome {
  return {
    jobId: job.id,
    task: job.task,
    state: job.state,
    ...(job.state === "succeeded" ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.state === "succeeded" ? {} : { args: job.args }),
  };
}

const FALLBACK_CODE: Partial<Record<string, FleetErrorCode>> = { cancelled: "CANCELLED", expired: "TIMEOUT" };

function summaryError(first: ChordMemberOutcome, message: string, details: Record<string, unknown> = {}) {
  const stored = first.error?.code;
  const code = (typeof stored === "string" ? stored : (FALLBACK_CODE[first.state] ?? "INTERNAL")) as FleetErrorCode;
  return jobError(new FleetError(code, message, { details: { ...details, memberError: first.error ?? null } }));
}

function checkMembers<T extends { task: string }>(list: T[] | undefined, what: string): [T, ...T[]] {
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_MEMBERS) {
    throw new FleetError(
      "INVALID_INPUT",
      `a ${what} needs 1–${MAX_MEMBERS} ${what === "chain" ? "steps" : "members"}, got ${Array.isArray(list) ? list.length : `\`${typeof list}\``}`,
    );
  }
  return list as [T, ...T[]];
}

function plainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FleetError(
      "INVALID_INPUT",
      `${what} must be an object (they are spread into the task's args), got \`${JSON.stringify(value)}\``,
    );
  }
  return value as Record<string, unknown>;
}
