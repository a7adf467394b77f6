import { useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";
import type { components } from "../../../api/schema";
import { Empty, ErrorNotice, Loading, PageHeader, formatNumber, formatTime } from "../../../components/ui";
import { EChart, whiskers } from "../../../components/EChart";
import "./results.css";

// The OpenAPI document allows numbers as strings (the server reads either); it always writes numbers.
type Leaf<T> = [string] extends [T] ? ([number] extends [T] ? Exclude<T, string> : T) : T;
type Numbers<T> =
  [NonNullable<T>] extends [readonly (infer U)[]] ? Numbers<U>[] | Extract<T, null | undefined>
  : [NonNullable<T>] extends [object] ? { [K in keyof NonNullable<T>]: Numbers<NonNullable<T>[K]> } | Extract<T, null | undefined>
  : Leaf<T>;
type Lift = Numbers<components["schemas"]["LiftView"]>;
type Experiments = Numbers<components["schemas"]["ExperimentsView"]>;
type Experiment = Experiments["experiments"][number];
type Interval = Numbers<components["schemas"]["IntervalView"]> | null | undefined;

const percent = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? "–" : `${(value * 100).toFixed(digits)} %`;
const points = (value: number | null | undefined) =>
  value === null || value === undefined ? "–" : `${value >= 0 ? "+" : "−"}${Math.abs(value * 100).toFixed(1)}`;
const range = (interval: Interval, format: (v: number) => string) =>
  interval ? `${format(interval.lower)} to ${interval.upper === null || interval.upper === undefined ? "∞" : format(interval.upper)}` : "–";
const money = (value: number | null | undefined) => (value === null || value === undefined ? "–" : value.toFixed(2));
const pValue = (p: number | null | undefined) => (p === null || p === undefined ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3));

/** A journey's results: the holdout lift with its interval drawn, and each experiment's arms compared. */
export function JourneyResults() {
  const { id = "" } = useParams();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [version, setVersion] = useState("");
  const query = { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(version ? { version } : {}) };
  const journey = useQuery({
    queryKey: ["journey", id],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}", { params: { path: { id } } })),
  });
  const lift = useQuery({
    queryKey: ["journeys", id, "lift", query],
    queryFn: async () => (await unwrap(api.GET("/api/journeys/{id}/lift", { params: { path: { id }, query } }))) as unknown as Lift,
  });
  const experiments = useQuery({
    queryKey: ["journeys", id, "experiments", query],
    queryFn: async () => (await unwrap(api.GET("/api/journeys/{id}/experiments", { params: { path: { id }, query } }))) as unknown as Experiments,
  });
  const csv = (report: string) => {
    const parameters = new URLSearchParams({ ...query, format: "csv" });
    return `/api/journeys/${encodeURIComponent(id)}/${report}?${parameters}`;
  };
  const versions = Array.from({ length: Number(journey.data?.publishedVersion ?? 0) }, (_, index) => index + 1).reverse();

  return (
    <div className="results-page">
      <PageHeader
        title={<>Results of {journey.data?.name ?? id}</>}
        subtitle={<><Link to={`/journeys/${encodeURIComponent(id)}`}>Back to the journey</Link> · holdout lift and experiments over a period</>}
      />
      <form className="results-filters" onSubmit={(event) => event.preventDefault()}>
        <label>From <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} /></label>
        <label>To <input type="date" value={to} onChange={(event) => setTo(event.target.value)} /></label>
        <label>Version
          <select value={version} onChange={(event) => setVersion(event.target.value)}>
            <option value="">All versions</option>
            {versions.map((number) => <option key={number} value={String(number)}>v{number}</option>)}
          </select>
        </label>
      </form>
      <section aria-labelledby="lift-heading" className="results-section">
        <div className="results-section-head">
          <h2 id="lift-heading">Holdout lift</h2>
          <a className="button" href={csv("lift")} download>Download CSV</a>
        </div>
        {lift.isPending ? <Loading what="the lift" /> : lift.error ? <ErrorNotice error={lift.error} /> : <LiftPanel lift={lift.data} />}
      </section>
      <section aria-labelledby="experiments-heading" className="results-section">
        <div className="results-section-head">
          <h2 id="experiments-heading">Experiments</h2>
          <a className="button" href={csv("experiments")} download>Download CSV</a>
        </div>
        {experiments.isPending ? <Loading what="the experiments" />
          : experiments.error ? <ErrorNotice error={experiments.error} />
          : experiments.data.experiments.length === 0 ? <Empty>This journey has no split marked <code>experiment: true</code>.</Empty>
          : experiments.data.experiments.map((experiment) => <ExperimentPanel key={experiment.stepId} experiment={experiment} />)}
      </section>
    </div>
  );
}

