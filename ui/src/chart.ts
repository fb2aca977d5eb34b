// The chart above the table, drawn with uPlot on a canvas:
//   a time dimension            -> a line (one line per value of a second dimension: the top few)
//   one categorical dimension   -> bars (a comparison: this period beside the one before)
//   anything else               -> no chart; the table says it all.

import uPlot from "uplot";

import { Formatter, isCalendar, label, measureKind, timeValue } from "./format";
import type { Cell, Report } from "./model";
import { TIME_DIMENSIONS } from "./model";

const MAX_BARS = 15;
const MAX_LINES = 6;

export type ChartKind = "line" | "bars";

export interface Chart {
  kind: ChartKind;
  plot: uPlot;
  /** Shown under the chart when it leaves rows out. */
  caption: string;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function palette(): string[] {
  return [1, 2, 3, 4, 5, 6].map((i) => cssVar(`--kc-series-${i}`, "#2563eb"));
}

/** What kind of chart a report gets, or null for none. */
export function chartKind(report: Report): ChartKind | null {
  if (report.rows.length === 0 || report.measures.length === 0) return null;
  const dims = report.dimensions;
  const time = dims.find((d) => TIME_DIMENSIONS.has(d));
  if (time && (dims.length === 1 || (dims.length === 2 && report.kind !== "comparison"))) return "line";
  if (!time && dims.length === 1) return "bars";
  return null;
}

function numbers(rows: Cell[][], i: number): (number | null)[] {
  return rows.map((row) => (typeof row[i] === "number" ? (row[i] as number) : null));
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function axes(fmt: Formatter, measure: string, x: Partial<uPlot.Axis>): uPlot.Axis[] {
  const stroke = cssVar("--kc-text-secondary", "#555");
  const grid = { stroke: cssVar("--kc-grid", "rgba(0,0,0,.08)"), width: 1 };
  const ticks = { stroke: grid.stroke, width: 1, size: 4 };
  const kind = measureKind(measure);
  return [
    { stroke, grid: { show: false }, ticks, ...x },
    {
      stroke,
      grid,
      ticks,
      size: valueAxisSize,
      values: (_u, splits) => splits.map((v) => fmt.number(kind, v)),
    },
  ];
}

/** The value axis is as wide as its longest label ("$120,000.00" is wider than "120"), at least 64 px. */
function valueAxisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  // After init uPlot keeps an axis's font as [css font, size] and its last size as _size.
  const axis = u.axes[axisIdx] as uPlot.Axis & { _size?: number; font?: unknown };
  if (cycleNum > 1 && axis._size) return axis._size;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), "");
  if (!longest) return 64;
  const font = Array.isArray(axis.font) ? axis.font[0] : axis.font;
  if (typeof font === "string") u.ctx.font = font;
  const text = u.ctx.measureText(longest).width / (window.devicePixelRatio || 1);
  const ticks = typeof axis.ticks?.size === "number" ? axis.ticks.size : 4;
  const gap = typeof axis.gap === "number" ? axis.gap : 5;
  return Math.max(64, Math.ceil(text + ticks + gap + 8));
}

interface Drawn {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  caption: string;
}

function lineData(report: Report, measure: string, fmt: Formatter): Drawn & { calendar: boolean; time: string } {
  const time = report.dimensions.find((d) => TIME_DIMENSIONS.has(d)) as string;
  const ti = report.columns.indexOf(time);
  const mi = report.columns.indexOf(measure);
  const other = report.dimensions.find((d) => d !== time);
  const calendar = isCalendar(time);
  const colors = palette();
  const kind = measureKind(measure);
  const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? "—" : fmt.number(kind, v));
  // A comparison's "gone" rows are times of the period before (their value now is 0): not on this period's line.
  const change = report.kind === "comparison" ? report.columns.indexOf("change") : -1;
  const rows = report.rows.filter(
    (row) => timeValue(time, row[ti] ?? null) !== null && (change < 0 || row[change] !== "gone"),
  );
  const xs = [...new Set(rows.map((row) => timeValue(time, row[ti] ?? null) as number))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));

  if (other === undefined) {
    const ys: (number | null)[] = xs.map(() => null);
    for (const row of rows) {
      ys[at.get(timeValue(time, row[ti] ?? null) as number) as number] = numbers([row], mi)[0];
    }
    const points = { show: xs.length <= 40 };
    const series: uPlot.Series = { label: label(measure), stroke: colors[0], width: 2, value, points };
    return { data: [xs, ys], series: [series], caption: "", calendar, time };
  }

  // A second dimension: one line for each of its values with the largest totals.
  const oi = report.columns.indexOf(other);
  const totals = new Map<string, number>();
  for (const row of rows) {
    const key = String(row[oi]);
    totals.set(key, (totals.get(key) ?? 0) + Math.abs(numbers([row], mi)[0] ?? 0));
  }
  const keys = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const top = keys.slice(0, MAX_LINES);
  const lines = top.map(() => xs.map((): number | null => null));
  for (const row of rows) {
    const line = top.indexOf(String(row[oi]));
    const x = at.get(timeValue(time, row[ti] ?? null) as number) as number;
    if (line >= 0) lines[line][x] = numbers([row], mi)[0];
  }
  const series = top.map((key, i) => ({
    label: shorten(fmt.dimension(other, key), 28),
    stroke: colors[i % colors.length],
    width: 2,
    value,
    points: { show: xs.length <= 40 },
  }));
  const caption =
    keys.length > top.length
      ? `Top ${top.length} of ${keys.length} ${label(other).toLowerCase()} values by ${label(measure)}`
      : "";
  return { data: [xs, ...lines], series, caption, calendar, time };
}

