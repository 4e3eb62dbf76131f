// The money view's forms: pause/resume (fleet or agent) with a reason, and "Tighten limits".

import { runAction } from "../api.js";
import { el, fill } from "../dom.js";
import { usd } from "../format.js";

const LIMIT_FIELDS = [
  ["max_bet_usd", "Max bet"],
  ["max_batch_usd", "Max batch"],
  ["daily_loss_limit_usd", "Daily loss / agent"],
  ["fleet_daily_loss_limit_usd", "Fleet daily loss"],
];

/** a Pause button that opens a small form asking why; `agentId` null pauses the fleet */
export function pauseControl(agentId, who) {
  const slot = el("div", { class: "pause-slot" });
  const pause = el("button", { class: "btn btn-warn", type: "button" }, agentId ? "Pause" : "Pause fleet");
  const resume = el("button", { class: "btn btn-primary", type: "button" }, agentId ? "Resume" : "Resume fleet");
  const reason = el("input", {
    type: "text",
    name: "reason",
    required: true,
    minlength: 3,
    maxlength: 200,
    placeholder: "why? (shown to whoever resumes)",
    "aria-label": "reason for pausing",
  });
  const send = el("button", { class: "btn btn-warn", type: "submit" }, "Pause now");
  const cancel = el("button", { class: "btn btn-quiet", type: "button" }, "Cancel");
  const form = el(
    "form",
    { class: "inline-form", hidden: true },
    el("label", { class: "field grow" }, el("span", {}, `Pause ${who}`), reason),
    el("div", { class: "row" }, send, cancel),
  );
  pause.addEventListener("click", () => {
    form.hidden = false;
    pause.hidden = true;
    reason.focus();
  });
  cancel.addEventListener("click", () => {
    form.hidden = true;
    pause.hidden = false;
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim(), ...(agentId ? { agent_id: agentId } : {}) };
    void runAction("pause_trading", body, { button: send, done: `Paused ${who}` }).then((r) => {
      if (!r) return;
      reason.value = "";
      form.hidden = true;
      pause.hidden = false;
    });
  });
  resume.addEventListener(
    "click",
    () =>
      void runAction("resume_trading", agentId ? { agent_id: agentId } : {}, {
        button: resume,
        done: `Resumed ${who}`,
      }),
  );
  return {
    buttons: [pause, resume],
    form,
    slot,
    set(paused) {
      resume.hidden = !paused;
      if (paused) {
        pause.hidden = true;
        form.hidden = true;
      } else if (form.hidden) pause.hidden = false;
    },
  };
}

/** "Tighten limits": pause_trading with pause:false and only the limits given; raises are the server's to refuse */
export function tightenForm() {
  const scope = el("select", { name: "agent_id", "aria-label": "whose limits" });
  const inputs = new Map(
    LIMIT_FIELDS.map(([name]) => [
      name,
      el("input", { type: "number", name, min: "0.01", step: "0.01", inputmode: "decimal", placeholder: "unchanged" }),
    ]),
  );
  const reason = el("input", {
    type: "text",
    name: "reason",
    required: true,
    minlength: 3,
    maxlength: 200,
    placeholder: "why? (kept with the change)",
  });
  const submit = el("button", { class: "btn btn-primary", type: "submit" }, "Lower limits");
  const message = el("div", { class: "form-message", role: "status" });
  const form = el(
    "form",
    { class: "tighten-form" },
    el("label", { class: "field" }, el("span", {}, "Applies to"), scope),
    LIMIT_FIELDS.map(([name, label]) =>
      el("label", { class: "field" }, el("span", {}, `${label}, USD`), inputs.get(name)),
    ),
    el("label", { class: "field grow" }, el("span", {}, "Reason"), reason),
    el("div", { class: "field field-end" }, submit),
    message,
  );
  const node = el(
    "details",
    { class: "panel tighten" },
    el("summary", { class: "panel-title" }, "Tighten limits"),
    el(
      "p",
      { class: "small muted" },
      "Limits can only go down here. A value above the current limit is refused by the server and nothing changes.",
    ),
    form,
  );
  scope.addEventListener("change", () => {
    inputs.get("fleet_daily_loss_limit_usd").disabled = scope.value !== "";
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim(), pause: false };
    if (scope.value) body.agent_id = scope.value;
    for (const [name, input] of inputs) if (!input.disabled && input.value !== "") body[name] = Number(input.value);
    if (Object.keys(body).length === (scope.value ? 3 : 2)) {
      message.className = "form-message error-text";
      message.textContent = "Give at least one limit to lower.";
      return;
    }
    message.textContent = "";
    void runAction("pause_trading", body, {
      button: submit,
      done: "Limits lowered",
      onError(err) {
        message.className = "form-message error-text";
        fill(
          message,
          el("strong", {}, err.code),
          ` ${err.message}`,
          err.hint ? el("div", { class: "hint" }, err.hint) : null,
        );
      },
    }).then((r) => {
      if (!r) return;
      for (const input of inputs.values()) input.value = "";
      message.className = "form-message ok-text";
      message.textContent = "Limits lowered.";
    });
  });
  return {
    node,
    update(data) {
      const ids = data.agents.map((a) => a.agent_id);
      const have = [...scope.options].slice(1).map((o) => o.value);
      if (have.join("\n") !== ids.join("\n")) {
        const current = scope.value;
        fill(
          scope,
          el("option", { value: "" }, "the whole fleet"),
          data.agents.map((a) =>
            el("option", { value: a.agent_id }, a.label ? `${a.label} (${a.agent_id})` : a.agent_id),
          ),
        );
        scope.value = ids.includes(current) ? current : "";
      }
      inputs.get("fleet_daily_loss_limit_usd").placeholder = `now ${usd(data.fleet.daily_loss_limit_usd)}`;
    },
  };
}
