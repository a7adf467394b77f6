import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { flowConditions, kindOf, unknownKeys, whereFrom, whereRows, withChildren, withOperator } from "./model";
import { replaceStep, replaceTop } from "../../pages/journeys/model";

describe("where filters", () => {
  it("reads a single comparison, a list and an all of comparisons as rows, and writes each back in its shape", () => {
    const one = { property: "amount", op: "gte", value: 50 };
    const two = { property: "currency", op: "eq", value: "EUR" };
    for (const where of [one, [one], [one, two], { all: [one, two] }]) {
      const rows = whereRows(where);
      expect(rows).not.toBeNull();
      expect(whereFrom(rows!)).toEqual(where);
    }
  });

  it("becomes a list once a single filter has a second, and goes away with its last", () => {
    const rows = whereRows({ property: "amount", op: "gte", value: 50 })!;
    expect(whereFrom({ ...rows, rows: [...rows.rows, { property: "b", op: "eq", value: "" }] })).toHaveLength(2);
    expect(whereFrom({ ...rows, rows: [] })).toBeUndefined();
  });

  it("leaves a where of another shape to the condition editor", () => {
    expect(whereRows({ any: [{ property: "a", op: "eq", value: 1 }] })).toBeNull();
    expect(whereRows({ property: "a", op: "eq", value: 1, note: "x" })).toBeNull();
  });
});

describe("conditions", () => {
  it("reshapes the value to what a new operator takes", () => {
    expect(withOperator({ trait: "plan", op: "eq", value: "pro" }, "in")).toEqual({ trait: "plan", op: "in", value: ["pro"] });
    expect(withOperator({ trait: "plan", op: "in", value: ["pro", "team"] }, "eq")).toEqual({ trait: "plan", op: "eq", value: "pro" });
    expect(withOperator({ trait: "plan", op: "eq", value: "pro" }, "exists")).toEqual({ trait: "plan", op: "exists" });
  });

  it("knows no kind for a shape it does not know, and names the keys it has no field for", () => {
    expect(kindOf({ something: 1 })).toBeNull();
    expect(kindOf("text")).toBeNull();
    expect(kindOf([{ tag: "vip" }])).toBe("all");
    expect(unknownKeys({ in_segment: "hot", note: "kept" }, "in_segment")).toEqual(["note"]);
  });

  it("keeps a group's other keys when its children change", () => {
    expect(withChildren({ all: [{ tag: "a" }], note: "kept" }, [{ tag: "b" }])).toEqual({ all: [{ tag: "b" }], note: "kept" });
  });

  it("writes leaf conditions in flow style and groups in block style", () => {
    const document = parseDocument("x: 1\n");
    document.set("condition", document.createNode({ any: [{ tag: "vip" }, { performed: "order", where: [{ property: "amount", op: "gte", value: 5 }] }] }));
    flowConditions(document.get("condition", true));
    expect(document.toString()).toBe("x: 1\ncondition:\n  any:\n    - { tag: vip }\n    - { performed: order, where: [ { property: amount, op: gte, value: 5 } ] }\n");
  });
});

describe("journey edits", () => {
  const journey = "# kept\nid: j\ntrigger:\n  event: e\nsteps:\n  - id: check # kept too\n    branch:\n      - name: gold\n        when: { trait: plan, op: eq, value: gold }\n        next: end\n    else: end\n";

  it("writes a changed branch condition in flow style and keeps the comments", () => {
    const next = replaceStep(journey, "check", {
      id: "check",
      branch: [{ name: "gold", when: { trait: "tier", op: "in", value: ["gold", "platinum"] }, next: "end" }],
      else: "end",
    });
    expect(next).toContain("# kept\n");
    expect(next).toContain("when: { trait: tier, op: in, value: [ gold, platinum ] }");
  });

  it("sets and removes top-level fields, leaving the others", () => {
    const next = replaceTop(journey, { trigger: { event: "e", where: { property: "cart.value", op: "gte", value: 50 } }, exit_when: [{ event: "order" }] }, ["trigger", "entry", "exit_when", "goal"]);
    expect(next).toContain("where: { property: cart.value, op: gte, value: 50 }");
    expect(next).toContain("exit_when:\n  - event: order\n");
    expect(replaceTop(next, { trigger: { event: "e" } }, ["trigger", "exit_when"])).not.toContain("exit_when");
  });
});
