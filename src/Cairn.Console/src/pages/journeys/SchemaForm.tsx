import { useId, useState } from "react";
import { ConditionField, ExitWhenField, WhereField } from "./ConditionFields";

/** A JSON Schema (the subset the journey schema uses). */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema | boolean>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  description?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  $defs?: Record<string, JsonSchema>;
};

/** Follows a local `$ref` (#/$defs/name) in the root schema. */
export function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let guard = 0; current.$ref && guard < 10; guard++) {
    const name = current.$ref.replace(/^#\/\$defs\//, "");
    const next = root.$defs?.[name];
    if (!next) break;
    current = { ...next, description: current.description ?? next.description };
  }
  return current;
}

/** The schema of one step kind: the branch of the step schema's oneOf that requires that kind's key. */
export function stepKindSchema(root: JsonSchema, kind: string): JsonSchema | undefined {
  const step = root.$defs?.step;
  return step?.oneOf?.find((branch) => branch.required?.includes(kind));
}

function label(name: string) {
  return name.replace(/_/g, " ");
}

/** The schema's definition of a condition: a field that refers to it is edited with the condition builder. */
const CONDITION = "#/$defs/condition";

type FieldProps = { root: JsonSchema; schema: JsonSchema; name: string; value: unknown; required: boolean; onChange: (value: unknown) => void; readOnly: boolean };

/**
 * A form generated from a JSON Schema: text, number and check boxes, selects for enums, fieldsets for objects, lists
 * for arrays of objects, the condition builder for conditions (and property filters for an event's `where`), the
 * fields of the alternative a value is (a trigger: event, date or API); any other shape is edited as JSON.
 */
export function SchemaForm({ root, schema, value, onChange, readOnly = false, skip = [], only }: {
  root: JsonSchema;
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  readOnly?: boolean;
  skip?: string[];
  /** Only these properties, in the schema's order. */
  only?: readonly string[];
}) {
  const resolved = resolve(root, schema);
  return (
    <div className="schema-form">
      {Object.entries(resolved.properties ?? {})
        .filter(([name, child]) => !skip.includes(name) && (!only || only.includes(name)) && typeof child === "object")
        .map(([name, child]) => (
          <Field
            key={name}
            root={root}
            schema={child as JsonSchema}
            name={name}
            value={value[name]}
            required={resolved.required?.includes(name) ?? false}
            readOnly={readOnly}
            onChange={(next) => {
              const copy = { ...value };
              const required = resolved.required?.includes(name) ?? false;
              if (next === undefined || (next === "" && !required)) delete copy[name];
              else copy[name] = next;
              onChange(copy);
            }}
          />
        ))}
    </div>
  );
}

function Field(props: FieldProps) {
  if (props.schema.$ref === CONDITION) {
    const Editor = props.name === "where" ? WhereField : ConditionField;
    return <Editor name={props.name} value={props.value} required={props.required} readOnly={props.readOnly} description={props.schema.description} onChange={props.onChange} />;
  }
  if (props.schema.type === "array" && props.schema.items?.anyOf?.some((item) => item.$ref === CONDITION)) {
    return <ExitWhenField name={props.name} value={props.value} required={props.required} readOnly={props.readOnly} onChange={props.onChange} />;
  }
  return <PlainField {...props} />;
}

/** The alternative of a oneOf that a value is: the object branch whose required keys it has. */
function alternative(root: JsonSchema, schema: JsonSchema, value: unknown): JsonSchema | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  return schema.oneOf
    ?.map((branch) => resolve(root, branch))
    .find((branch) => branch.type === "object" && branch.properties && (branch.required ?? []).length > 0 && branch.required!.every((key) => key in value));
}

