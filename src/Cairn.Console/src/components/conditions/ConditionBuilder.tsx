import { useId, useState, type ReactNode } from "react";
import {
  aggregates, channels, childrenOf, comparisonOps, consentStates, durationOp, engagements, fromYaml, groupKinds, isRecord,
  kindOf, kinds, kindsFor, listOp, MAX_DEPTH, newFilter, numberOps, scoreOps, subjects, switchGroup, toYaml, unknownKeys,
  valueFor, valuelessOp, valueText, whereFrom, whereRows, withChildren, withOperator,
  type Condition, type ConditionScope, type KindKey, type Subject,
} from "./model";
import "./conditions.css";

/** Errors the server reported, by the path of the condition they concern. */
export type ErrorsByPath = Map<string, string[]>;

const noErrors: ErrorsByPath = new Map();

interface NodeProps {
  condition: Condition;
  path: string;
  depth: number;
  onChange: (next: Condition) => void;
  onRemove?: () => void;
  readOnly: boolean;
  errors: ErrorsByPath;
  segments: string[];
  scope: ConditionScope;
}

export interface ConditionBuilderProps {
  condition: Condition;
  onChange: (next: Condition) => void;
  /** Removes the whole condition (where it is optional). */
  onRemove?: () => void;
  readOnly: boolean;
  errors?: ErrorsByPath;
  /** The segments an `in_segment` condition may name. */
  segments: string[];
  /** What the condition may read: `contact` (a segment, the default) or `event` (a journey: event properties and payload too). */
  scope?: ConditionScope;
  /** How deep this condition already sits (an event's `where` is one level below its condition). */
  depth?: number;
}

/**
 * The visual editor of a condition tree: groups (all / any / not) nested up to the server's limit, leaves of every
 * kind with their fields, an event's `where` as property filters, and what it does not know as raw YAML (kept as is).
 */
export function ConditionBuilder({ errors = noErrors, scope = "contact", depth = 1, ...props }: ConditionBuilderProps) {
  return (
    <div className="condition-builder">
      <ConditionNode {...props} errors={errors} scope={scope} path="" depth={depth} />
    </div>
  );
}

function ConditionNode(props: NodeProps) {
  const kind = kindOf(props.condition);
  return kind && groupKinds.has(kind) ? <GroupNode {...props} kind={kind} /> : <LeafNode {...props} kind={kind} />;
}

