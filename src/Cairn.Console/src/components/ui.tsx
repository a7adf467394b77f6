import type { ReactNode } from "react";
import { ApiError } from "../api/client";

/** A page's title, an optional line under it, and its actions on the right. */
export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

/** An error where it happened, in words: the server's problem detail and any validation errors it listed. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const message = api ? api.message : error instanceof Error ? error.message : String(error);
  return (
    <div className="notice error" role="alert">
      <strong>{title ?? (api ? api.title : "Something went wrong")}</strong>
      <p>{message}</p>
      {api && api.errors.length > 0 && (
        <ul>
          {api.errors.map((item, index) => (
            <li key={index}>
              {item.path && <code>{item.path}</code>} {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading{what ? ` ${what}` : ""}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

const tones: Record<string, string> = {
  published: "good", active: "good", sent: "good", delivered: "good", acknowledged: "good", opened: "good", clicked: "good",
  draft: "neutral", queued: "neutral", waiting: "neutral", open: "neutral",
  paused: "warn", deferred: "warn", held: "warn", breached: "bad",
  archived: "muted", suppressed: "muted", dropped: "muted",
  failed: "bad", dead: "bad", bounced: "bad", complained: "bad", error: "bad",
};

/** A status as a coloured badge. */
export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return null;
  return <span className={`badge ${tones[value.toLowerCase()] ?? "neutral"}`}>{value}</span>;
}

/** A whole number with thousands separators. */
export function formatNumber(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const number = typeof value === "string" ? Number(value) : value;
  return Number.isFinite(number) ? number.toLocaleString("en-US") : String(value);
}

/** A time in the browser's time zone, to the minute. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return "–";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** How long ago, in words ("3 min ago"). */
export function formatAgo(value: string | null | undefined): string {
  if (!value) return "–";
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return value;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}
