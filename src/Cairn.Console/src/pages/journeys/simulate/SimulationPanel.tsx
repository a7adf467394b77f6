import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "@tanstack/react-query";
import { ApiError, request, type Schemas } from "../../../api/client";
import { Badge, Empty, ErrorNotice, formatNumber, formatTime } from "../../../components/ui";
import "./simulation.css";

/** The simulation API's answer: the report per step, template and reason, and the upload's unreadable lines. */
export type SimulationResult = Schemas["SimulationView"];
type Step = Schemas["SimulatedStep"];

type Preset = "24h" | "7d" | "30d" | "custom";
const presets: { value: Preset; label: string; hours: number }[] = [
  { value: "24h", label: "Last 24 hours", hours: 24 },
  { value: "7d", label: "Last 7 days", hours: 24 * 7 },
  { value: "30d", label: "Last 30 days", hours: 24 * 30 },
  { value: "custom", label: "Custom period", hours: 0 },
];

/** The largest file the server accepts (16 MB, the request's limit), checked before sending. */
const maxUploadBytes = 16 * 1024 * 1024;

const count = (value: number | string | null | undefined) => Number(value ?? 0);

/** A datetime-local input's value for a time (local, to the minute). */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Runs a draft journey through the simulator (a backtest before publishing): over this workspace's recorded events of a
 * period or an uploaded NDJSON stream. Shows the totals, messages per template, what the sending rules or the suppression list would hold back (per template, with the reason),
 * every step's numbers and, for the selected step, its contacts and their paths. Nothing is stored or sent.
 */
export function SimulationPanel(props: {
  journeyId: string;
  document: string;
  onSelectStep?: (stepId: string | null) => void;
  selectedStepId?: string | null;
  onResult?: (result: SimulationResult | null) => void;
}) {
  const { journeyId, document, onSelectStep, onResult } = props;
  const ids = useId();
  const [source, setSource] = useState<"period" | "upload">("period");
  const [preset, setPreset] = useState<Preset>("24h");
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 24 * 3600 * 1000)));
  const [to, setTo] = useState(() => localInput(new Date()));
  const [stopAtEnd, setStopAtEnd] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const [ownSelection, setOwnSelection] = useState<string | null>(null);
  const selected = props.selectedStepId !== undefined ? props.selectedStepId : ownSelection;

  const run = useMutation({
    mutationFn: async (): Promise<SimulationResult> => {
      const path = `/api/journeys/${encodeURIComponent(journeyId)}/simulate`;
      if (source === "upload") {
        const events = await file!.text();
        return request<SimulationResult>("POST", path, { document, events });
      }
      const [start, end] = preset === "custom"
        ? [new Date(from), new Date(to)]
        : [new Date(Date.now() - presets.find((p) => p.value === preset)!.hours * 3600 * 1000), new Date()];
      return request<SimulationResult>("POST", path, { document, from: start.toISOString(), to: end.toISOString(), stopAtEnd });
    },
    onSuccess: (result) => onResult?.(result),
    onError: () => onResult?.(null),
  });

  // A new draft makes the last result stale: the canvas should not overlay numbers of another document.
  const reset = run.reset;
  useEffect(() => {
    reset();
    onResult?.(null);
  }, [document, journeyId]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setInputError(null);
    if (source === "upload") {
      if (!file) return setInputError("Choose an NDJSON file of events to replay.");
      if (file.size > maxUploadBytes) return setInputError(`The file is ${formatNumber(Math.round(file.size / 1024 / 1024))} MB; the limit is 16 MB.`);
    } else if (preset === "custom") {
      const start = new Date(from);
      const end = new Date(to);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return setInputError("Give the period's start and end.");
      if (end <= start) return setInputError("The end of the period must be after its start.");
    }
    run.mutate();
  }

  function select(stepId: string | null) {
    setOwnSelection(stepId);
    onSelectStep?.(stepId);
  }

  const result = run.data;
  return (
    <section className="simulation" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="simulation-title">Simulate</h2>
      <p className="muted small">
        Replays events through this draft exactly as the engine would decide, with the live segments, scores, sending rules and
        other journeys. Nothing is stored or sent.
      </p>
      <form className="panel simulation-form" onSubmit={submit} aria-describedby={`${ids}-title`}>
        <fieldset className="simulation-source">
          <legend>Events to replay</legend>
          <label className="choice">
            <input type="radio" name={`${ids}-source`} value="period" checked={source === "period"} onChange={() => setSource("period")} />
            Recorded events of this workspace
          </label>
          <label className="choice">
            <input type="radio" name={`${ids}-source`} value="upload" checked={source === "upload"} onChange={() => setSource("upload")} />
            An uploaded NDJSON file
          </label>
        </fieldset>
        {source === "period" ? (
          <div className="row">
            <label>
              Period
              <select aria-label="Period" value={preset} onChange={(event) => setPreset(event.target.value as Preset)}>
                {presets.map((option) => (
                  <option key={option.value} value={option.value}>{option.label}</option>
                ))}
              </select>
            </label>
            {preset === "custom" && (
              <>
                <label>
                  From
                  <input type="datetime-local" value={from} onChange={(event) => setFrom(event.target.value)} required />
                </label>
                <label>
                  To
                  <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} required />
                </label>
              </>
            )}
            <label className="choice">
              <input type="checkbox" checked={stopAtEnd} onChange={(event) => setStopAtEnd(event.target.checked)} />
              Stop the clock at the end of the period
            </label>
          </div>
        ) : (
          <div className="row">
            <label>
              NDJSON file
              <input type="file" accept=".ndjson,.jsonl,application/x-ndjson,application/json" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
            </label>
            <p className="muted small simulation-hint">One Segment message a line, each with a timestamp; up to 16 MB, and as many events as the server allows (100,000 unless configured).</p>
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={run.isPending}>
            {run.isPending ? "Simulating…" : "Run simulation"}
          </button>
          {source === "period" && !stopAtEnd && (
            <span className="muted small">After the period the clock runs on, without events, until every enrollment could finish.</span>
          )}
        </div>
        {inputError && <div className="notice error" role="alert"><p>{inputError}</p></div>}
      </form>
      {run.isPending && (
        <div className="loading" role="status" aria-live="polite"><span className="spinner" aria-hidden="true" /> Running the simulation…</div>
      )}
      <ErrorNotice error={run.error} title={run.error instanceof ApiError && run.error.status === 422 ? "The draft has errors" : "The simulation did not run"} />
      {result && <SimulationReportView result={result} selected={selected} onSelect={select} />}
    </section>
  );
}

