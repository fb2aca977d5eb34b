// Optional interaction: a period selector and a dimension switch. Each asks the host to call the same tool again
// with changed arguments; they are shown only when the host proxies tool calls from the view and told the view
// the call's arguments.

export const PERIODS: ReadonlyArray<readonly [string, string]> = [
  ["today", "Today"],
  ["yesterday", "Yesterday"],
  ["last_7_days", "Last 7 days"],
  ["last_30_days", "Last 30 days"],
  ["this_week", "This week"],
  ["last_week", "Last week"],
  ["this_month", "This month"],
  ["last_month", "Last month"],
];

export const DIMENSIONS: ReadonlyArray<readonly [string, string]> = [
  ["day", "Day"],
  ["week", "Week"],
  ["month", "Month"],
  ["hour", "Hour of day"],
  ["campaign", "Campaign"],
  ["offer", "Offer"],
  ["landing", "Landing"],
  ["ts", "Traffic source"],
  ["country", "Country"],
  ["device_type", "Device"],
  ["os", "OS"],
];

/** Tools whose arguments the controls know how to change. */
export const RECALLABLE = new Set(["build_report", "compare_periods"]);

// Hidden aliases of `period` (from/to, date, days): dropped when the view sets a period.
const PERIOD_ALIASES = ["from", "to", "date", "days"];

export function withPeriod(args: Record<string, unknown>, period: string): Record<string, unknown> {
  const next: Record<string, unknown> = { ...args, period };
  for (const key of PERIOD_ALIASES) delete next[key];
  return next;
}

export function withDimension(args: Record<string, unknown>, dimension: string): Record<string, unknown> {
  const next: Record<string, unknown> = { ...args, dimensions: [dimension] };
  // A sort by a dimension that is no longer there is refused by the tool: fall back to its default order.
  const sort = typeof args.sort === "string" ? args.sort.replace(/^-/, "") : null;
  const measures = Array.isArray(args.measures) ? args.measures.map(String) : [];
  if (sort !== null && !measures.includes(sort)) delete next.sort;
  delete next.offset;
  return next;
}

function select(
  name: string,
  text: string,
  options: ReadonlyArray<readonly [string, string]>,
  current: string,
  currentText: string,
  onPick: (value: string) => void,
): HTMLLabelElement {
  const wrap = document.createElement("label");
  wrap.className = "control";
  const caption = document.createElement("span");
  caption.textContent = text;
  const el = document.createElement("select");
  el.name = name;
  if (!options.some(([value]) => value === current)) {
    el.add(new Option(currentText, current, true, true));
  }
  for (const [value, shown] of options) el.add(new Option(shown, value, false, value === current));
  el.addEventListener("change", () => onPick(el.value));
  wrap.append(caption, el);
  return wrap;
}

export function renderControls(
  tool: string,
  args: Record<string, unknown>,
  busy: boolean,
  recall: (args: Record<string, unknown>) => void,
): HTMLElement | null {
  if (!RECALLABLE.has(tool) || args.body !== undefined) return null;
  const bar = document.createElement("div");
  bar.className = "controls";
  const period = typeof args.period === "string" ? args.period : "";
  bar.append(
    select("period", "Period", PERIODS, period, period ? period.replace(/_/g, " ") : "Default", (value) =>
      recall(withPeriod(args, value)),
    ),
  );
  const dims = Array.isArray(args.dimensions) ? args.dimensions.map(String) : [];
  const current = dims.join(",");
  const shown = current.replace(/,/g, ", ") || "Total";
  const pick = (value: string) => recall(withDimension(args, value));
  bar.append(select("dimension", "By", DIMENSIONS, dims.length === 1 ? dims[0] : current, shown, pick));
  for (const el of bar.querySelectorAll("select")) el.disabled = busy;
  return bar;
}
