import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { Empty, ErrorNotice, Loading, PageHeader, formatNumber } from "../../components/ui";
import { EChart } from "../../components/EChart";
import { ReportFilters, ReportTabs, formatMoney, formatPeriod, reportQuery, useReportParams } from "./ReportControls";
import "./reports.css";

type Report = Schemas["AttributionReportView"];

const modelNames: Record<string, string> = {
  first_touch: "First touch",
  last_touch: "Last touch",
  linear: "Linear",
  time_decay: "Time decay",
  position_based: "Position-based (40/20/40)",
};

/** Revenue attribution: each model's credit per journey, template or channel, side by side, as a chart and a table. */
export function AttributionPage() {
  const { get, set } = useReportParams();
  const values = { model: get("model"), by: get("by"), from: get("from"), to: get("to") };
  const report = useQuery({
    queryKey: ["reports", "attribution", values],
    queryFn: () =>
      unwrap(api.GET("/api/reports/attribution", { params: { query: { model: values.model || undefined, by: values.by || undefined, from: values.from || undefined, to: values.to || undefined } } })),
  });
  const data = report.data;

  return (
    <>
      <PageHeader title="Attribution" subtitle="Revenue from the workspace's conversion credited to the messages that touched each contact before it, under each model." />
      <ReportTabs />
      <ReportFilters label="Attribution period and grouping" csv={`/api/reports/attribution?${reportQuery(values, true)}`}>
        <label>Rows per
          <select value={values.by} onChange={(e) => set("by", e.target.value)}>
            <option value="">journey</option>
            <option value="template">template</option>
            <option value="channel">channel</option>
          </select>
        </label>
        <label>Model
          <select value={values.model} onChange={(e) => set("model", e.target.value)}>
            <option value="">all, side by side</option>
            {Object.entries(modelNames).map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </select>
        </label>
      </ReportFilters>
      {report.isPending && <Loading what="attribution" />}
      <ErrorNotice error={report.error} />
      {data && <AttributionReport report={data} />}
    </>
  );
}

function AttributionReport({ report }: { report: Report }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: report.rows.map((row) => row.name), axisLabel: { interval: 0, overflow: "truncate", width: 120 } },
      yAxis: { type: "value", axisLabel: { formatter: (value: number) => value.toLocaleString("en-US") } },
      series: report.models.map((model, index) => ({
        name: modelNames[model] ?? model,
        type: "bar",
        data: report.rows.map((row) => Number(row.credits[index]?.revenue ?? 0)),
      })),
    }),
    [report],
  );
  const by = report.by;
  return (
    <>
      <p className="report-scope">
        {formatPeriod(report.from, report.to)} · conversion <code>{report.conversionEvent}</code> with revenue in <code>{report.revenueProperty}</code> ·
        lookback {report.lookback}, time-decay half-life {report.halfLife}
      </p>
      <div className="cards" aria-label="Totals">
        <div className="card"><div className="value">{formatNumber(report.conversions)}</div><div className="label">conversions</div></div>
        <div className="card"><div className="value">{formatMoney(report.revenue)}</div><div className="label">revenue</div></div>
        <div className="card"><div className="value">{formatNumber(report.attributed)}</div><div className="label">attributed ({formatMoney(report.attributedRevenue)})</div></div>
        <div className="card"><div className="value">{formatNumber(report.unattributed)}</div><div className="label">unattributed ({formatMoney(report.unattributedRevenue)})</div></div>
      </div>
      {report.rows.length === 0 ? (
        <Empty>No conversion in this period was preceded by a message within the lookback.</Empty>
      ) : (
        <>
          <section className="panel" aria-label="Revenue credited per model">
            <EChart option={option} label={`Revenue credited per ${by} under ${report.models.length === 1 ? "the chosen model" : "each model"}, as grouped bars`} />
          </section>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Credit per group and model">
            <table className="table attribution-table">
              <caption>Revenue (and conversions) credited per {by}</caption>
              <thead>
                <tr>
                  <th scope="col">{by[0].toUpperCase() + by.slice(1)}</th>
                  {report.models.map((model) => <th key={model} scope="col" className="number">{modelNames[model] ?? model}</th>)}
                </tr>
              </thead>
              <tbody>
                {report.rows.map((row) => (
                  <tr key={row.key}>
                    <th scope="row">{row.name}{row.name !== row.key && row.key && <span className="muted"> {row.key}</span>}</th>
                    {row.credits.map((credit) => (
                      <td key={credit.model} className="number">
                        {formatMoney(credit.revenue)}
                        <span className="muted"> {Number(credit.conversions).toFixed(2)} conv.</span>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Unattributed</th>
                  {report.models.map((model) => (
                    <td key={model} className="number">{formatMoney(report.unattributedRevenue)}<span className="muted"> {formatNumber(report.unattributed)} conv.</span></td>
                  ))}
                </tr>
                <tr>
                  <th scope="row">Total</th>
                  {report.models.map((model) => (
                    <td key={model} className="number">{formatMoney(report.revenue)}<span className="muted"> {formatNumber(report.conversions)} conv.</span></td>
                  ))}
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </>
  );
}
