import { isMap, isScalar, isSeq, parse, stringify, visit, type Node } from "yaml";

/**
 * A condition as a document writes it (segment condition, journey audience, branch `when`, `exit_when`, an event's
 * `where`): a mapping such as `{ trait: plan, op: eq, value: pro }`, or a list (all of them). At run time anything
 * may stand there; the builder shows what it does not know as raw YAML.
 */
export type Condition = Record<string, unknown> | Condition[];

/**
 * Where a condition is read: `contact` conditions (a segment) read the profile and its history; `event` conditions
 * (a journey, an event's `where`) may also compare the event's properties and the enrollment's payload.
 */
export type ConditionScope = "contact" | "event";

/** How deep conditions may nest: the server's DocumentLimits.MaxConditionDepth (each all / any / not / where is a level). */
export const MAX_DEPTH = 32;

/** Every condition kind the document parser accepts, by the key that names it: a label, a starting value, its keys. */
export const kinds = [
  { key: "trait", label: "Trait", start: () => ({ trait: "", op: "eq", value: "" }), keys: ["op", "value"] },
  { key: "property", label: "Event property", start: () => ({ property: "", op: "eq", value: "" }), keys: ["op", "value"], scope: "event" },
  { key: "payload", label: "Trigger payload", start: () => ({ payload: "", op: "eq", value: "" }), keys: ["op", "value"], scope: "event" },
  { key: "performed", label: "Performed an event", start: () => ({ performed: "", at_least: 1, within: "30d" }), keys: ["where", "at_least", "at_most", "exactly", "within"] },
  { key: "not_performed", label: "Did not perform", start: () => ({ not_performed: "", within: "30d" }), keys: ["where", "within"] },
  { key: "first_performed", label: "First performed", start: () => ({ first_performed: "", within: "7d" }), keys: ["where", "within", "before", "after"] },
  { key: "last_performed", label: "Last performed", start: () => ({ last_performed: "", within: "30d" }), keys: ["where", "within", "before", "after", "not_followed_by"] },
  { key: "aggregate", label: "Aggregate of events", start: () => ({ aggregate: "sum", of: "", event: "", within: "365d", op: "gte", value: 0 }), keys: ["of", "event", "where", "within", "op", "value"] },
  { key: "engaged", label: "Engagement", start: () => ({ engaged: "opened", channel: "email", within: "90d" }), keys: ["channel", "template", "within", "at_least"] },
  { key: "score", label: "Score", start: () => ({ score: "", op: "gte", value: 50 }), keys: ["op", "value"] },
  { key: "consent", label: "Consent", start: () => ({ consent: "email", state: "opted_in" }), keys: ["group", "state"] },
  { key: "in_segment", label: "In segment", start: () => ({ in_segment: "" }), keys: [] },
  { key: "tag", label: "Tag", start: () => ({ tag: "" }), keys: [] },
  { key: "stage", label: "Lifecycle stage", start: () => ({ stage: "" }), keys: [] },
  { key: "all", label: "Group: all of", start: () => ({ all: [{ trait: "", op: "eq", value: "" }] }), keys: [] },
  { key: "any", label: "Group: any of", start: () => ({ any: [{ trait: "", op: "eq", value: "" }] }), keys: [] },
  { key: "not", label: "Group: not", start: () => ({ not: { trait: "", op: "eq", value: "" } }), keys: [] },
] as const;

export type KindKey = (typeof kinds)[number]["key"];

/** The kinds a scope offers: a segment (contact) has no event being matched, so no property or payload comparisons. */
export function kindsFor(scope: ConditionScope) {
  return kinds.filter((kind) => !("scope" in kind) || kind.scope === scope);
}

export const groupKinds: ReadonlySet<string> = new Set(["all", "any", "not"]);

/** The keys that name what a comparison reads. */
export const subjects = ["trait", "property", "payload"] as const;
export type Subject = (typeof subjects)[number];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/** The kind of a condition: its naming key, "all" for a plain list, or null when the builder does not know it. */
export function kindOf(condition: unknown): KindKey | null {
  if (Array.isArray(condition)) return "all";
  if (!isRecord(condition)) return null;
  for (const kind of kinds) if (kind.key in condition) return kind.key;
  return null;
}

/** The keys of a condition the builder has no field for: kept as they are, and named so nobody is surprised. */
export function unknownKeys(condition: Record<string, unknown>, kind: KindKey): string[] {
  const known = kinds.find((k) => k.key === kind)?.keys ?? [];
  return Object.keys(condition).filter((key) => key !== kind && !(known as readonly string[]).includes(key));
}

export const comparisonOps = ["eq", "ne", "in", "not_in", "contains", "starts_with", "gt", "gte", "lt", "lte", "exists", "not_exists", "within_last", "within_next"];
export const numberOps = ["gt", "gte", "lt", "lte", "eq", "ne"];
export const scoreOps = ["gt", "gte", "lt", "lte"];
export const aggregates = ["sum", "count", "distinct", "min", "max", "avg"];
export const engagements = ["opened", "clicked", "received"];
export const channels = ["email", "sms", "push", "webhook", "in_app", "whatsapp"];
export const consentStates = ["opted_in", "opted_out", "pending", "never_asked"];

