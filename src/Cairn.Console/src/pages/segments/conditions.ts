import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { flowConditions, type Condition } from "../../components/conditions/model";

export type { Condition };

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
  flowConditions(document.get("condition", true));
  return document.toString({ lineWidth: 0 });
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
