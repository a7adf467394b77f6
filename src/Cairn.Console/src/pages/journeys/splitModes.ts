import { type Schemas } from "../../api/client";

export type SplitView = Schemas["SplitView"];
export type JourneySplits = Schemas["JourneySplitsView"];

/** A split's mode on its canvas card: fixed, winner pending, the decided winner and the day, or a bandit with its current weights (the card's title has the numbers). */
export function splitModeLabel(split: SplitView): string {
  if (split.mode === "winner") {
    return split.decision
      ? `winner: ${split.decision.arm} · ${new Date(split.decision.decidedAt).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })}`
      : `winner pending · after ${split.winnerAfter ?? "?"}, ${split.minPerArm ?? "?"} per arm`;
  }
  if (split.mode === "bandit") {
    return `bandit · ${split.arms.map((arm) => `${arm.arm} ${Math.round(Number(arm.weight))}%`).join(" · ")}`;
  }
  return "fixed split";
}

/** The splits of the version new entrants take (else the newest), by step id. */
export function splitsByStep(view: JourneySplits | undefined): Map<string, SplitView> {
  const result = new Map<string, SplitView>();
  if (!view || view.splits.length === 0) return result;
  const version = view.publishedVersion ?? Math.max(...view.splits.map((split) => Number(split.version)));
  for (const split of view.splits) {
    if (Number(split.version) === Number(version)) result.set(split.stepId, split);
  }
  return result;
}
