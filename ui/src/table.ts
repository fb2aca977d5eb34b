// The sortable table: every row the result carries, numbers right-aligned in the locale, a comparison's changes
// coloured by sign (green is good news: for costs a fall), totals in the footer.

import { Formatter, label, lowerIsBetter } from "./format";
import type { Cell, Report } from "./model";
import { roleOf } from "./model";

export interface SortState {
  column: string;
  descending: boolean;
}

function compare(a: Cell, b: Cell, collator: Intl.Collator): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return collator.compare(String(a), String(b));
}

export function sortedRows(report: Report, sort: SortState | null, locale: string): Cell[][] {
  if (!sort) return report.rows;
  const i = report.columns.indexOf(sort.column);
  if (i < 0) return report.rows;
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: "base" });
  const sign = sort.descending ? -1 : 1;
  return [...report.rows].sort((x, y) => {
    const a = x[i];
    const b = y[i];
    // Empty cells stay at the bottom whichever way the column is sorted.
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
    if (b === null || b === undefined) return -1;
    return sign * compare(a, b, collator);
  });
}

function tone(report: Report, column: string, value: Cell): string {
  const { role, measure } = roleOf(report, column);
  if ((role !== "diff" && role !== "pct") || typeof value !== "number" || value === 0) return "";
  const good = measure !== null && lowerIsBetter(measure) ? value < 0 : value > 0;
  return good ? "up" : "down";
}

function cellElement(tag: "td" | "th", text: string, classes: string): HTMLElement {
  const el = document.createElement(tag);
  if (classes) el.className = classes;
  el.textContent = text;
  return el;
}

/** A comparison row's change: "new" (only in this period) or "gone" (only in the one before), as a badge. */
function changeElement(value: Cell): HTMLElement {
  const el = document.createElement("td");
  el.className = "dim";
  if (typeof value === "string" && value) {
    const badge = document.createElement("span");
    badge.className = `badge ${value === "gone" ? "gone" : "new"}`;
    badge.textContent = value;
    el.append(badge);
  }
  return el;
}

export function renderTable(
  report: Report,
  fmt: Formatter,
  sort: SortState | null,
  onSort: (next: SortState) => void,
): HTMLElement {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const column of report.columns) {
    const { role } = roleOf(report, column);
    const th = document.createElement("th");
    th.scope = "col";
    th.className = role === "dimension" || role === "change" ? "dim" : "num";
    const active = sort?.column === column;
    th.setAttribute("aria-sort", active ? (sort.descending ? "descending" : "ascending") : "none");
    const button = document.createElement("button");
    button.type = "button";
    button.title = column;
    button.textContent = headerText(report, column);
    const arrow = document.createElement("span");
    arrow.className = "arrow";
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = active ? (sort.descending ? "▼" : "▲") : "";
    button.append(arrow);
    // Numbers sort biggest first on the first click, names A to Z.
    const firstDescending = th.className === "num";
    button.addEventListener("click", () =>
      onSort({ column, descending: active ? !sort.descending : firstDescending }),
    );
    th.append(button);
    head.append(th);
  }

  const body = table.createTBody();
  for (const row of sortedRows(report, sort, fmt.locale)) {
    const tr = body.insertRow();
    for (const [i, column] of report.columns.entries()) {
      const { role } = roleOf(report, column);
      const value = row[i] ?? null;
      if (role === "change") {
        tr.append(changeElement(value));
        continue;
      }
      const classes = [role === "dimension" ? "dim" : "num", tone(report, column, value)];
      tr.append(cellElement(i === 0 ? "th" : "td", fmt.cell(report, column, value), classes.join(" ").trim()));
    }
  }

  if (report.summary && report.rows.length > 0) {
    const foot = table.createTFoot().insertRow();
    for (const [i, column] of report.columns.entries()) {
      const { role } = roleOf(report, column);
      if (role === "dimension" || role === "change") {
        foot.append(cellElement(i === 0 ? "th" : "td", i === 0 ? "Total" : "", "dim"));
        continue;
      }
      const value = report.summary[column] ?? null;
      const text = value === null ? "" : fmt.cell(report, column, value);
      foot.append(cellElement("td", text, `num ${tone(report, column, value)}`.trim()));
    }
  }
  return table;
}

function headerText(report: Report, column: string): string {
  const { role, measure } = roleOf(report, column);
  if (role === "before") return `${label(measure ?? column)} before`;
  if (role === "diff") return `${label(measure ?? column)} Δ`;
  if (role === "pct") return `${label(measure ?? column)} Δ%`;
  if (role === "change") return "";
  return label(column);
}
