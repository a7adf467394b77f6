import type { ReactNode } from "react";
import { NavLink, useSearchParams } from "react-router-dom";

/** The query parameters of a report page, kept in the address so that a report can be linked to. */
export function useReportParams() {
  const [params, setParams] = useSearchParams();
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  return { get: (name: string) => params.get(name) ?? "", set };
}

/** The two measurement reports of this area, as tabs. */
export function ReportTabs() {
  return (
    <nav className="tabs" aria-label="Measurement reports">
      <NavLink to="/reports/attribution">Attribution</NavLink>
      <NavLink to="/reports/control-group">Global control group</NavLink>
    </nav>
  );
}

/** The period pickers (empty: the last 30 days) and whatever else the report filters on, with the CSV download. */
export function ReportFilters({ label, csv, children }: { label: string; csv: string; children?: ReactNode }) {
  const { get, set } = useReportParams();
  return (
    <form className="panel filters report-filters" aria-label={label} onSubmit={(e) => e.preventDefault()}>
      <div className="row">
        <label>From<input type="date" value={get("from")} onChange={(e) => set("from", e.target.value)} /></label>
        <label>To<input type="date" value={get("to")} onChange={(e) => set("to", e.target.value)} /></label>
        {children}
        <a className="button secondary download" href={csv} download>Download CSV</a>
      </div>
    </form>
  );
}

/** The query string of a report: the non-empty parameters, plus <c>format=csv</c> for the download. */
export function reportQuery(values: Record<string, string>, csv = false): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
  if (csv) query.set("format", "csv");
  return query.toString();
}

/** A period as the report states it: "1 Nov 2026 – 30 Nov 2026 (UTC)", the end being exclusive. */
export function formatPeriod(from: string, to: string): string {
  const day = (value: string) => new Date(value).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const end = new Date(new Date(to).getTime() - 1).toISOString();
  return `${day(from)} – ${day(end)} (UTC)`;
}

/** A money amount with two decimals and grouping. */
export function formatMoney(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A rate as a percentage. */
export function formatRate(value: number | string | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return "–";
  return `${(Number(value) * 100).toFixed(digits)} %`;
}
