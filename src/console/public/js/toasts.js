// Outcomes of actions (toasts) and failed reads shown inside a view.

import { $, el } from "./dom.js";

export function toast(kind, title, ...details) {
  const close = el("button", { class: "toast-close", type: "button", "aria-label": "dismiss" }, "×");
  const node = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    close,
    el("strong", {}, title),
    ...details,
  );
  close.addEventListener("click", () => node.remove());
  $("#toasts").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 12_000 : 5_000);
}

export function toastError(err, what) {
  toast(
    "error",
    `${what}: ${err.code ?? "error"}`,
    el("div", {}, err.message),
    err.hint ? el("div", { class: "hint" }, err.hint) : null,
  );
}

/** an error shown inside a view (message and hint), for a failed read */
export function errorBox(err) {
  return el(
    "div",
    { class: "error-box", role: "alert" },
    el("strong", {}, err.code ?? "error"),
    " ",
    err.message ?? String(err),
    err.hint ? el("div", { class: "hint" }, err.hint) : null,
  );
}
