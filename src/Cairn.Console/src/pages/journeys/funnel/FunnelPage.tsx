import { useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../api/client";
import { ErrorNotice, Loading, PageHeader, formatNumber } from "../../../components/ui";
import { EChart } from "../../../components/EChart";
import "./funnel.css";

type Funnel = Schemas["JourneyFunnelView"];
type FunnelStep = Schemas["FunnelStepView"];
type Range = Schemas["DurationRangeView"];

const PERIODS = [7, 30, 90] as const;

/** The UTC date <paramref name="days"/> before today, as yyyy-mm-dd. */
function dayBefore(days: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}

/** A count from the API (a number, or a string for large ones). */
function count(value: number | string | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function percent(rate: number | string | null | undefined): string {
  return rate === null || rate === undefined ? "–" : `${(Number(rate) * 100).toFixed(1)} %`;
}

/** A duration in seconds, short: 45 s, 12 min, 5.0 h, 1.0 d. */
function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** The bucket that holds a quantile, as its bounds: the exact value is in [low, high). */
function formatRange(range: Range | null | undefined): string {
  if (!range) return "–";
  const low = count(range.lowSeconds);
  if (range.highSeconds === null || range.highSeconds === undefined) return `≥ ${formatSeconds(low)}`;
  const high = count(range.highSeconds);
  return low === 0 ? `< ${formatSeconds(high)}` : `${formatSeconds(low)} – ${formatSeconds(high)}`;
}

/** A journey version's funnel over the last 7, 30 or 90 days: a bar per step, drop-offs by why, conversions by day. */
export function FunnelPage() {
  const { id = "" } = useParams();
  const [days, setDays] = useState<number>(30);
  const [version, setVersion] = useState<string>("");
  const query = { from: dayBefore(days - 1), to: dayBefore(0), ...(version ? { version } : {}) };
  const funnel = useQuery({
    queryKey: ["journeys", id, "funnel", query],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}/funnel", { params: { path: { id }, query } })),
  });
  const csv = `/api/journeys/${encodeURIComponent(id)}/funnel?${new URLSearchParams({ ...query, format: "csv" }).toString()}`;
  const data = funnel.data;
  return (
    <div className="funnel-page">
      <PageHeader
        title={<>Funnel of {id}</>}
        subtitle={<><Link to="/journeys">Journeys</Link> · <Link to={`/journeys/${encodeURIComponent(id)}`}>Canvas</Link></>}
        actions={<a className="button" href={csv} download>Download CSV</a>}
      />
      <form className="row funnel-controls" aria-label="Funnel period and version" onSubmit={(event) => event.preventDefault()}>
        <fieldset className="funnel-periods">
          <legend>Period</legend>
          {PERIODS.map((length) => (
            <label key={length}>
              <input type="radio" name="period" checked={days === length} onChange={() => setDays(length)} /> Last {length} days
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(event) => setVersion(event.target.value)}>
            <option value="">Live{data?.liveVersion ? ` (v${data.liveVersion})` : ""}</option>
            {(data?.versions ?? []).map((v) => <option key={String(v)} value={String(v)}>v{String(v)}</option>)}
          </select>
        </label>
      </form>
      <ErrorNotice error={funnel.error} title="Could not load the funnel" />
      {funnel.isPending && <Loading what="the funnel" />}
      {data && <FunnelReport funnel={data} />}
    </div>
  );
}

function FunnelReport({ funnel }: { funnel: Funnel }) {
  const conversions = funnel.conversions;
  const widest = Math.max(1, ...funnel.steps.map((step) => count(step.entered)));
  return (
    <>
      <p className="muted funnel-period" data-period>
        Version v{String(funnel.version)}, {funnel.from.slice(0, 10)} to {new Date(new Date(funnel.to).getTime() - 1).toISOString().slice(0, 10)} (whole UTC days).
      </p>
      <div className="journey-totals" aria-label="Conversions in the period">
        <div><span className="value" data-figure="entries">{formatNumber(conversions.entries)}</span><span className="label">entered</span></div>
        <div><span className="value" data-figure="converted">{formatNumber(conversions.converted)}</span><span className="label">converted</span></div>
        <div><span className="value" data-figure="rate">{percent(conversions.rate)}</span><span className="label">conversion rate</span></div>
        <div>
          <span className="value" data-figure="time-to-convert">{formatRange(conversions.timeToConvert.median)}</span>
          <span className="label">median time to convert (p90 {formatRange(conversions.timeToConvert.p90)}, n = {formatNumber(conversions.timeToConvert.count)})</span>
        </div>
      </div>
      <section aria-labelledby="funnel-steps-title" className="funnel-section">
        <h2 id="funnel-steps-title">Steps</h2>
        <div className="funnel-legend" aria-hidden="true">
          <span className="swatch passed" /> passed <span className="swatch dropped" /> dropped <span className="swatch waiting" /> waiting
        </div>
        <ol className="funnel-steps">
          {funnel.steps.map((step) => <StepBar key={step.step} step={step} widest={widest} />)}
        </ol>
      </section>
      <section aria-labelledby="funnel-days-title" className="funnel-section">
        <h2 id="funnel-days-title">Conversions by entry day</h2>
        <ConversionChart funnel={funnel} />
      </section>
      <p className="muted small">{funnel.resolution}</p>
    </>
  );
}

function StepBar({ step, widest }: { step: FunnelStep; widest: number }) {
  const entered = count(step.entered);
  const passed = count(step.passed);
  const dropped = count(step.dropped.total);
  const waiting = count(step.waitingNow);
  const width = (value: number) => `${(value / widest) * 100}%`;
  const reasons = ([
    ["exit criterion", step.dropped.exitCriterion],
    ["goal", step.dropped.goal],
    ["max run time", step.dropped.expired],
    ["error", step.dropped.error],
  ] as const).filter(([, value]) => count(value) > 0);
  return (
    <li className={`funnel-step kind-${step.kind}`} data-funnel-step={step.step}>
      <div className="funnel-step-head">
        <strong><code>{step.step}</code></strong> <span className="muted small">{step.kind.replace(/_/g, " ")}</span>
      </div>
      <div className="funnel-bar" role="img" aria-label={`${step.step}: ${entered} entered, ${passed} passed, ${dropped} dropped, ${waiting} waiting`}>
        <span className="passed" style={{ width: width(passed) }} />
        <span className="dropped" style={{ width: width(dropped) }} />
        <span className="waiting" style={{ width: width(Math.min(waiting, Math.max(0, entered - passed - dropped))) }} />
      </div>
      <dl className="funnel-figures">
        <div><dt>Entered</dt><dd data-figure="entered">{formatNumber(entered)}</dd></div>
        <div><dt>Passed</dt><dd data-figure="passed">{formatNumber(passed)}</dd></div>
        <div><dt>Dropped</dt><dd data-figure="dropped">{formatNumber(dropped)}{reasons.length > 0 && <span className="muted"> ({reasons.map(([why, value]) => `${why} ${formatNumber(value)}`).join(", ")})</span>}</dd></div>
        <div><dt>Waiting now</dt><dd data-figure="waiting">{formatNumber(waiting)}</dd></div>
        {count(step.dropped.suppressed) > 0 && <div><dt>Messages suppressed</dt><dd data-figure="suppressed">{formatNumber(step.dropped.suppressed)}</dd></div>}
        <div><dt>Median time in step</dt><dd data-figure="median">{formatRange(step.timeInStep.median)}</dd></div>
        <div><dt>p90 time in step</dt><dd data-figure="p90">{formatRange(step.timeInStep.p90)} <span className="muted">n = {formatNumber(step.timeInStep.count)}</span></dd></div>
      </dl>
      {step.exits.length > 1 && (
        <p className="funnel-exits small">
          {step.exits.map((exit) => `${exit.exit.replace(/_/g, " ")} → ${exit.to}: ${formatNumber(exit.count)}`).join(" · ")}
        </p>
      )}
    </li>
  );
}

/** Entries and conversions per entry day (bars) and the day's conversion rate (line). */
function ConversionChart({ funnel }: { funnel: Funnel }) {
  const days = funnel.conversions.days;
  const option = useMemo(() => ({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: ["Entries", "Converted", "Rate"], bottom: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 56 },
    xAxis: { type: "category", data: days.map((day) => day.day) },
    yAxis: [
      { type: "value", name: "enrollments", minInterval: 1 },
      { type: "value", name: "rate", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
    ],
    series: [
      { name: "Entries", type: "bar", data: days.map((day) => count(day.entries)), itemStyle: { color: "#9fb7cc" } },
      { name: "Converted", type: "bar", data: days.map((day) => count(day.converted)), itemStyle: { color: "#1e7a46" } },
      { name: "Rate", type: "line", yAxisIndex: 1, data: days.map((day) => (day.rate === null || day.rate === undefined ? null : Number(day.rate) * 100)), itemStyle: { color: "#1f5f99" } },
    ],
  }), [days]);
  const converted = days.reduce((sum, day) => sum + count(day.converted), 0);
  return (
    <figure className="funnel-chart">
      <EChart option={option} height={280}
        label={`Entries and conversions on each of ${days.length} days; ${converted} of ${formatNumber(funnel.conversions.entries)} entries converted`} />
      <figcaption className="muted small">Each day counts the enrollments that entered that day and how many of them have reached the goal so far.</figcaption>
    </figure>
  );
}
