import { useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ConditionBuilder, RawCondition, WhereFilters } from "../../components/conditions/ConditionBuilder";
import { isRecord, kinds, type Condition } from "../../components/conditions/model";

/** The ids of the workspace's segments, for `in_segment` (the segments page's query, shared through the cache). */
function useSegmentIds(): string[] {
  const segments = useQuery({ queryKey: ["segments"], queryFn: () => unwrap(api.GET("/api/segments")), staleTime: 60_000 });
  return (segments.data ?? []).map((segment) => segment.id);
}

const title = (name: string) => name.replace(/_/g, " ");

type FieldProps = { name: string; value: unknown; required: boolean; readOnly: boolean; description?: string; onChange: (value: unknown) => void };

/**
 * A condition of a journey (a branch case's `when`, the entry `audience`, an `exit_when` criterion) as the condition
 * builder, or as YAML on request; a shape the builder does not know is shown as YAML and kept as it is.
 */
export function ConditionField({ name, value, required, readOnly, description, onChange }: FieldProps) {
  const segments = useSegmentIds();
  const [raw, setRaw] = useState(false);
  const hintId = useId();
  const empty = value === undefined || value === null;
  return (
    <fieldset className="field-group condition-field-group" data-condition={name} aria-describedby={description ? hintId : undefined}>
      <legend>{title(name)}</legend>
      {description && <span className="field-hint" id={hintId}>{description}</span>}
      {empty && (readOnly
        ? <p className="muted small">No condition.</p>
        : <button type="button" onClick={() => onChange(kinds[0].start())}>Add a condition</button>)}
      {!empty && (raw
        ? <RawCondition value={value} onChange={onChange} readOnly={readOnly} label={`${title(name)} (YAML)`} />
        : <ConditionBuilder condition={value as Condition} onChange={onChange} onRemove={required ? undefined : () => onChange(undefined)}
            readOnly={readOnly} segments={segments} scope="event" />)}
      {!empty && (
        <button type="button" className="link condition-mode" aria-pressed={raw} onClick={() => setRaw(!raw)}>
          {raw ? "Edit as a form" : "Edit as YAML"}
        </button>
      )}
    </fieldset>
  );
}

/** An event's `where` (the trigger's, a goal's, a `wait_for`'s): property filters added and removed as rows. */
export function WhereField({ value, readOnly, onChange }: FieldProps) {
  const segments = useSegmentIds();
  return (
    <fieldset className="field-group condition-field-group" data-condition="where">
      <legend>where (event filters)</legend>
      {readOnly && (value === undefined || value === null) && <p className="muted small">Every such event.</p>}
      <WhereFilters where={value} onChange={onChange} readOnly={readOnly} depth={2} segments={segments} />
    </fieldset>
  );
}

/** An `exit_when` criterion that is an event (with its filters) rather than a condition. */
function isEventMatch(item: unknown): item is Record<string, unknown> {
  return isRecord(item) && "event" in item && Object.keys(item).every((key) => key === "event" || key === "where");
}

/** `exit_when`: a list of events (with filters) and conditions; any that holds ends the enrollment. */
export function ExitWhenField({ name, value, readOnly, onChange }: FieldProps) {
  const items = Array.isArray(value) ? value : [];
  const segments = useSegmentIds();
  const set = (next: unknown[]) => onChange(next.length === 0 ? undefined : next);
  return (
    <fieldset className="field-group condition-field-group" data-condition={name}>
      <legend>{title(name)}</legend>
      <span className="field-hint">Any of these ends the enrollment at whatever step it is.</span>
      {items.map((item, index) => (
        <div key={index} className="field-item">
          {isEventMatch(item)
            ? <EventMatch match={item} readOnly={readOnly} segments={segments} onChange={(next) => set(items.map((old, i) => (i === index ? next : old)))} />
            : <ConditionBuilder condition={item as Condition} readOnly={readOnly} segments={segments} scope="event"
                onChange={(next) => set(items.map((old, i) => (i === index ? next : old)))} />}
          {!readOnly && (
            <button type="button" className="link" onClick={() => set(items.filter((_, i) => i !== index))}>
              Remove exit criterion {index + 1}
            </button>
          )}
        </div>
      ))}
      {!readOnly && (
        <div className="row">
          <button type="button" onClick={() => set([...items, { event: "" }])}>Add an event</button>
          <button type="button" onClick={() => set([...items, kinds[0].start()])}>Add a condition</button>
        </div>
      )}
    </fieldset>
  );
}

function EventMatch({ match, readOnly, segments, onChange }: {
  match: Record<string, unknown>;
  readOnly: boolean;
  segments: string[];
  onChange: (next: Record<string, unknown>) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>event</label>
      <input id={id} value={typeof match.event === "string" ? match.event : ""} readOnly={readOnly} onChange={(e) => onChange({ ...match, event: e.target.value })} />
      <WhereFilters where={match.where} readOnly={readOnly} depth={2} segments={segments}
        onChange={(where) => {
          const next = { ...match, where };
          if (where === undefined) delete next.where;
          onChange(next);
        }} />
    </div>
  );
}
