import { isMap, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node as YamlNode } from "yaml";
import type { Schemas } from "../../api/client";

export const categories = ["transactional", "promotional", "operational"] as const;
export const contactChannels = ["email", "sms", "push", "in_app"] as const;
export const capChannels = ["any", ...contactChannels] as const;

export interface Cap { id: string; channel: string; max: number | ""; per: string; rolling: boolean; categories: string[] }
export interface Quiet { channel: string; from: string; to: string }
export interface Rule { id: string; action: string; categories: string[]; segment: string | null; when: unknown }

/** The fields the form shows, read from the YAML (what the form does not show stays in the YAML untouched). */
export interface PolicyForm {
  timeZone: string;
  validFor: string;
  requireOptIn: string[];
  doubleOptIn: string[];
  quietHours: Quiet[];
  caps: Cap[];
  rules: Rule[];
}

const text = (value: unknown, fallback = ""): string => (value === null || value === undefined ? fallback : String(value));
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map((item) => String(item)) : []);
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.map((item) => (item !== null && typeof item === "object" ? (item as Record<string, unknown>) : {})) : [];

/** Parses the policy YAML: the document (to edit, keeping comments) or the first syntax error. */
export function parse(source: string): { document: Document; error: string | null } {
  const document = parseDocument(source);
  return { document, error: document.errors.length > 0 ? document.errors[0].message : null };
}

/** The form's view of the YAML. */
export function readForm(document: Document): PolicyForm {
  const json = (document.toJS() ?? {}) as Record<string, unknown>;
  return {
    timeZone: text(json.time_zone, "UTC"),
    validFor: text(json.valid_for),
    requireOptIn: list(json.require_opt_in),
    doubleOptIn: list(json.double_opt_in),
    quietHours: records(json.quiet_hours).map((quiet) => ({ channel: text(quiet.channel), from: text(quiet.from), to: text(quiet.to) })),
    caps: records(json.caps).map((cap) => ({
      id: text(cap.id),
      channel: text(cap.channel, "any"),
      max: typeof cap.max === "number" ? cap.max : cap.max === undefined || cap.max === null || cap.max === "" ? "" : Number(cap.max),
      per: text(cap.per, "day"),
      rolling: cap.rolling === true,
      categories: list(cap.categories),
    })),
    rules: records(json.suppression_rules).map((rule) => {
      const when = rule.when as Record<string, unknown> | undefined;
      const onlySegment = when && typeof when === "object" && Object.keys(when).length === 1 && "in_segment" in when;
      return { id: text(rule.id), action: text(rule.action, "hold"), categories: list(rule.categories), segment: onlySegment ? text(when.in_segment) : null, when: rule.when };
    }),
  };
}

/** A YAML edit: applies `change` to a fresh parse of `source` and returns the new text (comments and other keys stay). */
export function edit(source: string, change: (document: Document) => void): string {
  const document = parseDocument(source);
  change(document);
  return document.toString();
}

/** A time of day as a quoted scalar ("21:00"), as the examples write it. */
export function time(value: string): Scalar {
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/** Sets a list value, or removes the key when the list is empty (and `removeEmpty`). */
export function setList(document: Document, path: (string | number)[], values: string[], removeEmpty: boolean) {
  if (values.length === 0 && removeEmpty) {
    if (document.hasIn(path)) document.deleteIn(path);
    return;
  }
  const node = document.createNode(values);
  node.flow = true;
  document.setIn(path, node);
}

/** Appends a flow-style map to the sequence at `key` (creating the sequence). */
export function append(document: Document, key: string, value: Record<string, unknown>) {
  const node = document.createNode(value);
  node.flow = true;
  if (document.has(key) && isSeq(document.get(key, true))) document.addIn([key], node);
  else document.set(key, document.createNode([node]));
}

/**
 * Where each form field sits in the YAML, as line ranges (1-based, inclusive): `time_zone`, `caps.0`, … so that an
 * error the server reports on a line is shown at its field.
 */
export function fieldLines(source: string): Map<string, [number, number]> {
  const counter = new LineCounter();
  const document = parseDocument(source, { lineCounter: counter });
  const fields = new Map<string, [number, number]>();
  const lines = (from: number, to: number): [number, number] => [counter.linePos(from).line, counter.linePos(Math.max(from, to - 1)).line];
  if (!isMap(document.contents)) return fields;
  for (const pair of document.contents.items) {
    const key = pair.key as YamlNode | null;
    const value = pair.value as YamlNode | null;
    if (!key?.range) continue;
    const name = String((key as Scalar).value);
    fields.set(name, lines(key.range[0], value?.range?.[1] ?? key.range[1]));
    if (isSeq(value)) {
      value.items.forEach((item, index) => {
        const range = (item as YamlNode).range;
        if (range) fields.set(`${name}.${index}`, lines(range[0], range[1]));
      });
    }
  }
  return fields;
}

/** The field an error on `line` belongs to: the narrowest range holding it (an item before its list). */
export function fieldOf(fields: Map<string, [number, number]>, line: number | undefined): string | null {
  if (!line) return null;
  let best: string | null = null;
  let width = Number.POSITIVE_INFINITY;
  for (const [name, [from, to]] of fields) {
    if (line >= from && line <= to && to - from < width) {
      best = name;
      width = to - from;
    }
  }
  return best;
}

/** The YAML of the rules in force when no policy document is stored (the defaults), to start editing from. */
export function defaultsYaml(policy: Schemas["PolicyView"]): string {
  const document = parseDocument("kind: policy\nid: default\n");
  document.set("time_zone", policy.timeZone);
  document.set("valid_for", duration(policy.validFor));
  setList(document, ["require_opt_in"], policy.requireOptIn, true);
  if (policy.quietHours.length > 0) {
    document.set("quiet_hours", document.createNode([]));
    for (const quiet of policy.quietHours) append(document, "quiet_hours", { channel: quiet.channel, from: time(quiet.from), to: time(quiet.to) });
  }
  for (const cap of policy.caps) append(document, "caps", { id: cap.id, channel: cap.channel, max: cap.max, per: cap.per, ...(cap.rolling ? { rolling: true } : {}), ...(cap.categories.length > 0 ? { categories: cap.categories } : {}) });
  return document.toString();
}

/** A .NET TimeSpan ("3.00:00:00", "12:00:00") as a document duration ("3d", "12h", "30m"). */
export function duration(span: string): string {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)/.exec(span);
  if (!match) return span;
  const [days, hours, minutes] = [Number(match[1] ?? 0), Number(match[2]), Number(match[3])];
  const total = (days * 24 + hours) * 60 + minutes;
  if (total % 1440 === 0) return `${total / 1440}d`;
  if (total % 60 === 0) return `${total / 60}h`;
  return `${total}m`;
}
