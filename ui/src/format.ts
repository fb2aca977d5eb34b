// Numbers and dates in the host's locale. Report money is in the tracker's currency, which the result names in
// meta.currency (an ISO 4217 code, or null when the tracker's currency is not configured): money is shown in that
// currency the locale's way ("$1,234.50", "1.234,50 $"); without a usable code, with two decimals and no symbol.

import type { Cell, Range, Report } from "./model";
import { roleOf, TIME_DIMENSIONS } from "./model";

export type NumberKind = "count" | "money" | "percent" | "number";

// Keitaro measures in percent units (roi 50.5 means 50.5 %): rates, shares, ratios.
const PERCENT = /(^|_)(rate|share|approve|ctr|cr|crs|crl|roi|profitability)(_|$)/;
const MONEY = /(^|_)(revenue|cost|profit|epc|cpa|cpc|cps|cpl|ecpc|ecpm|ec)(_|$)/;
const FRACTIONAL = new Set(["landing_clicked_period"]);

export function measureKind(name: string): NumberKind {
  if (PERCENT.test(name)) return "percent";
  if (MONEY.test(name)) return "money";
  if (FRACTIONAL.has(name)) return "number";
  return "count";
}

// For these a rise is bad news: a comparison colours their change the other way round.
const LOWER_IS_BETTER = new Set([
  "cost", "cpa", "cpc", "cps", "cpl", "ecpc", "ec", "ec_confirmed", "bots", "bot_share", "proxies",
  "empty_referrers", "rejected", "rejected_revenue",
]);

export function lowerIsBetter(measure: string): boolean {
  return LOWER_IS_BETTER.has(measure);
}

const LABELS: Record<string, string> = {
  ts: "Traffic source",
  ts_id: "Traffic source id",
  stream: "Flow",
  stream_id: "Flow id",
  country_code: "Country",
  device_type: "Device",
  os: "OS",
  roi: "ROI",
  roi_confirmed: "ROI confirmed",
  cr: "CR",
  crs: "CR sales",
  crl: "CR leads",
  epc: "EPC",
  epc_confirmed: "EPC confirmed",
  cpa: "CPA",
  cpc: "CPC",
  cps: "CPS",
  cpl: "CPL",
  ecpc: "eCPC",
  ecpm: "eCPM",
  ecpm_confirmed: "eCPM confirmed",
  ec: "EC",
  ec_confirmed: "EC confirmed",
  lp_ctr: "LP CTR",
  lp_clicks: "LP clicks",
  lp_views: "LP views",
  day_hour: "Hour",
  datetime: "Time",
};

