import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, fieldErrors, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { ErrorNotice, Loading } from "../../components/ui";
import { Confirm, Secret } from "./Secret";

type View = Schemas["AlertSettingsView"];
/** The thresholds: every field of the settings that is a number, in the API's own units. */
type Threshold = Exclude<keyof View, "webhookUrl" | "webhookSecretHint" | "webhookSecret" | "emailTo">;
type Field = { key: Threshold; label: string; unit: string; help: string; optional?: boolean; percent?: boolean };

/** The thresholds by detector, each with its unit and what it does (docs/alerts.md, Detectors). */
const groups: { title: string; fields: Field[] }[] = [
  {
    title: "Journey entries and sends",
    fields: [
      { key: "journeySigma", label: "Opening deviation", unit: "σ", help: "An hour's entries or sends this many standard deviations from the seasonal baseline open an incident." },
      { key: "journeyResolveSigma", label: "Clearing deviation", unit: "σ", help: "Within this many standard deviations the hour counts as clear; at most the opening deviation." },
      { key: "journeyMinChange", label: "Smallest change", unit: "fraction of the baseline", percent: true, help: "The change must also be at least this share of the baseline (0.5 is 50 %)." },
      { key: "journeyMinVolume", label: "Smallest volume", unit: "per hour", help: "A drop is judged only when the baseline is at least this much an hour, a spike only when the count is." },
      { key: "baselineMinHistory", label: "History before judging", unit: "observations", help: "A seasonal slot is used once it has this many observations (3: three days by hour of day, three weeks by hour of week)." },
      { key: "baselineAlpha", label: "Learning weight", unit: "0 to 1", help: "The weight of each new hour in the moving baseline: higher learns faster and forgets sooner." },
    ],
  },
  {
    title: "Trigger drought",
    fields: [
      { key: "droughtFactor", label: "Silence factor", unit: "× the usual gap", help: "A live journey's trigger that has not arrived for this many times its usual gap is a drought." },
      { key: "droughtMinMinutes", label: "Shortest drought", unit: "minutes", help: "…and only once the silence has lasted at least this long." },
      { key: "droughtMinEvents", label: "Events to learn the gap", unit: "events", help: "The usual gap is learnt from at least this many of the last week's trigger events." },
      { key: "droughtWindowMinutes", label: "Fixed drought window", unit: "minutes, empty to learn it", optional: true, help: "A fixed silence that counts as a drought instead of the learnt gap; leave empty to use the learnt gap." },
    ],
  },
  {
    title: "Deliverability",
    fields: [
      { key: "rateWindowHours", label: "Rate window", unit: "hours", help: "The rates count the messages queued in this many last hours." },
      { key: "rateMinSent", label: "Smallest sample", unit: "messages sent", help: "A channel's rates are judged only once at least this many messages were sent in the window." },
      { key: "bounceRate", label: "Bounce rate", unit: "fraction of sent", percent: true, help: "More than this share of sent messages bounced (0.05 is 5 %)." },
      { key: "complaintRate", label: "Complaint rate", unit: "fraction of sent", percent: true, help: "More than this share was reported as spam (0.003 is 0.3 %, the Gmail and Yahoo bulk-sender line)." },
      { key: "unsubscribeRate", label: "Unsubscribe rate", unit: "fraction of sent", percent: true, help: "More than this share unsubscribed through the message (0.02 is 2 %)." },
    ],
  },
  {
    title: "Render errors, outbox and timers",
    fields: [
      { key: "renderErrorWindowMinutes", label: "Render error window", unit: "minutes", help: "Messages that failed to render are counted over this many last minutes." },
      { key: "renderErrorMin", label: "Render errors to alert", unit: "messages", help: "At least this many failed renders in the window open an incident for the template." },
      { key: "outboxMaxAgeMinutes", label: "Oldest due message", unit: "minutes", help: "A due message that has waited longer than this means the outbox is backed up." },
      { key: "outboxMaxDue", label: "Due messages", unit: "messages", help: "…as do more than this many due messages at once." },
      { key: "timerMaxLagMinutes", label: "Timer lag", unit: "minutes", help: "The oldest due timer not fired for this long means timers are late." },
    ],
  },
  {
    title: "Incidents",
    fields: [
      { key: "resolveAfter", label: "Clear evaluations to resolve", unit: "evaluations in a row", help: "An incident resolves after this many clear evaluations in a row (for the hourly detectors, hours)." },
    ],
  },
];

