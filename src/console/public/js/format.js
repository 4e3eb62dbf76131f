// Money, counts and times as a person reads them; the <time> and money elements that carry them.

import { dash, el } from "./dom.js";

export const STALE_HEARTBEAT_MS = 60_000;

export function usd(n, { signed = false } = {}) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const abs = Math.abs(n);
  const digits = abs > 0 && abs < 0.01 ? 6 : 2;
  const text = abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
  const sign = n < 0 ? "−" : signed && n > 0 ? "+" : "";
  return `${sign}$${text}`;
}

export const tone = (n) => (n > 0 ? "pos" : n < 0 ? "neg" : "zero");
export const money = (n, opts) => el("span", { class: `num ${opts?.signed ? tone(n) : ""}` }, usd(n, opts));
export const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
export function rel(iso) {
  if (!iso) return "—";
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 5) return "now";
  if (abs < 60) return rtf.format(Math.round(seconds), "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

export function absTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** a <time> whose relative text the ticker keeps current */
export function timeEl(iso, cls) {
  if (!iso) return dash();
  return el("time", { class: cls, datetime: iso, title: absTime(iso), "data-rel": iso }, rel(iso));
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.5) return s < 9.95 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function pretty(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

export const perWindow = (seconds) =>
  ({ 1: "second", 60: "minute", 3600: "hour", 86400: "day" })[seconds] ?? duration(seconds * 1000);

/** `afterMs`: the row's own limit (3 heartbeat intervals), when it states one */
export const isStale = (iso, afterMs = STALE_HEARTBEAT_MS) => !iso || Date.now() - Date.parse(iso) > afterMs;
