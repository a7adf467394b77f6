import { Suspense, lazy, useEffect, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { Empty, ErrorNotice, Loading, formatNumber } from "../../components/ui";

// echarts loads with the chart, not with the console.
const PerformanceChart = lazy(() => import("./PerformanceChart").then((module) => ({ default: module.PerformanceChart })));

type Row = Schemas["MessagePerformanceRowView"];
type Rate = Schemas["RateView"];

const groupings = ["template", "journey", "channel", "day"] as const;
const channels = ["email", "sms", "push", "in_app", "webhook"];
const textFilters = ["from", "to", "journey", "template"] as const;
type TextFilter = (typeof textFilters)[number];

/** A rate as a percentage with the counts behind it in its title, or a dash when there is nothing to measure it on. */
function RateCell({ rate }: { rate: Rate }) {
  if (rate.value === null) return <span title="no message to measure it on">–</span>;
  const percent = (Number(rate.value) * 100).toFixed(1) + " %";
  return <span title={`${formatNumber(rate.numerator)} of ${formatNumber(rate.denominator)}`}>{percent}</span>;
}

/** A count with its rate under it. */
function Figure({ count, rate }: { count: number | string; rate?: Rate }) {
  return (
    <>
      {formatNumber(count)}
      {rate && <span className="rate"><RateCell rate={rate} /></span>}
    </>
  );
}

/** The figures' column headings, in order after the group's; a phone shows each beside its figure instead. */
const columns = ["Sent", "Delivered", "Bounced", "Opened", "Clicked", "Click-to-open", "Unsubscribed", "Complaints", "Machine opens", "Machine clicks"] as const;

function PerformanceRow({ row, header }: { row: Row; header?: boolean }) {
  const Cell = header ? "th" : "td";
  const figures = [
    formatNumber(row.sent),
    <Figure count={row.delivered} rate={row.rates.delivery} />,
    <Figure count={row.bounced} rate={row.rates.bounce} />,
    <Figure count={row.opened} rate={row.rates.open} />,
    <Figure count={row.clicked} rate={row.rates.click} />,
    <RateCell rate={row.rates.clickToOpen} />,
    <Figure count={row.unsubscribed} rate={row.rates.unsubscribe} />,
    <Figure count={row.complained} rate={row.rates.complaint} />,
    formatNumber(row.machineOpened),
    formatNumber(row.machineClicked),
  ];
  return (
    <tr>
      <Cell scope="row" className="mono group">{row.group}</Cell>
      {figures.map((figure, index) => (
        <td key={columns[index]} data-label={columns[index]} className={columns[index].startsWith("Machine") ? "machine" : undefined}><span>{figure}</span></td>
      ))}
    </tr>
  );
}

/**
 * Message performance: the messages sent in a period grouped by template, journey, channel or day, with their
 * outcomes and rates; likely machine opens and clicks in their own columns (added to opened and clicked on request);
 * a chart by day; the same report as CSV.
 */
export function Performance() {
  const [params, setParams] = useSearchParams();
  const by = params.get("by") ?? "template";
  const channel = params.get("channel") ?? "";
  const machine = params.get("machine") === "include" ? "include" : "exclude";
  const applied = Object.fromEntries(textFilters.map((name) => [name, params.get(name) ?? ""])) as Record<TextFilter, string>;
  const [draft, setDraft] = useState(applied);
  // The router applies a URL change in a transition; the box follows the click at once, and the URL when it changes.
  const [includeMachines, setIncludeMachines] = useState(machine === "include");
  useEffect(() => setIncludeMachines(machine === "include"), [machine]);
  const update = (values: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(values)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next, { replace: true });
  };
  const apply = (event: FormEvent) => {
    event.preventDefault();
    update(Object.fromEntries(textFilters.map((name) => [name, draft[name].trim()])));
  };

  const filters = {
    from: applied.from || undefined,
    to: applied.to || undefined,
    journey: applied.journey || undefined,
    template: applied.template || undefined,
    channel: channel || undefined,
    machine,
  };
  const report = useQuery({
    queryKey: ["message-performance", by, filters],
    queryFn: () => unwrap(api.GET("/api/reports/messages", { params: { query: { ...filters, by } } })),
  });
  const daily = useQuery({
    queryKey: ["message-performance", "day", filters],
    queryFn: () => unwrap(api.GET("/api/reports/messages", { params: { query: { ...filters, by: "day" } } })),
  });
  const csv = new URLSearchParams(Object.entries({ ...filters, by, format: "csv" }).filter((entry): entry is [string, string] => !!entry[1]));

  return (
    <>
      <form className="panel filters" aria-label="Report period and filters" onSubmit={apply}>
        <div className="row">
          <label>From
            <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          </label>
          <label>To
            <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          </label>
          <label>Journey
            <input value={draft.journey} maxLength={200} onChange={(e) => setDraft({ ...draft, journey: e.target.value })} />
          </label>
          <label>Template
            <input value={draft.template} maxLength={200} onChange={(e) => setDraft({ ...draft, template: e.target.value })} />
          </label>
          <label>Channel
            <select value={channel} onChange={(e) => update({ channel: e.target.value })}>
              <option value="">all</option>
              {channels.map((c) => <option key={c} value={c}>{c.replace("_", "-")}</option>)}
            </select>
          </label>
          <label>Group by
            <select value={by} onChange={(e) => update({ by: e.target.value })}>
              {groupings.map((g) => <option key={g} value={g}>{g}</option>)}
            </select>
          </label>
        </div>
        <div className="row">
          <button type="submit">Apply</button>
          <label className="inline">
            <input type="checkbox" checked={includeMachines} onChange={(e) => {
              setIncludeMachines(e.target.checked);
              update({ machine: e.target.checked ? "include" : "" });
            }} />
            Count likely machine opens and clicks as opened and clicked
          </label>
          <a className="button" href={`/api/reports/messages?${csv}`} download="message-performance.csv">Download CSV</a>
        </div>
      </form>

      {report.error && <ErrorNotice error={report.error} />}
      {report.isPending && <Loading what="message performance" />}
      {report.data && (
        <section className="panel" aria-labelledby="performance-table">
          <h2 id="performance-table">By {report.data.by}</h2>
          <p className="muted">
            Messages sent from {report.data.from.slice(0, 10)} to {report.data.to.slice(0, 10)} (UTC days, end exclusive), each counted once per
            figure. Rates: delivered of sent, opened, clicked, unsubscribed and complained of delivered, click-to-open of opened, bounced of sent;
            hover a rate for its counts. {machine === "include"
              ? "Opened and clicked include the likely machine opens and clicks."
              : "Likely machine opens and clicks (Apple Mail Privacy Protection, link scanners, within seconds of sending) are left out of opened and clicked."}
          </p>
          {report.data.rows.length === 0 ? (
            <Empty>No message was sent in this period.</Empty>
          ) : (
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Message performance table">
              <table className="performance-table">
                <thead>
                  <tr>
                    <th scope="col">{report.data.by}</th>
                    {columns.map((column) => <th key={column} scope="col" className={column.startsWith("Machine") ? "machine" : undefined}>{column}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {report.data.rows.map((row) => <PerformanceRow key={row.group} row={row} />)}
                </tbody>
                <tfoot>
                  <PerformanceRow row={report.data.total} header />
                </tfoot>
              </table>
            </div>
          )}
        </section>
      )}

      {daily.data && daily.data.rows.length > 0 && (
        <section className="panel" aria-labelledby="performance-chart">
          <h2 id="performance-chart">By day</h2>
          <Suspense fallback={<Loading what="the chart" />}>
          <PerformanceChart
            label={`Messages sent per day from ${daily.data.from.slice(0, 10)}, with their deliveries, opens, clicks and machine opens`}
            days={daily.data.rows.map((row) => ({
              day: row.group,
              sent: Number(row.sent),
              delivered: Number(row.delivered),
              opened: Number(row.opened),
              clicked: Number(row.clicked),
              machineOpened: Number(row.machineOpened),
            }))}
          />
          </Suspense>
        </section>
      )}
    </>
  );
}
