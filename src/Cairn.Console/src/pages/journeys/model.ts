import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { flowConditions } from "../../components/conditions/model";

/** A step of a journey document, as plain data. */
export type Step = { id: string } & Record<string, unknown>;

/** The step kinds, in the palette's order (the key that names a step's kind in the document). */
export const STEP_KINDS = [
  "wait", "wait_until", "wait_until_date", "wait_for", "branch", "split",
  "send", "update", "notify_owner", "webhook", "enter_journey", "exit",
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const KIND_LABELS: Record<StepKind, string> = {
  wait: "Wait", wait_until: "Wait until time", wait_until_date: "Wait until date", wait_for: "Wait for event",
  branch: "Branch", split: "Split", send: "Send message", update: "Update contact", notify_owner: "Notify owner",
  webhook: "Webhook", enter_journey: "Enter journey", exit: "Exit",
};

/** A new step of a kind: the smallest body the schema accepts, for the editor to fill in. */
export function newStep(kind: StepKind, id: string): Step {
  switch (kind) {
    case "wait": return { id, wait: "1h" };
    case "wait_until": return { id, wait_until: { time: "09:00" } };
    case "wait_until_date": return { id, wait_until_date: { trait: "date" } };
    case "wait_for": return { id, wait_for: { event: "event_name", timeout: "1d" }, exits: { happened: "end", timed_out: "end" } };
    case "branch": return { id, branch: [{ name: "case 1", when: { trait: "trait", op: "eq", value: "value" }, next: "end" }], else: "end" };
    case "split": return { id, split: [{ arm: "A", percent: 50, next: "end" }, { arm: "B", percent: 50, next: "end" }] };
    case "send": return { id, send: { channel: "email", template: "template-id" } };
    case "update": return { id, update: { action: "add_tag", name: "tag" } };
    case "notify_owner": return { id, notify_owner: { message: "Message for the owner" } };
    case "webhook": return { id, webhook: { url: "https://example.com/hook" } };
    case "enter_journey": return { id, enter_journey: "journey-id" };
    case "exit": return { id, exit: true };
  }
}

export function kindOf(step: Step): StepKind | undefined {
  return STEP_KINDS.find((kind) => kind in step);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function field(value: unknown, key: string): unknown {
  return value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

/** A duration as the document writes it, in words: "4h" → "4 h". */
function duration(value: unknown): string {
  return text(value).replace(/^(\d+(?:\.\d+)?)([a-z]+)$/i, "$1 $2");
}

/** What a step does, in a few words: "wait 4 h", "send email cart-reminder-1", "branch: high value". */
export function describe(step: Step): string {
  const kind = kindOf(step);
  switch (kind) {
    case "wait": return `wait ${duration(step.wait)}`;
    case "wait_until": {
      const days = field(step.wait_until, "days");
      return `wait until ${text(field(step.wait_until, "time"))}${Array.isArray(days) && days.length > 0 ? ` on ${days.join(", ")}` : ""}`;
    }
    case "wait_until_date": {
      const before = field(step.wait_until_date, "days_before");
      const after = field(step.wait_until_date, "days_after");
      const offset = before ? `${text(before)} d before ` : after ? `${text(after)} d after ` : "";
      return `wait until ${offset}${text(field(step.wait_until_date, "trait"))}`;
    }
    case "wait_for": return `wait for ${text(field(step.wait_for, "event"))} (up to ${duration(field(step.wait_for, "timeout"))})`;
    case "branch": {
      const cases = Array.isArray(step.branch) ? step.branch : [];
      return `branch: ${cases.map((c, index) => text(field(c, "name")) || `case ${index + 1}`).join(", ")}`;
    }
    case "split": {
      const arms = Array.isArray(step.split) ? step.split : [];
      return `${step.experiment ? "experiment" : "split"}: ${arms.map((a) => `${text(field(a, "arm"))} ${text(field(a, "percent"))}%`).join(" / ")}`;
    }
    case "send": return `send ${text(field(step.send, "channel"))} ${text(field(step.send, "template"))}`;
    case "update": return `${text(field(step.update, "action")).replace(/_/g, " ")} ${text(field(step.update, "name"))}`;
    case "notify_owner": return `notify owner: ${text(field(step.notify_owner, "message"))}`;
    case "webhook": return `webhook ${text(field(step.webhook, "url"))}`;
    case "enter_journey": return `enter journey ${text(step.enter_journey)}`;
    case "exit": return "exit the journey";
    default: return "unknown step";
  }
}

/** A way out of a step: the exit's name (as statistics count it), where in the step it is written, and its target. */
export type Exit = { name: string; path: (string | number)[]; target: string | null };

function target(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 && value !== "end" ? value : null;
}

/** A step's exits, in order: next; happened / timed out; each branch case and else; each split arm. */
export function exitsOf(step: Step): Exit[] {
  switch (kindOf(step)) {
    case "exit": return [];
    case "wait_for": return [
      { name: "happened", path: ["exits", "happened"], target: target(field(step.exits, "happened")) },
      { name: "timed_out", path: ["exits", "timed_out"], target: target(field(step.exits, "timed_out")) },
    ];
    case "branch": {
      const cases = Array.isArray(step.branch) ? step.branch : [];
      return [
        ...cases.map((c, index) => ({ name: text(field(c, "name")) || `case ${index + 1}`, path: ["branch", index, "next"], target: target(field(c, "next")) })),
        { name: "else", path: ["else"], target: target(step.else) },
      ];
    }
    case "split": {
      const arms = Array.isArray(step.split) ? step.split : [];
      return arms.map((a, index) => ({ name: text(field(a, "arm")) || `arm ${index + 1}`, path: ["split", index, "next"], target: target(field(a, "next")) }));
    }
    default: return [{ name: "next", path: ["next"], target: target(step.next) }];
  }
}

/** The journey document parsed: the YAML document (for edits that keep comments), its data, steps and trigger. */
export type Parsed = { doc: Document; data: Record<string, unknown>; steps: Step[]; start: string | null; trigger: string; error: string | null };

export function parse(source: string): Parsed {
  const doc = parseDocument(source);
  const error = doc.errors.length > 0 ? doc.errors[0].message : null;
  const data = (error ? {} : doc.toJS()) as Record<string, unknown> | null;
  const steps = Array.isArray(data?.steps)
    ? (data.steps as unknown[]).filter((s): s is Step => !!s && typeof s === "object" && typeof (s as Step).id === "string")
    : [];
  const start = typeof data?.start === "string" ? data.start : steps[0]?.id ?? null;
  const top = data && typeof data === "object" && !Array.isArray(data) ? data : {};
  return { doc, data: top, steps, start, trigger: describeTrigger(data?.trigger), error };
}

function describeTrigger(trigger: unknown): string {
  if (!trigger || typeof trigger !== "object") return "no trigger";
  const t = trigger as Record<string, unknown>;
  if (t.event) return `when ${text(t.event)} happens`;
  if (t.date) return `on the date ${text(field(t.date, "trait") ?? t.date)}`;
  if (t.api !== undefined) return "enrolled through the API";
  return Object.keys(t).join(", ");
}

/** Edits of the document through the YAML Document API, so comments and layout elsewhere survive. */
export function withDoc(source: string, edit: (doc: Document) => void): string {
  const doc = parseDocument(source);
  edit(doc);
  return doc.toString();
}

function stepIndex(doc: Document, id: string): number {
  const steps = doc.get("steps");
  if (!isSeq(steps)) return -1;
  return steps.items.findIndex((item) => isMap(item) && item.get("id") === id);
}

export function addStep(source: string, step: Step, after: string | null): string {
  return withDoc(source, (doc) => {
    if (!isSeq(doc.get("steps"))) doc.set("steps", doc.createNode([]));
    const steps = doc.get("steps");
    if (!isSeq(steps)) return;
    const node = doc.createNode(step);
    const index = after ? stepIndex(doc, after) : -1;
    if (index >= 0) steps.items.splice(index + 1, 0, node);
    else steps.items.push(node);
  });
}

/** Points one exit of a step at a target (a step id, or end). */
export function connect(source: string, stepId: string, exit: Exit, to: string): string {
  return withDoc(source, (doc) => {
    const index = stepIndex(doc, stepId);
    if (index >= 0) doc.setIn(["steps", index, ...exit.path], to);
  });
}

/** Replaces a step's body key by key (keys it no longer has go), keeping its comments. */
export function replaceStep(source: string, id: string, next: Step): string {
  return withDoc(source, (doc) => {
    const index = stepIndex(doc, id);
    const node = doc.getIn(["steps", index]);
    if (index < 0 || !isMap(node)) return;
    for (const item of [...node.items]) {
      const key = String((item.key as { value?: unknown })?.value ?? item.key);
      if (!(key in next)) node.delete(key);
    }
    for (const [key, value] of Object.entries(next)) {
      const current = node.get(key);
      if (!same(current, value)) {
        node.set(key, doc.createNode(value));
        flowConditionsIn(node.get(key, true), key);
      }
    }
    if (next.id !== id) renameReferences(doc, id, next.id);
  });
}

function same(node: unknown, value: unknown): boolean {
  const plain = node && typeof node === "object" && "toJSON" in node ? (node as { toJSON: () => unknown }).toJSON() : node;
  return JSON.stringify(plain) === JSON.stringify(value);
}

/** The keys whose value is a condition in a journey document. */
const conditionKeys: ReadonlySet<string> = new Set(["when", "where", "audience"]);

/**
 * Writes the conditions inside a node just written (a step, the trigger, entry, exit_when, goal) the way the
 * examples do: each leaf condition in flow style on one line.
 */
function flowConditionsIn(node: unknown, key: string) {
  if (conditionKeys.has(key)) {
    flowConditions(node);
  } else if (key === "exit_when" && isSeq(node)) {
    for (const item of node.items) {
      if (isMap(item) && item.has("event")) flowConditionsIn(item, "");
      else flowConditions(item);
    }
  } else if (isMap(node)) {
    for (const pair of node.items) flowConditionsIn(pair.value, isScalar(pair.key) ? String(pair.key.value) : "");
  } else if (isSeq(node)) {
    for (const item of node.items) flowConditionsIn(item, "");
  }
}

/**
 * Sets top-level keys of the document (trigger, entry, exit_when, goal …) from a new value: each of `keys` that
 * changed is written, each it no longer has removed; the rest of the document, comments included, stays.
 */
export function replaceTop(source: string, next: Record<string, unknown>, keys: readonly string[]): string {
  return withDoc(source, (doc) => {
    for (const key of keys) {
      if (next[key] === undefined) {
        if (doc.has(key)) doc.delete(key);
      } else if (!same(doc.get(key, true), next[key])) {
        doc.set(key, doc.createNode(next[key]));
        flowConditionsIn(doc.get(key, true), key);
      }
    }
  });
}

function renameReferences(doc: Document, from: string, to: string | null) {
  const steps = (doc.toJS() as { steps?: Step[]; start?: string }).steps ?? [];
  steps.forEach((step, index) => {
    for (const exit of exitsOf(step)) {
      if (exit.target === from) {
        if (to) doc.setIn(["steps", index, ...exit.path], to);
        else doc.deleteIn(["steps", index, ...exit.path]);
      }
    }
  });
  if (doc.get("start") === from) {
    if (to) doc.set("start", to);
    else doc.delete("start");
  }
}

/** Deletes a step; exits that led to it now end the enrollment. */
export function deleteStep(source: string, id: string): string {
  return withDoc(source, (doc) => {
    const index = stepIndex(doc, id);
    if (index < 0) return;
    doc.deleteIn(["steps", index]);
    renameReferences(doc, id, null);
  });
}

/** A fresh step id for a kind: send_2, wait_3 … */
export function freshId(steps: Step[], kind: StepKind): string {
  const taken = new Set(steps.map((s) => s.id));
  for (let n = 1; ; n++) {
    const id = `${kind}_${n}`;
    if (!taken.has(id)) return id;
  }
}

/** Steps added, removed and changed between the live version and the draft. */
export function diffSteps(live: Step[], draft: Step[]) {
  const before = new Map(live.map((s) => [s.id, s]));
  const after = new Map(draft.map((s) => [s.id, s]));
  return {
    added: draft.filter((s) => !before.has(s.id)).map((s) => s.id),
    removed: live.filter((s) => !after.has(s.id)).map((s) => s.id),
    changed: draft.filter((s) => before.has(s.id) && JSON.stringify(before.get(s.id)) !== JSON.stringify(s)).map((s) => s.id),
  };
}