export function label(name: string): string {
  const known = LABELS[name];
  if (known) return known;
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A date-time dimension value as UTC epoch seconds: the tracker already answered in the report's timezone. */
export function timeValue(dimension: string, value: Cell): number | null {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return null;
  let text = value;
  if (dimension === "month" && /^\d{4}-\d{2}$/.test(text)) text += "-01";
  if (dimension === "day_hour" && /^\d{4}-\d{2}-\d{2} \d{2}$/.test(text)) text += ":00";
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = m;
  return Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
}

/** Whether a time dimension's values are calendar dates/times (true) or plain numbers like hour of day. */
export function isCalendar(dimension: string): boolean {
  return TIME_DIMENSIONS.has(dimension) && !["hour", "weekday", "year"].includes(dimension);
}

export class Formatter {
  readonly locale: string;
  private readonly count: Intl.NumberFormat;
  private readonly fraction: Intl.NumberFormat;
  private readonly money: Intl.NumberFormat;
  private readonly percent: Intl.NumberFormat;
  private readonly signedCount: Intl.NumberFormat;
  private readonly signedMoney: Intl.NumberFormat;
  private readonly signedFraction: Intl.NumberFormat;
  private readonly signedPercent: Intl.NumberFormat;
  /** The currency money is shown in, or null for two decimals and no symbol. */
  readonly currency: string | null;
  private readonly date: Intl.DateTimeFormat;
  private readonly month: Intl.DateTimeFormat;
  private readonly dateTime: Intl.DateTimeFormat;

  constructor(locale: string | undefined, currency: string | null = null) {
    this.locale = Formatter.supported(locale);
    const nf = (options: Intl.NumberFormatOptions) => new Intl.NumberFormat(this.locale, options);
    this.count = nf({ maximumFractionDigits: 0 });
    this.fraction = nf({ maximumFractionDigits: 2 });
    const money = Formatter.moneyFormats(this.locale, currency);
    this.currency = money.currency;
    this.money = money.plain;
    this.signedMoney = money.signed;
    this.percent = nf({ style: "percent", maximumFractionDigits: 2 });
    this.signedCount = nf({ maximumFractionDigits: 0, signDisplay: "exceptZero" });
    this.signedFraction = nf({ maximumFractionDigits: 2, signDisplay: "exceptZero" });
    this.signedPercent = nf({ style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
    const df = (options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat(this.locale, { timeZone: "UTC", ...options });
    this.date = df({ dateStyle: "medium" });
    this.month = df({ month: "short", year: "numeric" });
    this.dateTime = df({ dateStyle: "medium", timeStyle: "short" });
  }

  /** The same locale with money in another currency (this one when nothing changes). */
  withCurrency(currency: string | null): Formatter {
    return currency === this.currency ? this : new Formatter(this.locale, currency);
  }

  private static moneyFormats(
    locale: string,
    currency: string | null,
  ): { currency: string | null; plain: Intl.NumberFormat; signed: Intl.NumberFormat } {
    if (currency) {
      try {
        // The currency's own decimals (JPY none, USD two). A malformed code throws a RangeError.
        const options: Intl.NumberFormatOptions = { style: "currency", currency };
        return {
          currency,
          plain: new Intl.NumberFormat(locale, options),
          signed: new Intl.NumberFormat(locale, { ...options, signDisplay: "exceptZero" }),
        };
      } catch {
        // Not a currency code: shown as if none were named.
      }
    }
    const options: Intl.NumberFormatOptions = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
    return {
      currency: null,
      plain: new Intl.NumberFormat(locale, options),
      signed: new Intl.NumberFormat(locale, { ...options, signDisplay: "exceptZero" }),
    };
  }

  private static supported(locale: string | undefined): string {
    const wanted = locale || (typeof navigator !== "undefined" ? navigator.language : "") || "en-US";
    try {
      return Intl.NumberFormat.supportedLocalesOf([wanted]).length > 0 ? wanted : "en-US";
    } catch {
      return "en-US";
    }
  }

  number(kind: NumberKind, value: number, signed = false): string {
    if (kind === "percent") return (signed ? this.signedPercent : this.percent).format(value / 100);
    if (kind === "money") return (signed ? this.signedMoney : this.money).format(value);
    const whole = Number.isInteger(value);
    if (signed) return (whole ? this.signedCount : this.signedFraction).format(value);
    return (whole ? this.count : this.fraction).format(value);
  }

  /** A dimension value: calendar values in the locale, the rest as given. */
  dimension(name: string, value: Cell): string {
    if (value === null || value === "") return "—";
    if (isCalendar(name)) {
      const seconds = timeValue(name, value);
      if (seconds !== null) return this.at(name, seconds);
    }
    return String(value);
  }

  /** A calendar dimension's value given as UTC epoch seconds. */
  at(dimension: string, seconds: number): string {
    const when = new Date(seconds * 1000);
    if (dimension === "month") return this.month.format(when);
    if (dimension === "day_hour" || dimension === "datetime") return this.dateTime.format(when);
    return this.date.format(when);
  }

  /** A table cell: measures by their kind; a comparison's change and % columns signed. */
  cell(report: Report, column: string, value: Cell): string {
    const { role, measure } = roleOf(report, column);
    if (role === "dimension") return this.dimension(column, value);
    if (role === "change") return value === null ? "" : String(value);
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    if (role === "pct") return this.number("percent", value, true);
    const kind = measureKind(measure ?? column);
    return this.number(kind, value, role === "diff");
  }

  /** "Nov 25 – Dec 1, 2026 (UTC)" for a report range, or the interval name Keitaro was sent. */
  range(range: Range | null): string {
    if (!range) return "";
    const zone = range.timezone ? ` (${range.timezone})` : "";
    if (range.interval) return `${range.interval.replace(/_/g, " ")}${zone}`;
    const from = range.from ? timeValue("datetime", range.from.slice(0, 19)) : null;
    const to = range.to ? timeValue("datetime", range.to.slice(0, 19)) : null;
    if (from === null || to === null) return `${range.from ?? ""} – ${range.to ?? ""}${zone}`;
    const withTime = /\d{2}:\d{2}/.test(`${range.from}${range.to}`);
    const format = withTime ? this.dateTime : this.date;
    return `${format.formatRange(new Date(from * 1000), new Date(to * 1000))}${zone}`;
  }

  bytes(size: number): string {
    if (size < 1024) return `${this.count.format(size)} B`;
    if (size < 1024 * 1024) return `${this.fraction.format(size / 1024)} KB`;
    return `${this.fraction.format(size / 1024 / 1024)} MB`;
  }
}
