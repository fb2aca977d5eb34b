// The report view: an MCP App (io.modelcontextprotocol/ui) that draws keitaro-mcp report results — build_report,
// compare_periods, export_report — as a chart and a sortable table, in the host's theme and locale.

import "uplot/dist/uPlot.min.css";
import "./style.css";

import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from "@modelcontextprotocol/ext-apps";

import { chartKind, drawChart, type Chart } from "./chart";
import { renderControls } from "./controls";
import { Formatter, label } from "./format";
import { readResult, type Report, type Shown } from "./model";
import { renderTable, type SortState } from "./table";

interface State {
  shown: Shown | null;
  args: Record<string, unknown> | null;
  sort: SortState | null;
  measure: string | null;
  busy: boolean;
  status: string;
}

const state: State = { shown: null, args: null, sort: null, measure: null, busy: false, status: "" };
const app = new App({ name: "keitaro-report-view", version: "1.0.0" }, {}, { autoResize: true });
const root = document.getElementById("app") as HTMLElement;
let context: McpUiHostContext = {};
let fmt = new Formatter(undefined);
let chart: Chart | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function toolName(): string | null {
  const fromHost = context.toolInfo?.tool?.name;
  if (typeof fromHost === "string") return fromHost;
  return state.shown && state.shown.kind !== "error" ? state.shown.tool : null;
}

function title(report: Report): string {
  const by = report.dimensions.map(label).join(" × ");
  if (report.kind === "comparison") return by ? `${by}: change between periods` : "Change between periods";
  if (report.kind === "export") return "Report export";
  return by ? `Report by ${by}` : "Report totals";
}

function countLine(report: Report): string {
  if (report.file) {
    const { rows, path, format, bytes } = report.file;
    const shown = report.rows.length < rows ? ` · first ${report.rows.length} shown` : "";
    const file = `${path} (${format.toUpperCase()}, ${fmt.bytes(bytes)})`;
    return `${fmt.number("count", rows)} rows written to ${file}${shown}`;
  }
  const n = report.rows.length;
  const rows = `${fmt.number("count", n)} ${n === 1 ? "row" : "rows"}`;
  if (report.total !== null && report.total > n) return `${rows} of ${fmt.number("count", report.total)}`;
  return rows;
}

function header(report: Report): HTMLElement {
  const head = el("header", "");
  head.append(el("h1", "", title(report)));
  const range = el("p", "range");
  const now = fmt.range(report.range);
  range.textContent = report.against ? `${now} vs ${fmt.range(report.against)}` : now;
  head.append(range, el("p", "count", countLine(report)));
  return head;
}

function chartSection(report: Report): HTMLElement | null {
  if (chartKind(report) === null) return null;
  const numeric = (m: string) => report.rows.some((row) => typeof row[report.columns.indexOf(m)] === "number");
  const measures = report.measures.filter(numeric);
  if (measures.length === 0) return null;
  const measure = state.measure && measures.includes(state.measure) ? state.measure : measures[0];
  const section = el("section", "chart");
  if (measures.length > 1) {
    const pick = el("label", "control");
    pick.append(el("span", "", "Chart"));
    const select = el("select", "");
    select.name = "measure";
    for (const m of measures) select.add(new Option(label(m), m, false, m === measure));
    select.addEventListener("change", () => {
      state.measure = select.value;
      render();
    });
    pick.append(select);
    section.append(pick);
  }
  const plot = el("div", "plot");
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", `${chartKind(report) === "line" ? "Line" : "Bar"} chart of ${label(measure)}`);
  section.append(plot);
  const caption = el("p", "caption");
  section.append(caption);
  // Drawn once the section is in the page and has a width.
  queueMicrotask(() => {
    chart = drawChart(plot, report, measure, fmt);
    caption.textContent = chart?.caption ?? "";
  });
  return section;
}

