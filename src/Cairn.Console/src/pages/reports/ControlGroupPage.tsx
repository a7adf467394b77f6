import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { ErrorNotice, Loading, PageHeader, formatNumber } from "../../components/ui";
import { ReportFilters, ReportTabs, formatMoney, formatPeriod, formatRate, reportQuery, useReportParams } from "./ReportControls";
import "./reports.css";

type Report = Schemas["ControlGroupReportView"];
type Side = Schemas["ControlGroupSideView"];
type Interval = Schemas["ControlGroupIntervalView"];

/** The global control group against everyone else: conversion rate and revenue per contact with their intervals, and the verdict. */
export function ControlGroupPage() {
  const { get } = useReportParams();
  const values = { from: get("from"), to: get("to") };
  const report = useQuery({
    queryKey: ["reports", "control-group", values],
    queryFn: () => unwrap(api.GET("/api/reports/control-group", { params: { query: { from: values.from || undefined, to: values.to || undefined } } })),
  });
  return (
    <>
      <PageHeader title="Global control group" subtitle="Contacts held out of every promotional message against everyone else: what all marketing together adds." />
      <ReportTabs />
      <ReportFilters label="Control-group period" csv={`/api/reports/control-group?${reportQuery(values, true)}`} />
      {report.isPending && <Loading what="the control group" />}
      <ErrorNotice error={report.error} />
      {report.data && <ControlGroupReport report={report.data} />}
    </>
  );
}

function ControlGroupReport({ report }: { report: Report }) {
  const percent = Number(report.percent);
  return (
    <>
      <p className="report-scope">
        {formatPeriod(report.from, report.to)} · conversion <code>{report.conversionEvent}</code> · {percent > 0 ? <>control group {percent} % of contacts (buckets {formatNumber(report.firstBucket)}–9,999)</> : "no control group"} · {Number(report.confidence) * 100} % intervals
      </p>
      <p className="verdict" role="status">{report.verdict}</p>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Groups compared">
        <table className="table control-table">
          <caption>Control group and everyone else, over the period</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col" className="number">Contacts (n)</th>
              <th scope="col" className="number">Converters</th>
              <th scope="col" className="number">Conversions</th>
              <th scope="col" className="number">Conversion rate</th>
              <th scope="col" className="number">Revenue</th>
              <th scope="col" className="number">Revenue per contact</th>
            </tr>
          </thead>
          <tbody>
            <SideRow name="Control group" side={report.control} />
            <SideRow name="Everyone else" side={report.others} />
          </tbody>
        </table>
      </div>
      <div className="interval-grid">
        <IntervalPlot
          title="Conversion rate"
          format={(value) => formatRate(value, 1)}
          rows={[
            { name: "Control group", value: report.control.conversionRate, interval: report.control.conversionRateInterval },
            { name: "Everyone else", value: report.others.conversionRate, interval: report.others.conversionRateInterval },
          ]}
          difference={report.conversionRate ? { value: report.conversionRate.absolute, interval: report.conversionRate.interval, p: report.conversionRate.pValue, relative: report.conversionRate.relative } : null}
          formatDifference={(value) => `${(Number(value) * 100).toFixed(2)} pt`}
        />
        <IntervalPlot
          title="Revenue per contact"
          format={formatMoney}
          rows={[
            { name: "Control group", value: report.control.revenuePerContact, interval: report.control.revenuePerContactInterval },
            { name: "Everyone else", value: report.others.revenuePerContact, interval: report.others.revenuePerContactInterval },
          ]}
          difference={report.revenuePerContact ? { value: report.revenuePerContact.absolute, interval: report.revenuePerContact.interval, p: report.revenuePerContact.pValue, relative: report.revenuePerContact.relative } : null}
          formatDifference={formatMoney}
        />
      </div>
    </>
  );
}

function SideRow({ name, side }: { name: string; side: Side }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td className="number">{formatNumber(side.contacts)}</td>
      <td className="number">{formatNumber(side.converters)}</td>
      <td className="number">{formatNumber(side.conversions)}</td>
      <td className="number">{formatRate(side.conversionRate)} <span className="muted">{formatInterval(side.conversionRateInterval, (v) => formatRate(v))}</span></td>
      <td className="number">{formatMoney(side.revenue)}</td>
      <td className="number">{formatMoney(side.revenuePerContact)} <span className="muted">{formatInterval(side.revenuePerContactInterval, formatMoney)}</span></td>
    </tr>
  );
}

function formatInterval(interval: Interval | null | undefined, format: (value: number) => string): string {
  if (!interval) return "";
  const bound = (value: number | string | null | undefined) => (value === null || value === undefined ? "∞" : format(Number(value)));
  return `[${bound(interval.lower)}, ${bound(interval.upper)}]`;
}

type PlotRow = { name: string; value: number | string; interval: Interval | null | undefined };

/** Each group's estimate as a dot on its confidence interval, on one shared axis, and the difference in words below. */
function IntervalPlot({ title, rows, format, difference, formatDifference }: {
  title: string;
  rows: PlotRow[];
  format: (value: number) => string;
  difference: { value: number | string; interval: Interval; p: number | string; relative?: number | string | null } | null;
  formatDifference: (value: number) => string;
}) {
  const bounds = rows.flatMap((row) => [Number(row.value), ...(row.interval ? [row.interval.lower, row.interval.upper] : [])]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(Number(v))).map(Number);
  const low = Math.min(0, ...bounds);
  const high = Math.max(...bounds, low + 1e-9);
  const width = 320;
  const x = (value: number) => 90 + ((value - low) / (high - low)) * (width - 110);
  const describe = rows.map((row) => `${row.name} ${format(Number(row.value))} ${formatInterval(row.interval, format)}`).join("; ");
  return (
    <figure className="panel interval-plot">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${rows.length * 36 + 24}`} role="img" aria-label={`${title}: ${describe}`}>
        {rows.map((row, i) => {
          const y = 20 + i * 36;
          // No interval (no contacts, or fewer than two): no line; an unbounded side runs to the edge.
          const lower = row.interval ? Number(row.interval.lower ?? low) : null;
          const upper = row.interval ? Number(row.interval.upper ?? high) : null;
          return (
            <g key={row.name}>
              <text x={0} y={y + 4} className="plot-label">{row.name}</text>
              {lower !== null && upper !== null && (
                <>
                  <line x1={x(lower)} x2={x(upper)} y1={y} y2={y} className="plot-interval" />
                  <line x1={x(lower)} x2={x(lower)} y1={y - 6} y2={y + 6} className="plot-interval" />
                  <line x1={x(upper)} x2={x(upper)} y1={y - 6} y2={y + 6} className="plot-interval" />
                </>
              )}
              <circle cx={x(Number(row.value))} cy={y} r={5} className={i === 0 ? "plot-dot control" : "plot-dot"} />
            </g>
          );
        })}
        <text x={90} y={rows.length * 36 + 18} className="plot-axis">{format(low)}</text>
        <text x={width - 20} y={rows.length * 36 + 18} className="plot-axis" textAnchor="end">{format(high)}</text>
      </svg>
      <p className="difference">
        {difference
          ? <>Difference {formatDifference(Number(difference.value))} {formatInterval(difference.interval, formatDifference)}{difference.relative !== null && difference.relative !== undefined ? `, ${(Number(difference.relative) * 100).toFixed(1)} % relative` : ""}, p = {Number(difference.p) < 0.001 ? "< 0.001" : Number(difference.p).toFixed(3)}</>
          : "Not enough contacts for a difference yet."}
      </p>
    </figure>
  );
}
