/** Answers of contact routes the OpenAPI document does not type (anonymous objects on the server). */

export interface SegmentMembership {
  segment: string;
  enteredAt: string;
  reason: string | null;
}

export interface ConsentEntry {
  key: string;
  channel: string;
  group: string | null;
  state: string;
  source: string;
  at: string;
  proof: string | null;
}

export interface ConsentHistoryEntry {
  at: string;
  answer: { channel?: string; group?: string | null; state?: string; source?: string; proof?: string | null; [key: string]: unknown };
}

export interface PathEntry {
  at: string;
  from: string | null;
  exit: string;
  to: string;
  reason: string;
}

export interface Enrollment {
  id: string;
  journey: string;
  version: number;
  step: string | null;
  enteredAt: string;
  wakeAt: string | null;
  arm: string | null;
  control: boolean;
  convertedAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  path: PathEntry[];
  messages: { step: string; messageId: string; delivery: string }[];
}

export interface ContactJourneys {
  active: Enrollment[];
  ended: Enrollment[];
  history: { journey: string; entries: number; lastEndedAt: string | null }[];
}
