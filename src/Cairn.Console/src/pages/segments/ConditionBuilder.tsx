import { useId, type ReactNode } from "react";
import {
  aggregates, channels, childrenOf, comparisonOps, consentStates, engagements, groupKinds, kindOf, kinds, MAX_DEPTH,
  numberOps, scoreOps, typedValue, valueText, withChildren, type Condition, type KindKey,
} from "./conditions";

/** Errors the server reported, by the path of the condition they concern. */
export type ErrorsByPath = Map<string, string[]>;

interface NodeProps {
  condition: Condition;
  path: string;
  depth: number;
  onChange: (next: Condition) => void;
  onRemove?: () => void;
  readOnly: boolean;
  errors: ErrorsByPath;
  segments: string[];
}

/** The visual editor of a segment's condition tree: groups (all / any / not) nested up to the server's limit, and leaves. */
export function ConditionBuilder(props: Omit<NodeProps, "path" | "depth">) {
  return (
    <div className="condition-builder">
      <ConditionNode {...props} path="" depth={1} />
    </div>
  );
}

function ConditionNode(props: NodeProps) {
  const kind = kindOf(props.condition);
  return kind && groupKinds.has(kind) ? <GroupNode {...props} kind={kind} /> : <LeafNode {...props} kind={kind} />;
}

function GroupNode({ condition, path, depth, onChange, onRemove, readOnly, errors, segments, kind }: NodeProps & { kind: KindKey }) {
  const children = childrenOf(condition);
  const addId = useId();
  const childPath = (index: number) => (path === "" ? `${index}` : `${path}.${index}`);
  const set = (index: number, next: Condition) => onChange(withChildren(condition, children.map((child, i) => (i === index ? next : child))));
  const remove = (index: number) => onChange(withChildren(condition, children.filter((_, i) => i !== index)));
  const label = kind === "not" ? "Not" : kind === "any" ? "Any of" : "All of";
  return (
    <fieldset className={`condition-group ${kind}`} data-path={path}>
      <legend>
        {readOnly || kind === "not" ? (
          <strong>{label}</strong>
        ) : (
          <select aria-label="Group type" value={kind} onChange={(e) => onChange(e.target.value === "any" ? { any: children } : { all: children })}>
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
            {kinds.map((k) => (
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

function LeafNode({ condition, path, depth, onChange, onRemove, readOnly, errors, segments, kind }: NodeProps & { kind: KindKey | null }) {
  const record = Array.isArray(condition) ? {} : condition;
  const kindId = useId();
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
    case "trait": {
      const op = valueText(record.op ?? "eq");
      const list = op === "in" || op === "not_in";
      fields = (
        <>
          {text("trait", "Trait", "plan")}
          {choice("op", "Operator", comparisonOps, "eq")}
          {op !== "exists" && op !== "not_exists" && (
            <Field label={list ? "Values (comma-separated)" : op.startsWith("within") ? "Duration" : "Value"}>
              {(id) => (
                <input
                  id={id}
                  value={valueText(record.value)}
                  readOnly={readOnly}
                  placeholder={op.startsWith("within") ? "30d" : ""}
                  onChange={(e) => set("value", list ? e.target.value.split(",").map((part) => typedValue(part.trim())).filter((part) => part !== "") : op.startsWith("within") ? e.target.value : typedValue(e.target.value))}
                />
              )}
            </Field>
          )}
        </>
      );
      break;
    }
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
      fields = <p className="muted small">This condition ({Object.keys(record).join(", ") || "empty"}) is edited in the YAML.</p>;
  }

  const label = kinds.find((k) => k.key === kind)?.label ?? "Condition";
  return (
    <div className="condition-leaf" data-path={path} data-kind={kind ?? "other"}>
      <div className="condition-fields">
        <Field label="Kind" id={kindId}>
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
              {kind === null && <option value="">other</option>}
              {kinds.map((k) => (
                <option key={k.key} value={k.key} disabled={groupKinds.has(k.key) && depth >= MAX_DEPTH}>{k.label}</option>
              ))}
            </select>
          )}
        </Field>
        {fields}
        {"where" in record && <span className="badge neutral" title="A where filter: edit it in the YAML">filtered by where</span>}
        {onRemove && !readOnly && (
          <button type="button" className="link condition-remove" onClick={onRemove} aria-label={`Remove this ${label.toLowerCase()} condition`}>
            Remove
          </button>
        )}
      </div>
      <PathErrors errors={errors.get(path)} />
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

function Field({ label, id, children }: { label: string; id?: string; children: (id: string) => ReactNode }) {
  const generated = useId();
  const fieldId = id ?? generated;
  return (
    <span className="condition-field">
      <label htmlFor={fieldId}>{label}</label>
      {children(fieldId)}
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
