// Small pieces every view uses: progress bars, state and money badges, a click-twice button.

import { el, token } from "./dom.js";

/** a horizontal bar; `level` colours it (ok, warn, danger, accent) */
export function bar(fraction, label, level = "accent") {
  const f = Math.min(1, Math.max(0, Number(fraction) || 0));
  const fill = el("span", { class: "bar-fill" });
  fill.style.width = `${(f * 100).toFixed(1)}%`;
  return el(
    "span",
    {
      class: `bar bar-${level}`,
      role: "progressbar",
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": Math.round(f * 100),
      "aria-label": label,
    },
    fill,
  );
}

export const lossLevel = (f) => (f >= 0.8 ? "danger" : f >= 0.5 ? "warn" : "ok");

/** `title`: a word on a shown state that differs from the stored one */
export function stateBadge(state, title) {
  return el("span", { class: `badge state state-${token(state)}`, title }, state ?? "—");
}

export function moneyTag(moneyState) {
  if (!moneyState || moneyState === "done" || moneyState === "not_done") return null;
  return el("span", { class: `badge money money-${token(moneyState)}`, title: "money state" }, `money ${moneyState}`);
}

/** a button that asks "again to confirm" before it runs `action` */
export function confirmButton(label, confirmLabel, action, cls = "btn") {
  const button = el("button", { class: cls, type: "button" }, label);
  let armed = null;
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = confirmLabel;
      button.classList.add("armed");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = label;
        button.classList.remove("armed");
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("armed");
    void action(button);
  });
  return button;
}