function GroupNode({ condition, path, depth, onChange, onRemove, readOnly, errors, segments, scope, kind }: NodeProps & { kind: KindKey }) {
  const children = childrenOf(condition);
  const addId = useId();
  const childPath = (index: number) => (path === "" ? `${index}` : `${path}.${index}`);
  const set = (index: number, next: Condition) => onChange(withChildren(condition, children.map((child, i) => (i === index ? next : child))));
  const remove = (index: number) => onChange(withChildren(condition, children.filter((_, i) => i !== index)));
  const label = kind === "not" ? "Not" : kind === "any" ? "Any of" : "All of";
  const offered = kindsFor(scope);
  return (
    <fieldset className={`condition-group ${kind}`} data-path={path}>
      <legend>
        {readOnly || kind === "not" ? (
          <strong>{label}</strong>
        ) : (
          <select aria-label="Group type" value={kind} onChange={(e) => onChange(switchGroup(condition, e.target.value === "any" ? "any" : "all"))}>
            <option value="all">All of</option>
            <option value="any">Any of</option>
          </select>
        )}
        {kind !== "not" && <span className="muted small"> {kind === "any" ? "at least one holds" : "every one holds"}</span>}
        {onRemove && !readOnly && (
          <button type="button" className="link" onClick={onRemove} aria-label={`Remove this ${label.toLowerCase()} group`}>
            Remove
          </button>
        )}
      </legend>
      <PathErrors errors={errors.get(path)} />
      <ul className="condition-children">
        {children.map((child, index) => (
          <li key={index}>
            <ConditionNode
              condition={child}
              path={childPath(index)}
              depth={depth + 1}
              onChange={(next) => set(index, next)}
              onRemove={kind === "not" || children.length === 1 ? undefined : () => remove(index)}
              readOnly={readOnly}
              errors={errors}
              segments={segments}
              scope={scope}
            />
          </li>
        ))}
      </ul>
      {!readOnly && kind !== "not" && (
        <div className="row condition-add">
          <label htmlFor={addId} className="small">Add</label>
          <select
            id={addId}
            value=""
            onChange={(e) => {
              const chosen = kinds.find((k) => k.key === e.target.value);
              if (chosen) onChange(withChildren(condition, [...children, chosen.start() as Condition]));
            }}
          >
            <option value="">a condition…</option>
            {offered.map((k) => (
              <option key={k.key} value={k.key} disabled={groupKinds.has(k.key) && depth + 1 >= MAX_DEPTH}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
      )}
    </fieldset>
  );
}

/** Kinds that read a contact's events, and so may filter them with `where`. */
const eventKinds: ReadonlySet<string> = new Set(["performed", "not_performed", "first_performed", "last_performed", "aggregate"]);

function LeafNode({ condition, path, depth, onChange, onRemove, readOnly, errors, segments, scope, kind }: NodeProps & { kind: KindKey | null }) {
  const record = isRecord(condition) ? condition : {};
  const set = (key: string, value: unknown) => {
    const next: Record<string, unknown> = { ...record };
    if (value === "" || value === undefined) delete next[key];
    else next[key] = value;
    onChange(next);
  };
  const text = (key: string, label: string, placeholder?: string, width = "10rem") => (
    <Field label={label}>
      {(id) => (
        <input id={id} value={valueText(record[key])} placeholder={placeholder} readOnly={readOnly} style={{ width }} onChange={(e) => set(key, e.target.value)} />
      )}
    </Field>
  );
  const number = (key: string, label: string, width = "6rem") => (
    <Field label={label}>
      {(id) => (
        <input id={id} type="number" value={valueText(record[key])} readOnly={readOnly} style={{ width }} onChange={(e) => set(key, e.target.value === "" ? undefined : Number(e.target.value))} />
      )}
    </Field>
  );
  const choice = (key: string, label: string, options: readonly string[], fallback?: string) => (
    <Field label={label}>
      {(id) => (
        <select id={id} value={valueText(record[key] ?? fallback)} disabled={readOnly} onChange={(e) => set(key, e.target.value)}>
          {options.map((option) => (
            <option key={option} value={option}>{option.replace(/_/g, " ")}</option>
          ))}
        </select>
      )}
    </Field>
  );

  let fields: ReactNode;
  switch (kind) {
    case "trait":
    case "property":
    case "payload":
      fields = <ComparisonFields comparison={record} subject={kind} onChange={onChange} readOnly={readOnly} />;
      break;
    case "performed":
      fields = <PerformedFields record={record} onChange={onChange} readOnly={readOnly} eventField={text("performed", "Event", "order_completed")} withinField={text("within", "Within", "ever", "6rem")} />;
      break;
    case "not_performed":
      fields = (
        <>
          {text("not_performed", "Event", "demo_requested")}
          {text("within", "Within", "ever", "6rem")}
        </>
      );
      break;
    case "first_performed":
    case "last_performed":
      fields = (
        <>
          {text(kind, "Event", "signed_up")}
          {text("within", "Within the last", "7d", "6rem")}
          {text("before", "Before (duration or date)", "", "8rem")}
          {text("after", "After (date)", "2026-01-01", "8rem")}
          {kind === "last_performed" && text("not_followed_by", "Not followed by", "ticket_closed")}
        </>
      );
      break;
    case "aggregate":
      fields = (
        <>
          {choice("aggregate", "Function", aggregates, "sum")}
          {text("of", "Of property", "revenue", "8rem")}
          {text("event", "Event", "order_completed")}
          {text("within", "Within", "ever", "6rem")}
          {choice("op", "Operator", numberOps, "gte")}
          {number("value", "Value")}
        </>
      );
      break;
    case "engaged":
      fields = (
        <>
          {choice("engaged", "Engaged", engagements, "opened")}
          {choice("channel", "Channel", channels, "email")}
          {text("template", "Template", "any", "9rem")}
          {text("within", "Within", "ever", "6rem")}
          {number("at_least", "At least")}
        </>
      );
      break;
    case "score":
      fields = (
        <>
          {text("score", "Scoring model", "lead-score")}
          {choice("op", "Operator", scoreOps, "gte")}
          {number("value", "Value")}
        </>
      );
      break;
    case "consent":
      fields = (
        <>
          {choice("consent", "Channel", channels, "email")}
          {text("group", "Subscription group", "all", "9rem")}
          {choice("state", "State", consentStates, "opted_in")}
        </>
      );
      break;
    case "in_segment":
      fields = (
        <Field label="Segment">
          {(id) => (
            <select id={id} value={valueText(record.in_segment)} disabled={readOnly} onChange={(e) => set("in_segment", e.target.value)}>
              <option value="">choose…</option>
              {[...new Set([...segments, valueText(record.in_segment)].filter(Boolean))].map((segment) => (
                <option key={segment} value={segment}>{segment}</option>
              ))}
            </select>
          )}
        </Field>
      );
      break;
    case "tag":
      fields = text("tag", "Tag", "vip");
      break;
    case "stage":
      fields = text("stage", "Stage", "customer");
      break;
    default:
      fields = null;
  }

  const label = kinds.find((k) => k.key === kind)?.label ?? "Condition";
  const offered = kindsFor(scope);
  const others = kind && isRecord(condition) ? unknownKeys(record, kind) : [];
  return (
    <div className="condition-leaf" data-path={path} data-kind={kind ?? "other"}>
      <div className="condition-fields">
        <Field label="Kind">
          {(id) => (
            <select
              id={id}
              value={kind ?? ""}
              disabled={readOnly}
              onChange={(e) => {
                const chosen = kinds.find((k) => k.key === e.target.value);
                if (chosen) onChange(chosen.start() as Condition);
              }}
            >
              {kind === null && <option value="">other (raw YAML)</option>}
              {kind !== null && !offered.some((k) => k.key === kind) && <option value={kind}>{label}</option>}
              {offered.map((k) => (
                <option key={k.key} value={k.key} disabled={groupKinds.has(k.key) && depth >= MAX_DEPTH}>{k.label}</option>
              ))}
            </select>
          )}
        </Field>
        {fields}
        {onRemove && !readOnly && (
          <button type="button" className="link condition-remove" onClick={onRemove} aria-label={`Remove this ${label.toLowerCase()} condition`}>
            Remove
          </button>
        )}
      </div>
      {kind === null && <RawCondition value={condition} onChange={(next) => onChange(next as Condition)} readOnly={readOnly} label="Condition (YAML)" />}
      {kind !== null && eventKinds.has(kind) && (
        <WhereFilters where={record.where} onChange={(next) => set("where", next)} readOnly={readOnly} depth={depth + 1} segments={segments} />
      )}
      {others.length > 0 && (
        <p className="muted small condition-other-keys">Also has {others.join(", ")} (kept as written; edit in the YAML).</p>
      )}
      <PathErrors errors={errors.get(path)} />
    </div>
  );
}

/** A comparison of a trait, an event property or a payload path: the path, the operator and the value it takes. */
function ComparisonFields({ comparison, subject, onChange, readOnly }: {
  comparison: Record<string, unknown>;
  subject: Subject;
  onChange: (next: Record<string, unknown>) => void;
  readOnly: boolean;
}) {
  const op = valueText(comparison.op ?? "eq");
  const label = subject === "trait" ? "Trait" : subject === "property" ? "Property" : "Payload path";
  const placeholder = subject === "trait" ? "plan" : subject === "property" ? "cart.value" : "properties.source";
  return (
    <>
      <Field label={label}>
        {(id) => (
          <input id={id} value={valueText(comparison[subject])} placeholder={placeholder} readOnly={readOnly} style={{ width: "10rem" }}
            onChange={(e) => onChange({ ...comparison, [subject]: e.target.value })} />
        )}
      </Field>
      <Field label="Operator">
        {(id) => (
          <select id={id} value={op} disabled={readOnly} onChange={(e) => onChange(withOperator(comparison, e.target.value))}>
            {comparisonOps.map((option) => (
              <option key={option} value={option}>{option.replace(/_/g, " ")}</option>
            ))}
          </select>
        )}
      </Field>
      {!valuelessOp(op) && (
        <Field label={listOp(op) ? "Values (comma-separated)" : durationOp(op) ? "Duration" : "Value"}>
          {(id) => (
            <input id={id} value={valueText(comparison.value)} readOnly={readOnly} placeholder={durationOp(op) ? "30d" : ""} style={{ width: "9rem" }}
              onChange={(e) => onChange({ ...comparison, value: valueFor(op, e.target.value) })} />
          )}
        </Field>
      )}
    </>
  );
}

/**
 * The filter on an event's properties (`where`): rows of property, operator and value, added and removed here; a
 * `where` of another shape (an `any`, a nested condition) is edited as a condition.
 */
export function WhereFilters({ where, onChange, readOnly, depth, segments }: {
  where: unknown;
  onChange: (next: unknown) => void;
  readOnly: boolean;
  depth: number;
  segments: string[];
}) {
  const shaped = whereRows(where);
  if (!shaped) {
    return (
      <div className="condition-where" data-where="condition">
        <p className="small condition-where-title">Only events where</p>
        <ConditionNode condition={where as Condition} path="where" depth={depth} onChange={onChange} onRemove={readOnly ? undefined : () => onChange(undefined)}
          readOnly={readOnly} errors={noErrors} segments={segments} scope="event" />
      </div>
    );
  }
  const setRows = (rows: Record<string, unknown>[]) => onChange(whereFrom({ rows, shape: shaped.shape }));
  if (shaped.rows.length === 0 && readOnly) return null;
  return (
    <div className="condition-where" data-where="filters">
      {shaped.rows.length > 0 && (
        <>
          <p className="small condition-where-title">Only events where {shaped.rows.length > 1 ? "all of these hold" : "this holds"}</p>
          <ul className="condition-filters">
            {shaped.rows.map((row, index) => {
              const subject = subjects.find((s) => s in row) ?? "property";
              return (
                <li key={index} className="condition-filter" data-filter={index}>
                  <ComparisonFields comparison={row} subject={subject} readOnly={readOnly}
                    onChange={(next) => setRows(shaped.rows.map((old, i) => (i === index ? next : old)))} />
                  {!readOnly && (
                    <button type="button" className="link condition-remove" aria-label={`Remove the filter on ${valueText(row[subject]) || `row ${index + 1}`}`}
                      onClick={() => setRows(shaped.rows.filter((_, i) => i !== index))}>
                      Remove
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {!readOnly && (
        <button type="button" className="link condition-add-filter" onClick={() => setRows([...shaped.rows, newFilter()])}>
          + Add a property filter
        </button>
      )}
    </div>
  );
}

/**
 * A condition the builder does not know (or one its editor chose to write by hand) as YAML: applied as soon as it
 * parses; the text follows the value when the value changes elsewhere (the document's YAML).
 */
export function RawCondition({ value, onChange, readOnly, label }: {
  value: unknown;
  onChange: (next: unknown) => void;
  readOnly: boolean;
  label: string;
}) {
  const id = useId();
  const [text, setText] = useState(() => toYaml(value));
  const [shown, setShown] = useState(() => JSON.stringify(value ?? null));
  const [error, setError] = useState<string | null>(null);
  const current = JSON.stringify(value ?? null);
  if (current !== shown) {
    setShown(current);
    if (JSON.stringify(fromYaml(text).value ?? null) !== current) {
      setText(toYaml(value));
      setError(null);
    }
  }
  return (
    <div className="condition-raw">
      <label htmlFor={id} className="small">{label}</label>
      <textarea id={id} className="mono" rows={Math.min(10, Math.max(2, text.split("\n").length))} value={text} readOnly={readOnly}
        aria-invalid={error !== null} aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = fromYaml(e.target.value);
          setError(parsed.error);
          if (parsed.error === null && parsed.value !== undefined && parsed.value !== null) onChange(parsed.value);
        }} />
      <span className="small muted" id={`${id}-hint`}>{error ? `Not valid YAML yet: ${error}` : "As YAML; kept exactly as written."}</span>
    </div>
  );
}

/** A performed condition: the event, how many times (at least / at most / exactly), within a window. */
function PerformedFields({ record, onChange, readOnly, eventField, withinField }: {
  record: Record<string, unknown>;
  onChange: (next: Condition) => void;
  readOnly: boolean;
  eventField: ReactNode;
  withinField: ReactNode;
}) {
  const mode = "exactly" in record ? "exactly" : "at_most" in record && !("at_least" in record) ? "at_most" : "at_least";
  const times = record[mode] ?? 1;
  const setCount = (nextMode: string, value: unknown) => {
    const next: Record<string, unknown> = { ...record };
    delete next.at_least;
    delete next.at_most;
    delete next.exactly;
    if (value !== "" && value !== undefined) next[nextMode] = value;
    onChange(next);
  };
  return (
    <>
      {eventField}
      <Field label="Times">
        {(id) => (
          <select id={id} value={mode} disabled={readOnly} onChange={(e) => setCount(e.target.value, times)}>
            <option value="at_least">at least</option>
            <option value="at_most">at most</option>
            <option value="exactly">exactly</option>
          </select>
        )}
      </Field>
      <Field label="Count">
        {(id) => (
          <input id={id} type="number" min={0} style={{ width: "5rem" }} value={valueText(times)} readOnly={readOnly} onChange={(e) => setCount(mode, e.target.value === "" ? undefined : Number(e.target.value))} />
        )}
      </Field>
      {withinField}
    </>
  );
}

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <span className="condition-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </span>
  );
}

function PathErrors({ errors }: { errors: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <div role="alert">
      <ul className="condition-errors">
        {errors.map((message, index) => (
          <li key={index}>{message}</li>
        ))}
      </ul>
    </div>
  );
}