function Period({ report }: { report: { period: { from: string; to: string }; version?: number | null } }) {
  return (
    <p className="muted results-period">
      Entries from {report.period.from.slice(0, 16).replace("T", " ")} to {report.period.to.slice(0, 16).replace("T", " ")} UTC,
      {report.version ? ` version ${report.version}` : " every version"}.
    </p>
  );
}

function LiftPanel({ lift }: { lift: Lift }) {
  const comparison = lift.comparison;
  const option = useMemo(() => {
    if (!comparison) return null;
    const row = { name: "Treated − holdout", value: comparison.absoluteLift * 100, lower: comparison.absoluteLiftInterval.lower * 100, upper: (comparison.absoluteLiftInterval.upper ?? 1) * 100 };
    const extent = Math.max(Math.abs(row.lower), Math.abs(row.upper), 1) * 1.25;
    return {
      animation: false,
      grid: { left: 130, right: 24, top: 16, bottom: 36 },
      xAxis: { type: "value", min: -extent, max: extent, name: "points", nameLocation: "middle", nameGap: 24, axisLabel: { formatter: (v: number) => v.toFixed(1) } },
      yAxis: { type: "category", data: [row.name] },
      series: [{
        ...whiskers([row], "#2563eb", true),
        markLine: { silent: true, symbol: "none", lineStyle: { color: "#6b7280", type: "dashed" }, label: { formatter: "no difference" }, data: [{ xAxis: 0 }] },
      }],
    };
  }, [comparison]);
  return (
    <>
      <Period report={lift} />
      <p className={`results-verdict verdict-${lift.verdict.kind}`} data-testid="lift-verdict">{lift.verdict.text}</p>
      {option && comparison && (
        <EChart option={option} height={120} className="results-chart"
          label={`Absolute lift ${points(comparison.absoluteLift)} points, 95 % interval ${range(comparison.absoluteLiftInterval, points)} points.`} />
      )}
      <div className="results-scroll" tabIndex={0} role="region" aria-label="Treated and holdout groups">
      <table className="results-table" data-testid="lift-table">
        <caption>Treated and holdout contacts whose first enrollment in the journey entered in the period; n is the entries behind each row.</caption>
        <thead>
          <tr><th scope="col">Group</th><th scope="col">Entries (n)</th><th scope="col">Conversions</th><th scope="col">Rate</th><th scope="col">95 % interval</th><th scope="col">Revenue per contact</th><th scope="col">95 % interval</th></tr>
        </thead>
        <tbody>
          {([["Treated", lift.treated], ["Holdout", lift.holdout]] as const).map(([name, group]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{formatNumber(group.entries)}</td>
              <td>{formatNumber(group.conversions)}</td>
              <td>{percent(group.rate)}</td>
              <td>{range(group.rateInterval, (v) => percent(v))}</td>
              <td>{money(group.revenuePerContact)}</td>
              <td>{range(group.revenuePerContactInterval, money)}</td>
            </tr>
          ))}
          {comparison && (
            <tr className="results-difference">
              <th scope="row">Difference</th>
              <td colSpan={2}>p {pValue(comparison.pValue)}</td>
              <td>{points(comparison.absoluteLift)} pts</td>
              <td>{range(comparison.absoluteLiftInterval, points)} pts</td>
              <td>{money(comparison.revenueDifference)}</td>
              <td>{range(comparison.revenueDifferenceInterval, money)}</td>
            </tr>
          )}
        </tbody>
      </table>
      </div>
      {comparison?.relativeLift !== null && comparison?.relativeLift !== undefined && (
        <p className="muted">Relative lift {points(comparison.relativeLift)} % (95 % interval {range(comparison.relativeLiftInterval, points)} %).</p>
      )}
    </>
  );
}