function PlainField(props: FieldProps) {
  const { root, name, value, required, onChange, readOnly } = props;
  const schema = resolve(root, props.schema);
  const id = useId();
  const branch = alternative(root, schema, value);
  if (branch) {
    return (
      <fieldset className="field-group" data-field={name}>
        <legend>{label(name)}</legend>
        <SchemaForm root={root} schema={branch} value={value as Record<string, unknown>} readOnly={readOnly} onChange={onChange} />
      </fieldset>
    );
  }
  const hint = schema.description ? <span className="field-hint" id={`${id}-hint`}>{schema.description}</span> : null;
  const describedBy = schema.description ? `${id}-hint` : undefined;
  const title = label(name);

  if (schema.oneOf || schema.anyOf || (!schema.type && !schema.enum && schema.const === undefined)) {
    return <JsonField {...props} schema={schema} />;
  }
  if (schema.enum || schema.const !== undefined) {
    const options = schema.enum ?? [schema.const];
    return (
      <div className="field">
        <label htmlFor={id}>{title}</label>
        <select id={id} value={value === undefined ? "" : String(value)} disabled={readOnly} aria-describedby={describedBy} required={required}
          onChange={(event) => onChange(event.target.value === "" ? undefined : options.find((o) => String(o) === event.target.value))}>
          {!required && <option value="">(none)</option>}
          {options.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}
        </select>
        {hint}
      </div>
    );
  }
  if (schema.type === "boolean") {
    return (
      <div className="field">
        <label className="check">
          <input type="checkbox" checked={value === true} disabled={readOnly} onChange={(event) => onChange(event.target.checked ? true : undefined)} aria-describedby={describedBy} />
          {title}
        </label>
        {hint}
      </div>
    );
  }
  if (schema.type === "integer" || schema.type === "number") {
    return (
      <div className="field">
        <label htmlFor={id}>{title}</label>
        <input id={id} type="number" value={value === undefined ? "" : String(value)} readOnly={readOnly} min={schema.minimum} max={schema.maximum}
          step={schema.type === "integer" ? 1 : "any"} required={required} aria-describedby={describedBy}
          onChange={(event) => onChange(event.target.value === "" ? undefined : Number(event.target.value))} />
        {hint}
      </div>
    );
  }
  if (schema.type === "string") {
    return (
      <div className="field">
        <label htmlFor={id}>{title}</label>
        <input id={id} type="text" value={value === undefined ? "" : String(value)} readOnly={readOnly} required={required}
          aria-describedby={describedBy} onChange={(event) => onChange(event.target.value)} />
        {hint}
      </div>
    );
  }
  if (schema.type === "object" && schema.properties) {
    const object = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    return (
      <fieldset className="field-group">
        <legend>{title}</legend>
        <SchemaForm root={root} schema={schema} value={object} readOnly={readOnly} onChange={(next) => onChange(Object.keys(next).length === 0 ? undefined : next)} />
      </fieldset>
    );
  }
  if (schema.type === "array" && schema.items) {
    const items = Array.isArray(value) ? value : [];
    const item = resolve(root, schema.items);
    if (item.enum) {
      return (
        <fieldset className="field-group inline">
          <legend>{title}</legend>
          {item.enum.map((option) => (
            <label key={String(option)} className="check">
              <input type="checkbox" checked={items.includes(option)} disabled={readOnly}
                onChange={(event) => onChange(event.target.checked ? [...items, option] : items.filter((i) => i !== option))} />
              {String(option)}
            </label>
          ))}
        </fieldset>
      );
    }
    if (item.type === "object" && item.properties) {
      return (
        <fieldset className="field-group">
          <legend>{title}</legend>
          {items.map((entry, index) => (
            <div key={index} className="field-item">
              <SchemaForm root={root} schema={item} value={(entry ?? {}) as Record<string, unknown>} readOnly={readOnly}
                onChange={(next) => onChange(items.map((old, i) => (i === index ? next : old)))} />
              {!readOnly && <button type="button" className="link" onClick={() => onChange(items.filter((_, i) => i !== index))}>Remove {label(name)} {index + 1}</button>}
            </div>
          ))}
          {!readOnly && <button type="button" onClick={() => onChange([...items, {}])}>Add to {label(name)}</button>}
        </fieldset>
      );
    }
  }
  return <JsonField {...props} schema={schema} />;
}

/** A value the form does not draw field by field, as JSON text; applied when it parses. */
function JsonField({ name, value, onChange, readOnly, required, schema }: FieldProps) {
  const [text, setText] = useState(() => (value === undefined ? "" : JSON.stringify(value, null, 1)));
  const [invalid, setInvalid] = useState(false);
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label(name)}</label>
      <textarea id={id} className="mono" rows={Math.min(8, Math.max(2, text.split("\n").length))} value={text} readOnly={readOnly} aria-invalid={invalid}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim() === "") { setInvalid(false); onChange(undefined); return; }
          try { onChange(JSON.parse(event.target.value)); setInvalid(false); } catch { setInvalid(true); }
        }} />
      <span className="field-hint" id={`${id}-hint`}>{invalid ? "Not valid JSON yet." : schema.description ?? "As JSON (a condition or a value)."}{required ? " Required." : ""}</span>
    </div>
  );
}
