import { isMap, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";

/** A condition as the segment document writes it: a mapping such as `{ trait: plan, op: eq, value: pro }`, or a list (all of them). */
export type Condition = Record<string, unknown> | Condition[];

/** How deep conditions may nest: the server's DocumentLimits.MaxConditionDepth (each all / any / not is a level). */
export const MAX_DEPTH = 32;

/** Every condition kind the segment parser accepts, by the key that names it, with a label and a starting value. */
export const kinds = [
  { key: "trait", label: "Trait", start: () => ({ trait: "", op: "eq", value: "" }) },
  { key: "performed", label: "Performed an event", start: () => ({ performed: "", at_least: 1, within: "30d" }) },
  { key: "not_performed", label: "Did not perform", start: () => ({ not_performed: "", within: "30d" }) },
  { key: "first_performed", label: "First performed", start: () => ({ first_performed: "", within: "7d" }) },
  { key: "last_performed", label: "Last performed", start: () => ({ last_performed: "", within: "30d" }) },
  { key: "aggregate", label: "Aggregate of events", start: () => ({ aggregate: "sum", of: "", event: "", within: "365d", op: "gte", value: 0 }) },
  { key: "engaged", label: "Engagement", start: () => ({ engaged: "opened", channel: "email", within: "90d" }) },
  { key: "score", label: "Score", start: () => ({ score: "", op: "gte", value: 50 }) },
  { key: "consent", label: "Consent", start: () => ({ consent: "email", state: "opted_in" }) },
  { key: "in_segment", label: "In segment", start: () => ({ in_segment: "" }) },
  { key: "tag", label: "Tag", start: () => ({ tag: "" }) },
  { key: "stage", label: "Lifecycle stage", start: () => ({ stage: "" }) },
  { key: "all", label: "Group: all of", start: () => ({ all: [{ trait: "", op: "eq", value: "" }] }) },
  { key: "any", label: "Group: any of", start: () => ({ any: [{ trait: "", op: "eq", value: "" }] }) },
  { key: "not", label: "Group: not", start: () => ({ not: { trait: "", op: "eq", value: "" } }) },
] as const;

export type KindKey = (typeof kinds)[number]["key"];

export const groupKinds: ReadonlySet<string> = new Set(["all", "any", "not"]);

/** The kind of a condition: its naming key, "all" for a plain list, or null when the builder does not know it. */
export function kindOf(condition: Condition): KindKey | null {
  if (Array.isArray(condition)) return "all";
  for (const kind of kinds) if (kind.key in condition) return kind.key;
  return null;
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
  return String(value);
}

/** The parsed segment document, its condition, and the line range of every condition in it (by path). */
export interface ParsedSegment {
  document: Document.Parsed | null;
  data: Record<string, unknown> | null;
  condition: Condition | null;
  /** Lines (1-based, inclusive) of each condition node, by its path in the tree ("" is the root, "0.1" a child's child). */
  lines: Map<string, [number, number]>;
  error: string | null;
}

/** Reads the YAML text of a segment document; a syntax error is returned in words, not thrown. */
export function parseSegment(text: string): ParsedSegment {
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter });
  const lines = new Map<string, [number, number]>();
  if (document.errors.length > 0) {
    return { document: null, data: null, condition: null, lines, error: document.errors[0].message };
  }
  const data = document.toJS() as unknown;
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return { document, data: null, condition: null, lines, error: "The document is not a mapping (kind, id, name, condition)." };
  }
  const root = document.get("condition", true) as Node | undefined;
  const walk = (node: Node | undefined, path: string) => {
    if (!node || !node.range) return;
    lines.set(path, [counter.linePos(node.range[0]).line, counter.linePos(Math.max(node.range[0], node.range[1] - 1)).line]);
    const children = isSeq(node) ? node : isMap(node) ? (node.get("all", true) ?? node.get("any", true)) : undefined;
    if (isSeq(children)) children.items.forEach((child, index) => walk(child as Node, path === "" ? `${index}` : `${path}.${index}`));
    else if (isMap(node) && node.has("not")) walk(node.get("not", true) as Node, path === "" ? "0" : `${path}.0`);
  };
  walk(root, "");
  const condition = (data as Record<string, unknown>).condition as Condition | undefined;
  return { document, data: data as Record<string, unknown>, condition: condition ?? null, lines, error: null };
}

/**
 * The document text with a new condition: the rest of the document (comments included) is kept, and each leaf
 * condition is written in flow style on one line, as the examples write them.
 */
export function withCondition(text: string, condition: Condition): string {
  const document = parseDocument(text);
  document.set("condition", document.createNode(condition));
  visit(document.get("condition", true) as Node, {
    Map(_, node) {
      if (!node.items.some((pair) => groupKinds.has(String((pair.key as { value?: unknown })?.value ?? "")))) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0 });
}

/** The children of a group condition (a plain list, all, any) or the one of a not. */
export function childrenOf(condition: Condition): Condition[] {
  if (Array.isArray(condition)) return condition;
  if (Array.isArray(condition.all)) return condition.all as Condition[];
  if (Array.isArray(condition.any)) return condition.any as Condition[];
  if (condition.not && typeof condition.not === "object") return [condition.not as Condition];
  return [];
}

/** A group condition with new children (a not keeps only its one). */
export function withChildren(condition: Condition, children: Condition[]): Condition {
  if (Array.isArray(condition)) return children;
  if ("all" in condition) return { all: children };
  if ("any" in condition) return { any: children };
  return { not: children[0] };
}

/** The name a new segment takes from its id until someone writes one ("cart-abandoners" → "Cart abandoners"). */
export function nameFromId(id: string): string {
  return id ? id.replace(/[-_]/g, " ").replace(/^./, (c) => c.toUpperCase()) : "New segment";
}

/** A new segment's starting document. */
export function newSegmentDocument(id: string): string {
  return `kind: segment
id: ${id}
name: ${nameFromId(id)}
condition:
  all:
    - { trait: plan, op: eq, value: pro }
`;
}
