/** The answer of GET /api/journeys/{id}/stats (an untyped object in the OpenAPI document). */
export type StepStatsRow = {
  step: string;
  entered: number;
  left: number;
  current: number;
  errors: number;
  exits: Record<string, number>;
  messages: Record<string, number>;
};
export type JourneyStats = {
  id: string;
  versions: {
    version: number;
    entered: number;
    ended: number;
    migratedIn: number;
    migratedOut: number;
    steps: StepStatsRow[];
    conversions: { arm: string | null; holdout: boolean; count: number }[];
  }[];
};

/** A step's numbers over every version (enrollments on earlier versions at a step of the same id count too). */
export type StepNumbers = { entered: number; current: number; errors: number; exits: Record<string, number>; messages: Record<string, number> };

export function numbersByStep(stats: JourneyStats | undefined): Map<string, StepNumbers> {
  const result = new Map<string, StepNumbers>();
  for (const version of stats?.versions ?? []) {
    for (const row of version.steps) {
      const into = result.get(row.step) ?? { entered: 0, current: 0, errors: 0, exits: {}, messages: {} };
      into.entered += row.entered;
      into.current += row.current;
      into.errors += row.errors;
      for (const [exit, count] of Object.entries(row.exits)) into.exits[exit] = (into.exits[exit] ?? 0) + count;
      for (const [status, count] of Object.entries(row.messages)) into.messages[status] = (into.messages[status] ?? 0) + count;
      result.set(row.step, into);
    }
  }
  return result;
}

/** The journey's totals: entered, in it now, conversions (holdout apart). */
export function totals(stats: JourneyStats | undefined) {
  let entered = 0, ended = 0, conversions = 0, holdoutConversions = 0;
  for (const version of stats?.versions ?? []) {
    entered += version.entered;
    ended += version.ended;
    for (const c of version.conversions) {
      if (c.holdout) holdoutConversions += c.count;
      else conversions += c.count;
    }
  }
  return { entered, ended, conversions, holdoutConversions };
}

/** Message statuses grouped as the canvas shows them: sent (and delivered), deferred (queued, held by the orchestrator), suppressed (and expired, undeliverable), failed. */
export function messageGroups(messages: Record<string, number>) {
  const groups = { sent: 0, deferred: 0, suppressed: 0, failed: 0 };
  for (const [status, count] of Object.entries(messages)) {
    const s = status.toLowerCase();
    if (["queued", "sending"].includes(s)) groups.deferred += count;
    else if (["suppressed", "expired", "undeliverable"].includes(s)) groups.suppressed += count;
    else if (["failed", "dead_letter", "bounced"].includes(s)) groups.failed += count;
    else groups.sent += count;
  }
  return groups;
}