const thresholds = groups.flatMap((group) => group.fields);

type Draft = Record<Threshold, string> & { webhookUrl: string; emailTo: string };

function draftOf(view: View): Draft {
  const draft = { webhookUrl: view.webhookUrl ?? "", emailTo: view.emailTo.join("\n") } as Draft;
  for (const field of thresholds) {
    const value = view[field.key];
    draft[field.key] = value === null || value === undefined ? "" : String(value);
  }
  return draft;
}

const addresses = (text: string) => text.split(/[\n,;]+/).map((address) => address.trim()).filter((address) => address !== "");

/**
 * The request of a draft: only the fields that differ from the saved settings (the API keeps the others, so a change
 * another admin saved meanwhile to another field is not undone), or the fields whose text is not a number (then
 * nothing is sent).
 */
function bodyOf(draft: Draft, saved: Draft): { body: Record<string, unknown>; errors: Record<string, string[]> } {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const field of thresholds) {
    const text = draft[field.key].trim();
    if (text === saved[field.key]) continue;
    if (text === "" && field.optional) {
      body[field.key] = 0;
    } else if (text === "" || !Number.isFinite(Number(text))) {
      errors[field.key] = [field.optional ? "a number, or empty" : "a number"];
    } else {
      body[field.key] = Number(text);
    }
  }
  if (draft.webhookUrl.trim() !== saved.webhookUrl) body.webhookUrl = draft.webhookUrl.trim();
  if (addresses(draft.emailTo).join("\n") !== saved.emailTo) body.emailTo = addresses(draft.emailTo);
  return { body, errors };
}

/** The settings to keep: everything but a secret just shown (it is not kept in the page's cache). */
const withoutSecret = (view: View): View => ({ ...view, webhookSecret: null });

/** Alert thresholds and destinations (admins only, as the API allows only them to read these). */
export function AlertSettingsPage() {
  const { can } = useAuth();
  if (!can("admin")) {
    return (
      <div className="notice info">
        <strong>Only admins see and change the alert settings.</strong>
        <p>Everyone reads the incidents on the <Link to="/alerts">Alerts</Link> page.</p>
      </div>
    );
  }
  return <AlertSettings />;
}

function AlertSettings() {
  const view = useQuery({ queryKey: ["alert-settings"], queryFn: () => unwrap(api.GET("/api/alerts/settings")) });
  return (
    <>
      <h2>Alerts</h2>
      <p className="muted small">
        When the alert watcher opens an incident and whom it tells. It opens one incident per detector and subject while
        a threshold is crossed and tells the webhook, the email recipients and the <Link to="/alerts">Alerts</Link> page
        once when it opens and once when it resolves. Changes apply from the watcher's next pass.
      </p>
      {view.isPending && <Loading what="the alert settings" />}
      <ErrorNotice error={view.error} />
      {view.data && <Editor view={view.data} />}
    </>
  );
}