function barData(report: Report, measure: string, fmt: Formatter, max: number): Drawn & { names: string[] } {
  const dim = report.dimensions[0];
  const di = report.columns.indexOf(dim);
  const mi = report.columns.indexOf(measure);
  const colors = palette();
  const kind = measureKind(measure);
  const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? "—" : fmt.number(kind, v));
  let rows = report.rows;
  if (report.kind !== "comparison") {
    // Biggest first; a comparison keeps its order (biggest change first).
    rows = [...rows].sort((a, b) => (numbers([b], mi)[0] ?? -Infinity) - (numbers([a], mi)[0] ?? -Infinity));
  }
  const shown = rows.slice(0, max);
  const xs = shown.map((_row, i) => i);
  const names = shown.map((row) => fmt.dimension(dim, row[di] ?? null));
  const which = report.kind === "comparison" ? "First" : "Top";
  const left = rows.length > shown.length;
  const caption = left ? `${which} ${shown.length} of ${rows.length} rows by ${label(measure)}` : "";
  if (report.kind === "comparison") {
    const bi = report.columns.indexOf(`${measure}_before`);
    const bars = (align: -1 | 1) => uPlot.paths.bars!({ size: [0.38, 40], align, gap: 1 });
    return {
      data: [xs, numbers(shown, mi), numbers(shown, bi)],
      series: [
        { label: "This period", fill: colors[0], stroke: colors[0], paths: bars(-1), points: { show: false }, value },
        { label: "Before", fill: colors[5], stroke: colors[5], paths: bars(1), points: { show: false }, value },
      ],
      names,
      caption,
    };
  }
  const bars = uPlot.paths.bars!({ size: [0.7, 56], gap: 1 });
  return {
    data: [xs, numbers(shown, mi)],
    series: [
      { label: label(measure), fill: colors[0], stroke: colors[0], paths: bars, points: { show: false }, value },
    ],
    names,
    caption,
  };
}

/** A key to the colours when there are several series; one series is named by the chart's measure picker. */
function legend(series: number): uPlot.Legend {
  return series > 1 ? { show: true, live: false } : { show: false };
}

export function drawChart(host: HTMLElement, report: Report, measure: string, fmt: Formatter): Chart | null {
  const kind = chartKind(report);
  if (kind === null || !report.columns.includes(measure)) return null;
  const width = Math.max(host.clientWidth, 240);
  const height = width < 480 ? 180 : 220;
  const legendStroke = cssVar("--kc-text-primary", "#111");
  let opts: uPlot.Options;
  let data: uPlot.AlignedData;
  let caption: string;
  if (kind === "line") {
    const line = lineData(report, measure, fmt);
    data = line.data;
    caption = line.caption;
    const xValue = (_u: uPlot, v: number | null) =>
      v === null || v === undefined ? "" : line.calendar ? fmt.at(line.time, v) : String(v);
    opts = {
      width,
      height,
      scales: { x: { time: line.calendar } },
      // The values are already in the report's timezone: draw them as given, not in the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [{ label: label(line.time), value: xValue }, ...line.series],
      axes: axes(
        fmt,
        measure,
        line.calendar ? {} : { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")) },
      ),
      legend: legend(line.series.length),
      cursor: { drag: { x: false, y: false } },
    };
  } else {
    // About 40 px a bar: a narrow frame shows fewer, still readable.
    const bars = barData(report, measure, fmt, Math.max(5, Math.min(MAX_BARS, Math.floor(width / 40))));
    data = bars.data;
    caption = bars.caption;
    const n = bars.names.length;
    const rotate = n * 70 > width;
    const short = bars.names.map((name) => shorten(name, rotate ? 16 : 12));
    opts = {
      width,
      height: height + (rotate ? 60 : 0),
      scales: {
        x: { time: false, range: [-0.5, n - 0.5] },
        // Bars start at zero, or their lengths lie.
        y: { range: (_u, min, max) => uPlot.rangeNum(Math.min(0, min), Math.max(0, max), 0.1, true) },
      },
      series: [
        {
          label: label(report.dimensions[0]),
          value: (_u, v) => (v === null || v === undefined ? "" : (bars.names[Math.round(v)] ?? "")),
        },
        ...bars.series,
      ],
      axes: axes(fmt, measure, {
        splits: () => bars.names.map((_name, i) => i),
        values: (_u, splits) => splits.map((i) => short[i] ?? ""),
        rotate: rotate ? 45 : 0,
        size: rotate ? 100 : 40,
        gap: 4,
      }),
      legend: legend(bars.series.length),
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    };
  }
  host.replaceChildren();
  host.style.setProperty("--kc-legend", legendStroke);
  const plot = new uPlot(opts, data, host);
  return { kind, plot, caption };
}
