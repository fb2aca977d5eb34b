// What the view draws, read from a keitaro-mcp tool result: the envelope in structuredContent (or the same JSON in
// the text block), never anything the result does not carry. Report tools answer
//   build_report     data {columns, rows, summary?}, meta {range, currency, total?, next_offset?}
//   compare_periods  data {columns: [...dims, "change", m, m_before, m_diff, m_pct, ...], rows, summary?},
//                    meta {range, against_range, currency, total?, truncated?, note?}
//   export_report    data {path, format, rows, bytes, columns, preview}, meta {range, currency}
// meta.currency is the ISO 4217 code of money measures, or null when the tracker's currency is not configured.

export type Cell = string | number | boolean | null;

export interface Range {
  from?: string;
  to?: string;
  interval?: string;
  timezone?: string;
}

export type ResultKind = "report" | "comparison" | "export";

export interface Report {
  kind: ResultKind;
  tool: string;
  columns: string[];
  rows: Cell[][];
  summary: Record<string, Cell> | null;
  /** Group-by columns, in order. */
  dimensions: string[];
  /** Base measure names (for a comparison: without the _before/_diff/_pct suffixes). */
  measures: string[];
  range: Range | null;
  against: Range | null;
  /** The currency of money measures as the result names it (unchecked), or null. */
  currency: string | null;
  /** Rows the tracker has in all (more than shown when paged or capped). */
  total: number | null;
  note: string | null;
  file: { path: string; format: string; rows: number; bytes: number } | null;
}

export interface Failure {
  kind: "error";
  message: string;
  hint: string | null;
}

export type Shown = Report | Failure;

/** Time dimensions, drawn as a line. hour, weekday and year are numbers; the rest are date-time strings. */
export const TIME_DIMENSIONS = new Set(["datetime", "year", "month", "week", "weekday", "day", "hour", "day_hour"]);

const TOOL_BY_OPERATION: Record<string, string> = {
  "stats/getAll": "build_report",
  "stats/compare": "compare_periods",
  "stats/export": "export_report",
};

interface ToolResultLike {
  structuredContent?: unknown;
  content?: ReadonlyArray<{ type: string; text?: string }>;
  isError?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function envelopeOf(result: ToolResultLike): Record<string, unknown> | null {
  if (isRecord(result.structuredContent)) return result.structuredContent;
  for (const block of result.content ?? []) {
    if (block.type !== "text" || !block.text) continue;
    try {
      const parsed: unknown = JSON.parse(block.text);
      if (isRecord(parsed)) return parsed;
    } catch {
      // Not JSON: a plain-text tool result, nothing this view can draw.
    }
  }
  return null;
}

function asRange(value: unknown): Range | null {
  return isRecord(value) ? (value as Range) : null;
}

function asRows(value: unknown): Cell[][] {
  return Array.isArray(value) ? value.filter((row): row is Cell[] => Array.isArray(row)) : [];
}

function isIdColumn(name: string): boolean {
  return name === "id" || name.endsWith("_id") || name.endsWith("_code");
}

/** Columns that are dimensions when the call's arguments are not known: leading non-measure columns. */
function leadingDimensions(columns: string[], rows: Cell[][]): string[] {
  const dims: string[] = [];
  for (const [i, name] of columns.entries()) {
    const numeric = rows.length > 0 && rows.every((row) => row[i] === null || typeof row[i] === "number");
    if (numeric && !TIME_DIMENSIONS.has(name) && !isIdColumn(name)) break;
    dims.push(name);
  }
  return dims;
}

/** The report in a tool result, or the failure it reports, or null when the result is nothing this view draws. */
export function readResult(result: ToolResultLike, args: Record<string, unknown> | null): Shown | null {
  const envelope = envelopeOf(result);
  if (envelope === null) {
    if (result.isError) {
      const text = (result.content ?? []).map((block) => block.text ?? "").join("\n");
      return { kind: "error", message: text || "The tool failed.", hint: null };
    }
    return null;
  }
  if (envelope.success === false) {
    const error = isRecord(envelope.error) ? envelope.error : {};
    return {
      kind: "error",
      message: typeof error.message === "string" ? error.message : "The tool failed.",
      hint: typeof error.hint === "string" ? error.hint : null,
    };
  }
  const data = envelope.data;
  const meta = isRecord(envelope.meta) ? envelope.meta : {};
  if (!isRecord(data) || !Array.isArray(data.columns)) return null;
  const operation = `${String(envelope.resource)}/${String(envelope.operation)}`;
  const tool = TOOL_BY_OPERATION[operation] ?? String(envelope.operation);
  const columns = data.columns.map(String);
  const common = {
    tool,
    columns,
    range: asRange(meta.range),
    against: asRange(meta.against_range),
    currency: typeof meta.currency === "string" && meta.currency ? meta.currency : null,
    total: typeof meta.total === "number" ? meta.total : null,
    note: typeof meta.note === "string" ? meta.note : null,
  };
  const summary = isRecord(data.summary) ? (data.summary as Record<string, Cell>) : null;

  if (typeof data.path === "string") {
    const rows = asRows(data.preview);
    const dims = leadingDimensions(columns, rows);
    return {
      ...common,
      kind: "export",
      rows,
      summary: null,
      dimensions: dims,
      measures: columns.filter((c) => !dims.includes(c)),
      file: {
        path: data.path,
        format: String(data.format ?? ""),
        rows: Number(data.rows ?? rows.length),
        bytes: Number(data.bytes ?? 0),
      },
    };
  }

  const rows = asRows(data.rows);
  const change = columns.indexOf("change");
  if (change >= 0 && columns[change + 1] !== undefined && columns[change + 2] === `${columns[change + 1]}_before`) {
    const measures: string[] = [];
    for (let i = change + 1; i < columns.length; i += 4) measures.push(columns[i]);
    return {
      ...common,
      kind: "comparison",
      rows,
      summary,
      dimensions: columns.slice(0, change),
      measures,
      file: null,
    };
  }

  const given = Array.isArray(args?.dimensions) ? args.dimensions.map(String) : null;
  const dims = given && given.every((d) => columns.includes(d)) ? given : leadingDimensions(columns, rows);
  return {
    ...common,
    kind: "report",
    rows,
    summary,
    dimensions: dims,
    measures: columns.filter((c) => !dims.includes(c)),
    file: null,
  };
}

/** Where a column of a comparison sits in its group of four. */
export type Role = "dimension" | "change" | "value" | "before" | "diff" | "pct";

export function roleOf(report: Report, column: string): { role: Role; measure: string | null } {
  if (report.dimensions.includes(column)) return { role: "dimension", measure: null };
  if (report.kind !== "comparison") return { role: "value", measure: column };
  if (column === "change") return { role: "change", measure: null };
  for (const m of report.measures) {
    if (column === m) return { role: "value", measure: m };
    if (column === `${m}_before`) return { role: "before", measure: m };
    if (column === `${m}_diff`) return { role: "diff", measure: m };
    if (column === `${m}_pct`) return { role: "pct", measure: m };
  }
  return { role: "value", measure: column };
}