/** A typed value from what the user wrote: numbers and true/false as such (as YAML reads them unquoted), else text. */
export function typedValue(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return text;
}

/** The text of a value for an input. */
export function valueText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Whether an operator takes a list (`in`, `not_in`), no value (`exists`, `not_exists`) or a duration. */
export const listOp = (op: string) => op === "in" || op === "not_in";
export const valuelessOp = (op: string) => op === "exists" || op === "not_exists";
export const durationOp = (op: string) => op === "within_last" || op === "within_next";

/**
 * A comparison with a new operator, its value reshaped to what the operator takes: a list for in / not_in (the one
 * value becomes a list of one), the first item when a list operator gives way to another, none for exists.
 */
export function withOperator(comparison: Record<string, unknown>, op: string): Record<string, unknown> {
  const next: Record<string, unknown> = { ...comparison, op };
  const value = comparison.value;
  if (valuelessOp(op)) delete next.value;
  else if (listOp(op)) next.value = Array.isArray(value) ? value : value === undefined || value === "" ? [] : [value];
  else if (Array.isArray(value)) next.value = value[0] ?? "";
  else if (value === undefined) next.value = "";
  return next;
}

/** A value typed in a comparison's value field, for its operator: a comma-separated list, a duration or a scalar. */
export function valueFor(op: string, text: string): unknown {
  if (listOp(op)) return text.split(",").map((part) => typedValue(part.trim())).filter((part) => part !== "");
  if (durationOp(op)) return text;
  return typedValue(text);
}

/** The children of a group condition (a plain list, all, any) or the one of a not. */
export function childrenOf(condition: Condition): Condition[] {
  if (Array.isArray(condition)) return condition;
  if (Array.isArray(condition.all)) return condition.all as Condition[];
  if (Array.isArray(condition.any)) return condition.any as Condition[];
  if (condition.not && typeof condition.not === "object") return [condition.not as Condition];
  return [];
}

/** A group condition with new children (a not keeps only its one); other keys it has are kept. */
export function withChildren(condition: Condition, children: Condition[]): Condition {
  if (Array.isArray(condition)) return children;
  if ("all" in condition) return { ...condition, all: children };
  if ("any" in condition) return { ...condition, any: children };
  return { ...condition, not: children[0] };
}

/** A group switched between all and any, other keys kept. */
export function switchGroup(condition: Condition, to: "all" | "any"): Condition {
  const children = childrenOf(condition);
  if (Array.isArray(condition)) return { [to]: children };
  const rest = Object.fromEntries(Object.entries(condition).filter(([key]) => key !== "all" && key !== "any"));
  return { [to]: children, ...rest };
}

/**
 * An event's `where` as rows of property filters, when it is one (a single comparison, a plain list or an `all`
 * of comparisons: the shapes the documents write); null when it is something else (an `any`, a nested condition),
 * which the builder then edits as a condition.
 */
export type WhereRows = { rows: Record<string, unknown>[]; shape: "single" | "list" | "all" };

function isComparison(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && subjects.some((subject) => subject in value)
    && Object.keys(value).every((key) => (subjects as readonly string[]).includes(key) || key === "op" || key === "value");
}

export function whereRows(where: unknown): WhereRows | null {
  if (where === undefined || where === null) return { rows: [], shape: "single" };
  if (isComparison(where)) return { rows: [where], shape: "single" };
  if (Array.isArray(where) && where.every(isComparison)) return { rows: where, shape: "list" };
  if (isRecord(where) && Object.keys(where).length === 1 && Array.isArray(where.all) && where.all.every(isComparison)) {
    return { rows: where.all as Record<string, unknown>[], shape: "all" };
  }
  return null;
}

/** The `where` the rows write, in the shape it had (none for no rows; a list once there are more than one). */
export function whereFrom({ rows, shape }: WhereRows): unknown {
  if (rows.length === 0) return undefined;
  if (shape === "all") return { all: rows };
  if (shape === "list" || rows.length > 1) return rows;
  return rows[0];
}

/** A new property filter. */
export const newFilter = (): Record<string, unknown> => ({ property: "", op: "eq", value: "" });

/** A value as YAML text for the raw editor (flow style for short ones, as the documents write them). */
export function toYaml(value: unknown): string {
  if (value === undefined) return "";
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** YAML text read back, or the message of why it does not parse. */
export function fromYaml(text: string): { value: unknown; error: string | null } {
  try {
    return { value: parse(text), error: null };
  } catch (error) {
    return { value: undefined, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Writes each leaf condition under a node in flow style on one line, as the examples write them
 * (`- { trait: plan, op: eq, value: pro }`); groups stay in block style.
 */
export function flowConditions(node: unknown) {
  if (!isMap(node) && !isSeq(node)) return;
  visit(node as Node, {
    Map(_, map) {
      if (!map.items.some((pair) => isScalar(pair.key) && groupKinds.has(String(pair.key.value)))) {
        map.flow = true;
        return visit.SKIP;
      }
      return undefined;
    },
  });
}