function SimulationReportView({ result, selected, onSelect }: { result: SimulationResult; selected: string | null; onSelect: (stepId: string | null) => void }) {
  const report = result.report;
  const sent = report.messages.reduce((sum, m) => sum + count(m.sent), 0);
  const queued = report.messages.reduce((sum, m) => sum + count(m.queued), 0);
  const held = report.heldBack.reduce((sum, h) => sum + count(h.count), 0);
  const step = report.steps.find((s) => s.id === selected) ?? null;
  return (
    <div className="simulation-result" aria-live="polite">
      <p className="muted small">
        {result.source === "period" ? "Recorded events" : "Uploaded events"} replayed; simulated clock from {formatTime(report.from)} to {formatTime(report.to)}.
      </p>
      {count(result.unreadableLines) > 0 && (
        <div className="notice info" role="status">
          <strong>{formatNumber(result.unreadableLines)} unreadable line{count(result.unreadableLines) === 1 ? " was" : "s were"} skipped</strong>
          <ul>
            {result.lineErrors.slice(0, 10).map((error) => (
              <li key={error.line}>Line {formatNumber(error.line)}: {error.message}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="cards">
        <Card label="Events replayed" value={report.events} />
        <Card label="Contacts" value={report.contacts} />
        <Card label="Entered the journey" value={report.entered} />
        <Card label="Reached the goal" value={report.converted} />
        <Card label="Messages sent" value={sent} hint={`of ${formatNumber(queued)} queued`} />
        <Card label="Held back" value={held} />
      </div>
      {count(report.events) === 0 && <Empty>No events in this period: choose a longer one, or upload a file.</Empty>}

      <div className="grid-2">
        <section aria-label="Messages per template">
          <h3>Messages per template</h3>
          {report.messages.length === 0 ? <Empty>The journey would queue no message.</Empty> : (
            <div className="simulation-scroll" tabIndex={0} aria-label="Messages per template, scrollable">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Template</th>
                    <th scope="col" className="number">Queued</th>
                    <th scope="col" className="number">Sent</th>
                    <th scope="col" className="number">Held or dropped</th>
                    <th scope="col" className="number">Unreachable</th>
                  </tr>
                </thead>
                <tbody>
                  {report.messages.map((m) => (
                    <tr key={`${m.channel}/${m.template}`}>
                      <td className="simulation-template"><span className="badge neutral">{m.channel}</span> <code>{m.template}</code></td>
                      <td className="number">{formatNumber(m.queued)}</td>
                      <td className="number">{formatNumber(m.sent)}</td>
                      <td className="number" title={`deferred ${m.deferred}, suppressed ${m.suppressed}, expired ${m.expired}`}>
                        {formatNumber(count(m.deferred) + count(m.suppressed) + count(m.expired))}
                      </td>
                      <td className="number" title={`no address ${m.undeliverable}, unknown ${m.unknown}`}>
                        {formatNumber(count(m.undeliverable) + count(m.unknown))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section aria-label="Held back">
          <h3>Held back</h3>
          <p className="muted small">By the sending rules (consent, quiet hours, caps) or the suppression list (bounces, complaints), per template.</p>
          {report.heldBack.length === 0 ? <Empty>Nothing would be held back.</Empty> : (
            <div className="simulation-scroll" tabIndex={0} aria-label="Held back, scrollable">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Template</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Reason</th>
                  <th scope="col" className="number">Times</th>
                </tr>
              </thead>
              <tbody>
                {report.heldBack.map((h) => (
                  <tr key={`${h.channel}/${h.template}/${h.decision}/${h.reason}`}>
                    <td className="simulation-template"><span className="badge neutral">{h.channel}</span> <code>{h.template}</code></td>
                    <td><Badge value={h.decision} /></td>
                    <td className="simulation-reason">{h.reason}</td>
                    <td className="number">{formatNumber(h.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          )}
        </section>
      </div>

      <h3>Steps</h3>
      <p className="muted small">Choose a step to list its contacts and their paths.</p>
      <div className="simulation-scroll" tabIndex={0} aria-label="Steps, scrollable">
        <table className="table simulation-steps">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className="number">Entered</th>
              <th scope="col">Left by</th>
              <th scope="col" className="number">Waiting</th>
              <th scope="col" className="number">Errors</th>
            </tr>
          </thead>
          <tbody>
            {report.steps.map((s) => (
              <StepRow key={s.id} step={s} selected={s.id === selected} onSelect={onSelect} />
            ))}
          </tbody>
        </table>
      </div>
      {step && <StepContacts step={step} onClose={() => onSelect(null)} />}
    </div>
  );
}

function Card({ label, value, hint }: { label: string; value: number | string; hint?: string }) {
  return (
    <div className="card">
      <div className="value">{formatNumber(value)}</div>
      <div className="label">{label}{hint && <span className="simulation-hint-inline"> {hint}</span>}</div>
    </div>
  );
}

function StepRow({ step, selected, onSelect }: { step: Step; selected: boolean; onSelect: (stepId: string | null) => void }) {
  return (
    <tr className={selected ? "selected" : undefined} onClick={() => onSelect(selected ? null : step.id)}>
      <td>
        <button type="button" className="link simulation-step" aria-pressed={selected} onClick={(event) => { event.stopPropagation(); onSelect(selected ? null : step.id); }}>
          {step.id}
        </button>{" "}
        <span className="muted small">{step.kind.replaceAll("_", " ")}</span>
      </td>
      <td className="number">{formatNumber(step.entered)}</td>
      <td>
        {step.exits.length === 0 ? <span className="muted">–</span> : (
          <ul className="simulation-exits">
            {step.exits.map((exit) => (
              <li key={`${exit.exit}/${exit.to}`}>
                <span className={exit.exit === "error" ? "simulation-error" : undefined}>{exit.exit.replaceAll("_", " ")}</span>
                <span aria-hidden="true"> → </span><span className="visually-hidden"> to </span>
                <code>{exit.to}</code> <strong>{formatNumber(exit.count)}</strong>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className="number">{formatNumber(step.waiting)}</td>
      <td className={`number${count(step.errors) > 0 ? " simulation-error" : ""}`}>{formatNumber(step.errors)}</td>
    </tr>
  );
}

function StepContacts({ step, onClose }: { step: Step; onClose: () => void }) {
  return (
    <section className="panel simulation-contacts" aria-labelledby="simulation-contacts-title">
      <div className="simulation-contacts-header">
        <h3 id="simulation-contacts-title">Contacts at <code>{step.id}</code></h3>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {step.contacts.length === 0 ? <Empty>No contact reached this step.</Empty> : (
        <>
          <p className="muted small">
            {step.contactsTruncated
              ? `The first ${formatNumber(step.contacts.length)} of the ${formatNumber(step.entered)} entries, in the order the contacts appeared.`
              : `${formatNumber(step.contacts.length)} contact${step.contacts.length === 1 ? "" : "s"}, in the order they appeared.`}
          </p>
          <ol className="simulation-paths">
            {step.contacts.map((contact) => (
              <li key={contact.contactId ?? contact.key}>
                <div className="simulation-who">
                  {contact.contactId ? <Link to={`/contacts/${encodeURIComponent(contact.contactId)}`}>{contact.key}</Link> : <strong>{contact.key}</strong>}
                  <span className="muted small">{contact.outcome ? `ended: ${contact.outcome}` : "still in the journey"}</span>
                </div>
                <ol className="simulation-path" aria-label={`Path of ${contact.key}`}>
                  {contact.path.map((visit, index) => (
                    <li key={index}>
                      <span className={`simulation-visit${visit.step === step.id ? " here" : ""}`} title={`${formatTime(visit.at)}${visit.exit ? `, left by ${visit.exit}` : ", still there"}`}>
                        <code>{visit.step}</code>
                        {visit.exit && <span className="simulation-via">{visit.exit.replaceAll("_", " ")}</span>}
                      </span>
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
