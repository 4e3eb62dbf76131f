// uPlot charts (uPlot is a classic script loaded before the modules, as window.uPlot).

import { el, emptyState } from "./dom.js";
import { usd } from "./format.js";

const PALETTE = [
  "#0ea5e9",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#ec4899",
  "#14b8a6",
  "#8b5cf6",
  "#84cc16",
  "#f97316",
  "#64748b",
];
export const ACCENT = "#6d28d9";

/**
 * A box that holds one uPlot chart sized to its container (re-sized by a ResizeObserver). `show(spec)` makes the
 * chart, or only swaps the data when the series are the same, so a live refresh keeps the cursor and zoom.
 */
export function chartBox(label, height = 240) {
  const target = el("div", { class: "chart", role: "img", "aria-label": label });
  const empty = emptyState("No data yet.");
  const node = el("div", { class: "chart-box" }, target, empty);
  let plot = null;
  let key = "";
  const ro = new ResizeObserver(() => {
    if (plot && target.clientWidth > 0) plot.setSize({ width: target.clientWidth, height });
  });
  ro.observe(target);
  return {
    node,
    show(spec) {
      const hasData = spec && spec.data[0].length > 0;
      empty.hidden = !!hasData;
      target.hidden = !hasData;
      if (!hasData || !window.uPlot) {
        plot?.destroy();
        plot = null;
        key = "";
        if (hasData) empty.textContent = "Chart library did not load.";
        if (hasData) empty.hidden = false;
        return;
      }
      const nextKey = JSON.stringify(spec.opts.series.map((s) => s.label)) + (spec.key ?? "");
      if (plot && nextKey === key) {
        plot.setData(spec.data);
        return;
      }
      plot?.destroy();
      key = nextKey;
      plot = new window.uPlot({ ...spec.opts, width: Math.max(200, target.clientWidth), height }, spec.data, target);
    },
    destroy() {
      ro.disconnect();
      plot?.destroy();
    },
  };
}

export function axes(yFormat) {
  const grid = { stroke: "#eceaf2", width: 1 };
  return [
    { stroke: "#6b7280", grid, ticks: grid },
    { stroke: "#6b7280", grid, ticks: grid, size: 64, values: (_u, splits) => splits.map(yFormat) },
  ];
}

/** counts start at 0 and never show a 0–100 axis for an idle fleet */
export const countRange = (_u, _min, max) => [0, Math.max(5, Math.ceil((max ?? 0) * 1.1))];

/** side-by-side bars per bucket: series `i` of two takes its half of the slot */
export function barPaths(i) {
  return window.uPlot?.paths?.bars ? window.uPlot.paths.bars({ size: [0.45, 40], align: i === 0 ? -1 : 1 }) : undefined;
}

const DAY_S = 86_400;

export function pnlChart(data) {
  const s = data.pnl_series;
  if (!s?.days?.length) return null;
  const labels = new Map(data.agents.map((a) => [a.agent_id, a.label || a.agent_id]));
  // each value is the total at a day's END; the line starts from 0 at the first day's start, so even one day
  // of data is a line (a single point would stretch the time axis over years)
  const dayStart = (d) => Date.parse(`${d}T00:00:00Z`) / 1000;
  const t = [dayStart(s.days[0]), ...s.days.map((d) => dayStart(d) + DAY_S)];
  const fromZero = (values) => [0, ...values];
  const agentIds = Object.keys(s.agents ?? {});
  const compact = (v) => usd(v).replace(".00", "");
  return {
    data: [t, fromZero(s.fleet), ...agentIds.map((id) => fromZero(s.agents[id]))],
    opts: {
      series: [
        { value: (_u, v) => (v === null ? "" : new Date(v * 1000).toISOString().slice(0, 16).replace("T", " ")) },
        { label: "Fleet", stroke: ACCENT, width: 3, value: (_u, v) => usd(v, { signed: true }) },
        ...agentIds.map((id, i) => ({
          label: labels.get(id) ?? id,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u, v) => usd(v, { signed: true }),
        })),
      ],
      axes: axes(compact),
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
    },
  };
}