function Editor({ view }: { view: View }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(view));
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const [saved, setSaved] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  // Reset the form when the saved values change (not when only the secret does, which would lose unsaved edits).
  const base = JSON.stringify(draftOf(view));
  useEffect(() => setDraft(JSON.parse(base) as Draft), [base]);
  const answered = (answer: View) => {
    if (answer.webhookSecret) setSecret(answer.webhookSecret);
    queryClient.setQueryData(["alert-settings"], withoutSecret(answer));
  };
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => request<View>("PUT", "/api/alerts/settings", body),
    onMutate: () => { setSaved(false); setSecret(null); },
    onSuccess: (answer) => { setSaved(true); answered(answer); },
  });
  const generate = useMutation({
    mutationFn: () => request<View>("PUT", "/api/alerts/settings", { webhookSecret: "generate" }),
    onMutate: () => setSecret(null),
    onSuccess: answered,
  });
  const errors = { ...fieldErrors(save.error), ...local };
  const set = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { body, errors: invalid } = bodyOf(draft, draftOf(view));
    setLocal(invalid);
    if (Object.keys(invalid).length > 0) {
      setSaved(false);
      save.reset();
      return;
    }
    save.mutate(body);
  };
  const described = (key: string, help: boolean) => [help ? `${key}-help` : null, errors[key] ? `${key}-error` : null].filter(Boolean).join(" ") || undefined;

  return (
    <section className="panel" aria-labelledby="alert-settings-edit">
      <h3 id="alert-settings-edit">Thresholds and destinations</h3>
      <form onSubmit={submit} className="alert-settings-form" noValidate>
        {groups.map((group) => (
          <fieldset key={group.title}>
            <legend>{group.title}</legend>
            <div className="alert-fields">
              {group.fields.map((field) => {
                const number = Number(draft[field.key]);
                return (
                  <div className="field" key={field.key}>
                    <label htmlFor={`alert-${field.key}`}>{field.label} <span className="muted">({field.unit})</span></label>
                    <input id={`alert-${field.key}`} inputMode="decimal" value={draft[field.key]}
                      aria-invalid={errors[field.key] ? true : undefined} aria-describedby={described(field.key, true)}
                      onChange={(event) => set({ [field.key]: event.target.value } as Partial<Draft>)} />
                    <p id={`${field.key}-help`} className="muted small hint">
                      {field.help}
                      {field.percent && draft[field.key].trim() !== "" && Number.isFinite(number) && <> Now {formatPercent(number)}.</>}
                    </p>
                    {errors[field.key] && <p id={`${field.key}-error`} className="field-error">{errors[field.key][0]}</p>}
                  </div>
                );
              })}
            </div>
          </fieldset>
        ))}
        <fieldset>
          <legend>Destinations</legend>
          <p className="muted small">The Alerts page and the bell in the header are always told.</p>
          <div className="field">
            <label htmlFor="alert-webhookUrl">Webhook URL</label>
            <input id="alert-webhookUrl" type="url" inputMode="url" value={draft.webhookUrl} placeholder="https://hooks.example.com/cairn"
              aria-invalid={errors.webhookUrl ? true : undefined} aria-describedby={described("webhookUrl", true)}
              onChange={(event) => set({ webhookUrl: event.target.value })} />
            <p id="webhookUrl-help" className="muted small hint">Each opening and resolution is POSTed here, signed per Standard Webhooks; empty sends no webhook.</p>
            {errors.webhookUrl && <p id="webhookUrl-error" className="field-error">{errors.webhookUrl[0]}</p>}
          </div>
          <div className="field">
            <span className="group-label">Webhook secret</span>
            <p className="small" id="webhook-secret-hint">
              {view.webhookSecretHint
                ? <>Set: <code>{view.webhookSecretHint}</code> (only its first characters are shown).</>
                : <span className="muted">None yet: one is made when a webhook URL is first saved.</span>}
            </p>
            {errors.webhookSecret && <p className="field-error">{errors.webhookSecret[0]}</p>}
            {view.webhookSecretHint && (
              <div className="row">
                <Confirm label="Generate a new secret" question="Receivers must be given the new secret to verify the next deliveries. Generate it?"
                  yes="Generate" busy={generate.isPending} onConfirm={() => generate.mutate()} />
              </div>
            )}
            <ErrorNotice error={generate.error} title="No new secret was made" />
          </div>
          {secret && <Secret label="New webhook secret" value={secret} onDone={() => setSecret(null)} />}
          <div className="field">
            <label htmlFor="alert-emailTo">Email recipients</label>
            <textarea id="alert-emailTo" rows={3} value={draft.emailTo}
              aria-invalid={errors.emailTo ? true : undefined} aria-describedby={described("emailTo", true)}
              onChange={(event) => set({ emailTo: event.target.value })} />
            <p id="emailTo-help" className="muted small hint">One address a line (or separated by commas), at most 20; empty sends no email.</p>
            {errors.emailTo && <p id="emailTo-error" className="field-error">{errors.emailTo[0]}</p>}
          </div>
        </fieldset>
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save alert settings"}</button>
          <button type="button" onClick={() => { setDraft(draftOf(view)); setLocal({}); save.reset(); setSaved(false); }}>Discard changes</button>
        </div>
        {saved && <p role="status">Saved. The watcher's next pass uses them.</p>}
        {Object.keys(local).length > 0 && <div className="notice error" role="alert"><strong>The settings were not saved</strong><p>Some values are not numbers; see the fields.</p></div>}
        <ErrorNotice error={save.error} title="The settings were not saved" />
      </form>
    </section>
  );
}

const formatPercent = (fraction: number) => `${Number((fraction * 100).toPrecision(6))} %`;