function ExperimentPanel({ experiment }: { experiment: Experiment }) {
  const option = useMemo(() => {
    const rows = experiment.arms.map((arm) => ({
      name: arm.name,
      value: (arm.rate ?? 0) * 100,
      lower: (arm.rateInterval?.lower ?? 0) * 100,
      upper: (arm.rateInterval?.upper ?? 0) * 100,
    }));
    return {
      animation: false,
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: "category", data: rows.map((row) => row.name) },
      yAxis: { type: "value", name: "rate %", axisLabel: { formatter: (v: number) => `${v}` } },
      series: [
        { type: "bar", name: "rate", data: rows.map((row) => row.value), itemStyle: { color: "#93c5fd" }, barMaxWidth: 64 },
        whiskers(rows, "#1e3a8a", false),
      ],
    };
  }, [experiment]);
  return (
    <article className="results-experiment" aria-label={`Experiment ${experiment.stepId}`}>
      <h3>Split <code>{experiment.stepId}</code></h3>
      <p className="results-verdict" data-testid="experiment-verdict">{experiment.verdict}</p>
      {experiment.decision && (
        <p className="notice">Winner: arm {experiment.decision.arm}, decided {formatTime(experiment.decision.decidedAt)}. {experiment.decision.reason}</p>
      )}
      <EChart option={option} height={200} className="results-chart"
        label={experiment.arms.map((arm) => `Arm ${arm.name}: ${percent(arm.rate)} (95 % interval ${range(arm.rateInterval, (v) => percent(v))})`).join("; ")} />
      <div className="results-scroll" tabIndex={0} role="region" aria-label={`Arms of ${experiment.stepId}`}>
      <table className="results-table" data-testid="arms-table">
        <caption>Arms of the split (holdout left out); each arm is compared with the first.</caption>
        <thead>
          <tr><th scope="col">Arm</th><th scope="col">Entries (n)</th><th scope="col">Conversions</th><th scope="col">Rate</th><th scope="col">95 % interval</th><th scope="col">Revenue per entry</th><th scope="col">Probability best</th><th scope="col">vs first arm (95 % interval)</th><th scope="col">p</th></tr>
        </thead>
        <tbody>
          {experiment.arms.map((arm) => (
            <tr key={arm.name}>
              <th scope="row">{arm.name}</th>
              <td>{formatNumber(arm.entries)}</td>
              <td>{formatNumber(arm.conversions)}</td>
              <td>{percent(arm.rate)}</td>
              <td>{range(arm.rateInterval, (v) => percent(v))}</td>
              <td>{money(arm.revenuePerEntry)}</td>
              <td>{percent(arm.probabilityBest)}</td>
              <td>{arm.versusFirst
                ? <>{points(arm.versusFirst.difference)} pts<span className="results-under">{range(arm.versusFirst.differenceInterval, points)}</span></>
                : "baseline"}</td>
              <td>{pValue(arm.versusFirst?.pValue)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {experiment.chiSquare && (
        <p className="muted">Chi-square across arms: X² = {experiment.chiSquare.statistic.toFixed(2)}, {experiment.chiSquare.degreesOfFreedom} df, p {pValue(experiment.chiSquare.pValue)}.</p>
      )}
    </article>
  );
}
