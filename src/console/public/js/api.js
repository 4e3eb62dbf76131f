// The console API (src/console/API.md): JSON reads, CSRF-guarded actions, and /login when the session is gone.

import { el, enc, jobHref } from "./dom.js";
import { scheduleRefresh } from "./refresh.js";
import { app } from "./state.js";
import { toast, toastError } from "./toasts.js";
import { applyOverview } from "./topbar.js";

export class ApiError extends Error {
  /** `confirm`: { plan, confirm_token } when a live-money action wants the operator's confirmation */
  constructor(status, error, confirm = null) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? `HTTP_${status}`;
    this.hint = error?.hint ?? null;
    this.confirm = confirm;
  }
}

function toLogin() {
  location.assign("/login");
}

export async function getJson(path) {
  const res = await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, { code: "UNAUTHORIZED", message: "login needed" });
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.error ?? { message: `${res.status} ${res.statusText}` });
  return body;
}

/** POST an action with the CSRF token; resolves to the tool's result or throws ApiError with code and hint */
export async function act(name, body) {
  if (!app.overview?.csrf_token) applyOverview(await getJson("/api/overview"));
  const res = await fetch(`/api/actions/${enc(name)}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": app.overview.csrf_token },
    body: JSON.stringify(body),
  });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, { code: "UNAUTHORIZED", message: "login needed" });
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok || !answer?.ok) {
    const error = answer?.error ?? { message: `${res.status} ${res.statusText}` };
    throw new ApiError(res.status, error, answer?.confirm ?? null);
  }
  return answer.result;
}

/**
 * Runs an action from a button: disables it meanwhile, toasts the outcome, refreshes the view.
 * Resolves to the result, or null when it failed (the error is already shown).
 */
export async function runAction(name, body, { button, done, onError } = {}) {
  if (button) button.disabled = true;
  try {
    const result = await act(name, body);
    const link = typeof result?.job_id === "string" ? el("a", { href: jobHref(result.job_id) }, "open job") : null;
    toast("ok", done ?? `${name.replaceAll("_", " ")}: done`, link);
    scheduleRefresh(0);
    return result;
  } catch (err) {
    onError?.(err);
    toastError(err, name.replaceAll("_", " "));
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}