function render(): void {
  chart?.plot.destroy();
  chart = null;
  const shown = state.shown;
  // Money in the currency this result names (the table, totals, changes and the chart all read fmt).
  if (shown !== null && shown.kind !== "error") fmt = fmt.withCurrency(shown.currency);
  const main = el("main", state.busy ? "busy" : "");
  if (shown === null) {
    main.append(el("p", "waiting", "Waiting for the report…"));
  } else if (shown.kind === "error") {
    const box = el("div", "error");
    box.setAttribute("role", "alert");
    box.append(el("p", "", shown.message));
    if (shown.hint) box.append(el("p", "hint", shown.hint));
    main.append(box);
  } else {
    main.append(header(shown));
    const tool = toolName();
    if (tool && state.args && app.getHostCapabilities()?.serverTools) {
      const controls = renderControls(tool, state.args, state.busy, (args) => void recall(tool, args));
      if (controls) main.append(controls);
    }
    if (state.status) main.append(el("p", "status", state.status));
    if (shown.rows.length === 0) {
      main.append(el("p", "empty", "No rows for this period."));
    } else {
      const chartPart = chartSection(shown);
      if (chartPart) main.append(chartPart);
      const wrap = el("div", "table-wrap");
      wrap.tabIndex = 0;
      wrap.append(
        renderTable(shown, fmt, state.sort, (sort) => {
          state.sort = sort;
          render();
        }),
      );
      main.append(wrap);
    }
    if (shown.note) main.append(el("p", "note", shown.note));
  }
  root.replaceChildren(main);
}

async function recall(tool: string, args: Record<string, unknown>): Promise<void> {
  state.busy = true;
  state.status = "Loading…";
  render();
  try {
    const result = await app.callServerTool({ name: tool, arguments: args });
    const shown = readResult(result, args);
    state.status = "";
    if (shown !== null) {
      lastResult = result;
      state.shown = shown;
      state.args = args;
      state.sort = null;
      if (shown.kind !== "error" && app.getHostCapabilities()?.updateModelContext) {
        const now = `${tool} ${JSON.stringify(args)}, ${countLine(shown)}`;
        const text = `The user changed the report view: it now shows ${now}.`;
        await app.updateModelContext({ content: [{ type: "text", text }] }).catch(() => undefined);
      }
    }
  } catch (error) {
    state.status = `The host did not run ${tool}: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    state.busy = false;
    render();
  }
}

function applyContext(update: McpUiHostContext | undefined): void {
  if (!update) return;
  context = { ...context, ...update };
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
  fmt = new Formatter(context.locale, fmt.currency);
}

// The result as the host passed it: read again when the call's arguments arrive after it (they name the
// dimensions exactly, where the result alone leaves a guess for numeric ones such as hour).
let lastResult: Parameters<typeof readResult>[0] | null = null;

app.ontoolinput = (params) => {
  state.args = params.arguments ?? null;
  if (lastResult !== null) {
    state.shown = readResult(lastResult, state.args);
    render();
  }
};
app.ontoolresult = (result) => {
  lastResult = result;
  state.shown = readResult(result, state.args);
  state.sort = null;
  state.measure = null;
  state.status = "";
  render();
};
app.ontoolcancelled = (params) => {
  state.status = `The call was cancelled${params.reason ? `: ${params.reason}` : ""}.`;
  render();
};
app.onhostcontextchanged = (update) => {
  applyContext(update);
  render();
};
app.onteardown = async () => {
  chart?.plot.destroy();
  return {};
};

// The chart follows the frame's width (narrow chat columns, side panels, fullscreen).
let lastWidth = 0;
new ResizeObserver(() => {
  const plot = root.querySelector<HTMLElement>(".plot");
  if (!chart || !plot || Math.abs(plot.clientWidth - lastWidth) < 2) return;
  lastWidth = plot.clientWidth;
  render();
}).observe(root);

render();
app
  .connect()
  .then(() => {
    applyContext(app.getHostContext());
    render();
  })
  .catch((error: unknown) => {
    state.shown = { kind: "error", message: `Could not connect to the host: ${String(error)}`, hint: null };
    render();
  });
