import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Document } from "yaml";
import { api, ApiError, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { CodeEditor } from "../../components/CodeEditor";
import { ErrorNotice, Loading, formatTime } from "../../components/ui";
import {
  append, capChannels, categories, contactChannels, defaultsYaml, edit, fieldLines, fieldOf, parse, readForm, setList, time,
  type PolicyForm,
} from "./policyYaml";

type FieldErrors = Map<string, string[]>;

/** The sending policy as a form and as YAML, kept in sync both ways; admins save it, everyone else reads it. */
export function PolicyPage() {
  const { can } = useAuth();
  const admin = can("admin");
  const policy = useQuery({ queryKey: ["policy"], queryFn: () => unwrap(api.GET("/api/policy")) });
  const stored = useMemo(() => (policy.data ? policy.data.document?.document ?? defaultsYaml(policy.data) : null), [policy.data]);
  const [source, setSource] = useState<string | null>(null);
  useEffect(() => {
    if (stored !== null) setSource(stored);
  }, [stored]);

  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: (yaml: string) => request<Schemas["DocumentView"]>("PUT", "/api/policy", yaml, "application/yaml"),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["policy"] }),
  });

  if (policy.isPending) return <Loading what="the sending policy" />;
  if (policy.error || source === null) return <ErrorNotice error={policy.error} title="The sending policy could not be loaded" />;

  const { document, error: syntax } = parse(source);
  const errors = fieldErrors(save.error, source);
  const dirty = source !== stored;
  const change = (apply: (document: Document) => void) => {
    save.reset();
    setSource(edit(source, apply));
  };

  return (
    <div className="policy">
      <p className="muted">
        Every message from every journey passes these rules: frequency caps, quiet hours, suppression rules and consent.
        {policy.data.document ? ` Stored ${formatTime(policy.data.document.updatedAt)}; live at once when saved.` : " No policy is stored: these are the defaults."}
      </p>
      {admin && (
        <div className="actions policy-actions">
          <button type="button" className="primary" disabled={!dirty || save.isPending || syntax !== null} onClick={() => save.mutate(source)}>
            {save.isPending ? "Saving…" : "Save policy"}
          </button>
          <button type="button" disabled={!dirty || save.isPending} onClick={() => { save.reset(); setSource(stored); }}>
            Discard changes
          </button>
          {dirty && <span className="muted small">Unsaved changes</span>}
        </div>
      )}
      {!admin && <div className="notice info">Only admins change the sending policy; you see it read-only.</div>}
      {syntax && (
        <div className="notice error" role="alert">
          <strong>The YAML does not parse</strong>
          <p>{syntax} Fix it in the YAML below; the form follows.</p>
        </div>
      )}
      <ErrorNotice error={errors.unplaced} title="The policy was not saved" />
      {save.isSuccess && !dirty && (
        <div className="notice success" role="status">
          Saved; the rules are live.{save.data.warnings?.map((warning) => ` Warning (line ${warning.line}): ${warning.message}.`)}
        </div>
      )}
      {!syntax && <Form form={readForm(document)} change={change} readOnly={!admin} errors={errors.fields} />}
      <section className="panel" aria-labelledby="policy-yaml">
        <h2 id="policy-yaml">YAML</h2>
        <p className="muted small">The same policy as a document: what the form does not show (engagement, conditions) is edited here.</p>
        <CodeEditor label="Policy YAML" value={source} onChange={admin ? setSource : undefined} readOnly={!admin} minHeight="12rem" />
      </section>
    </div>
  );
}

/** The 422's errors by form field (from their lines); what no field holds is shown at the top. */
function fieldErrors(error: unknown, source: string): { fields: FieldErrors; unplaced: unknown } {
  const fields: FieldErrors = new Map();
  if (!(error instanceof ApiError) || error.errors.length === 0) return { fields, unplaced: error };
  const lines = fieldLines(source);
  const left: string[] = [];
  for (const item of error.errors) {
    const field = fieldOf(lines, item.line);
    const message = item.line ? `Line ${item.line}: ${item.message}` : item.message;
    if (field) fields.set(field, [...(fields.get(field) ?? []), message]);
    else left.push(message);
  }
  const unplaced = new ApiError(error.status, { title: error.title, detail: `${error.message} They are shown at their fields.`, errors: left.map((message) => ({ message })) });
  return { fields, unplaced };
}

function FieldError({ errors, id }: { errors: string[] | undefined; id?: string }) {
  if (!errors || errors.length === 0) return null;
  return (
    <ul className="field-error" id={id} role="alert">
      {errors.map((message) => <li key={message}>{message}</li>)}
    </ul>
  );
}

/** Errors of a key and its items (caps, caps.0, caps.1 …). */
function under(errors: FieldErrors, key: string): string[] {
  return [...errors].filter(([field]) => field === key).flatMap(([, messages]) => messages);
}

function Form({ form, change, readOnly, errors }: { form: PolicyForm; change: (apply: (document: Document) => void) => void; readOnly: boolean; errors: FieldErrors }) {
  const zones = useMemo(() => {
    const known = Intl.supportedValuesOf("timeZone");
    return [...new Set(["UTC", ...known, form.timeZone])].sort();
  }, [form.timeZone]);
  const toggle = (key: string, values: string[], value: string, on: boolean) =>
    change((document) => setList(document, [key], on ? [...values, value] : values.filter((item) => item !== value), true));

  return (
    <div className="policy-form">
      <section className="panel" aria-labelledby="policy-general">
        <h2 id="policy-general">Time and consent</h2>
        <fieldset className="bare" disabled={readOnly}>
        <legend className="visually-hidden">Time and consent</legend>
        <div className="row">
          <label>
            Time zone (for contacts without one)
            <select value={form.timeZone} aria-describedby="time_zone-error" onChange={(event) => change((document) => document.set("time_zone", event.target.value))}>
              {zones.map((zone) => <option key={zone} value={zone}>{zone}</option>)}
            </select>
          </label>
          <label>
            Deferred messages valid for
            <input value={form.validFor} placeholder="3d" size={8} aria-describedby="valid_for-error valid-for-hint" onChange={(event) => change((document) => document.set("valid_for", event.target.value))} />
          </label>
        </div>
        <p className="muted small" id="valid-for-hint">A message held by quiet hours, a cap or a rule is dropped when it is older than this (e.g. 3d, 12h).</p>
        <FieldError id="time_zone-error" errors={under(errors, "time_zone")} />
        <FieldError id="valid_for-error" errors={under(errors, "valid_for")} />
        <div className="checks" role="group" aria-labelledby="opt-in-label">
          <span id="opt-in-label" className="group-label">Marketing needs an explicit opt-in on</span>
          {contactChannels.map((channel) => (
            <label key={channel} className="check">
              <input type="checkbox" checked={form.requireOptIn.includes(channel)} onChange={(event) => toggle("require_opt_in", form.requireOptIn, channel, event.target.checked)} />
              {channel}
            </label>
          ))}
        </div>
        <FieldError id="require_opt_in-error" errors={under(errors, "require_opt_in")} />
        <div className="checks">
          <label className="check">
            <input type="checkbox" checked={form.doubleOptIn.includes("email")} onChange={(event) => toggle("double_opt_in", form.doubleOptIn, "email", event.target.checked)} />
            Email opt-ins are confirmed by a click (double opt-in)
          </label>
        </div>
        <FieldError id="double_opt_in-error" errors={under(errors, "double_opt_in")} />
        </fieldset>
      </section>

      <Caps caps={form.caps} change={change} errors={errors} readOnly={readOnly} />
      <QuietHours quiet={form.quietHours} change={change} errors={errors} readOnly={readOnly} />
      <Rules rules={form.rules} change={change} errors={errors} readOnly={readOnly} />
    </div>
  );
}

type SectionProps = { change: (apply: (document: Document) => void) => void; errors: FieldErrors; readOnly: boolean };

function Categories({ selected, label, onChange }: { selected: string[]; label: string; onChange: (values: string[]) => void }) {
  return (
    <div className="checks compact" role="group" aria-label={label}>
      {categories.map((category) => (
        <label key={category} className="check">
          <input
            type="checkbox"
            checked={selected.includes(category)}
            onChange={(event) => onChange(event.target.checked ? [...selected, category] : selected.filter((item) => item !== category))}
          />
          {category}
        </label>
      ))}
    </div>
  );
}

function RowErrors({ errors, colSpan }: { errors: string[] | undefined; colSpan: number }) {
  if (!errors || errors.length === 0) return null;
  return (
    <tr className="row-error">
      <td colSpan={colSpan}><FieldError errors={errors} /></td>
    </tr>
  );
}

function Caps({ caps, change, errors, readOnly }: SectionProps & { caps: PolicyForm["caps"] }) {
  const set = (index: number, key: string, value: unknown) => change((document) => document.setIn(["caps", index, key], value));
  return (
    <section className="panel" aria-labelledby="policy-caps">
      <h2 id="policy-caps">Frequency caps</h2>
      <p className="muted small">At most this many messages per contact per period. Channel “any” counts all channels together; no category ticked counts all but transactional.</p>
      <FieldError id="caps-error" errors={under(errors, "caps")} />
      {caps.length === 0 ? <p className="muted">No caps.</p> : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Frequency caps">
          <fieldset className="bare" disabled={readOnly}>
          <legend className="visually-hidden">Frequency caps</legend>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Id</th><th scope="col">Channel</th><th scope="col">Max</th><th scope="col">Per</th><th scope="col">Rolling</th><th scope="col">Categories</th><th scope="col"><span className="visually-hidden">Remove</span></th>
              </tr>
            </thead>
            <tbody>
              {caps.map((cap, index) => {
                const name = `Cap ${index + 1}`;
                return [
                  <tr key={index}>
                    <td><input aria-label={`${name} id`} value={cap.id} size={14} onChange={(event) => set(index, "id", event.target.value)} /></td>
                    <td>
                      <select aria-label={`${name} channel`} value={cap.channel} onChange={(event) => set(index, "channel", event.target.value)}>
                        {capChannels.map((channel) => <option key={channel}>{channel}</option>)}
                      </select>
                    </td>
                    <td><input aria-label={`${name} max`} type="number" min={0} max={10000} className="narrow" value={cap.max} onChange={(event) => set(index, "max", event.target.value === "" ? "" : Number(event.target.value))} /></td>
                    <td>
                      <select aria-label={`${name} period`} value={cap.per} onChange={(event) => set(index, "per", event.target.value)}>
                        <option value="day">day</option>
                        <option value="week">week</option>
                      </select>
                    </td>
                    <td><input aria-label={`${name} rolling`} type="checkbox" checked={cap.rolling} onChange={(event) => change((document) => event.target.checked ? document.setIn(["caps", index, "rolling"], true) : document.deleteIn(["caps", index, "rolling"]))} /></td>
                    <td><Categories label={`${name} categories`} selected={cap.categories} onChange={(values) => change((document) => setList(document, ["caps", index, "categories"], values, true))} /></td>
                    <td>{!readOnly && <button type="button" className="link danger-link" aria-label={`Remove ${name.toLowerCase()}`} onClick={() => change((document) => document.deleteIn(["caps", index]))}>Remove</button>}</td>
                  </tr>,
                  <RowErrors key={`${index}-errors`} colSpan={7} errors={errors.get(`caps.${index}`)} />,
                ];
              })}
            </tbody>
          </table>
          </fieldset>
        </div>
      )}
      {!readOnly && <button type="button" onClick={() => change((document) => append(document, "caps", { id: `cap-${caps.length + 1}`, channel: "any", max: 1, per: "day" }))}>Add a cap</button>}
    </section>
  );
}

function QuietHours({ quiet, change, errors, readOnly }: SectionProps & { quiet: PolicyForm["quietHours"] }) {
  return (
    <section className="panel" aria-labelledby="policy-quiet">
      <h2 id="policy-quiet">Quiet hours</h2>
      <p className="muted small">Local hours of the contact when a channel stays silent; a message waits until they end (within its validity).</p>
      <FieldError id="quiet-error" errors={under(errors, "quiet_hours")} />
      {quiet.length === 0 && <p className="muted">No quiet hours.</p>}
      <fieldset className="bare" disabled={readOnly}>
      <legend className="visually-hidden">Quiet hours</legend>
      <ul className="plain-list">
        {quiet.map((hours, index) => {
          const name = `Quiet hours ${index + 1}`;
          return (
            <li key={index}>
              <div className="row">
                <label>
                  Channel
                  <select aria-label={`${name} channel`} value={hours.channel} onChange={(event) => change((document) => document.setIn(["quiet_hours", index, "channel"], event.target.value))}>
                    {capChannels.map((channel) => <option key={channel}>{channel}</option>)}
                  </select>
                </label>
                <label>
                  From
                  <input aria-label={`${name} from`} type="time" value={hours.from} onChange={(event) => change((document) => document.setIn(["quiet_hours", index, "from"], time(event.target.value)))} />
                </label>
                <label>
                  To
                  <input aria-label={`${name} to`} type="time" value={hours.to} onChange={(event) => change((document) => document.setIn(["quiet_hours", index, "to"], time(event.target.value)))} />
                </label>
                {!readOnly && <button type="button" className="link danger-link" aria-label={`Remove ${name.toLowerCase()}`} onClick={() => change((document) => document.deleteIn(["quiet_hours", index]))}>Remove</button>}
              </div>
              <FieldError errors={errors.get(`quiet_hours.${index}`)} />
            </li>
          );
        })}
      </ul>
      </fieldset>
      {!readOnly && <button type="button" onClick={() => change((document) => append(document, "quiet_hours", { channel: "sms", from: time("21:00"), to: time("08:00") }))}>Add quiet hours</button>}
    </section>
  );
}

function Rules({ rules, change, errors, readOnly }: SectionProps & { rules: PolicyForm["rules"] }) {
  return (
    <section className="panel" aria-labelledby="policy-rules">
      <h2 id="policy-rules">Suppression rules</h2>
      <p className="muted small">While a contact matches the condition, messages of the categories are held (sent when the rule lifts) or dropped.</p>
      <FieldError id="rules-error" errors={under(errors, "suppression_rules")} />
      {rules.length === 0 && <p className="muted">No suppression rules.</p>}
      <fieldset className="bare" disabled={readOnly}>
      <legend className="visually-hidden">Suppression rules</legend>
      <ul className="plain-list">
        {rules.map((rule, index) => {
          const name = `Rule ${index + 1}`;
          const set = (key: string, value: unknown) => change((document) => document.setIn(["suppression_rules", index, key], value));
          return (
            <li key={index}>
              <div className="row">
                <label>Id<input aria-label={`${name} id`} value={rule.id} size={18} onChange={(event) => set("id", event.target.value)} /></label>
                <label>
                  Action
                  <select aria-label={`${name} action`} value={rule.action} onChange={(event) => set("action", event.target.value)}>
                    <option value="hold">hold</option>
                    <option value="drop">drop</option>
                  </select>
                </label>
                {rule.segment !== null ? (
                  <label>While in segment<input aria-label={`${name} segment`} value={rule.segment} size={18} onChange={(event) => change((document) => document.setIn(["suppression_rules", index, "when", "in_segment"], event.target.value))} /></label>
                ) : (
                  <div className="when"><span className="group-label">When</span><code>{JSON.stringify(rule.when)}</code><span className="muted small">edit in the YAML</span></div>
                )}
                {!readOnly && <button type="button" className="link danger-link" aria-label={`Remove ${name.toLowerCase()}`} onClick={() => change((document) => document.deleteIn(["suppression_rules", index]))}>Remove</button>}
              </div>
              <Categories label={`${name} categories`} selected={rule.categories} onChange={(values) => change((document) => setList(document, ["suppression_rules", index, "categories"], values, true))} />
              <FieldError errors={errors.get(`suppression_rules.${index}`)} />
            </li>
          );
        })}
      </ul>
      </fieldset>
      {!readOnly && (
        <button type="button" onClick={() => change((document) => append(document, "suppression_rules", { id: `rule-${rules.length + 1}`, when: { in_segment: "" }, categories: ["promotional"], action: "hold" }))}>
          Add a suppression rule
        </button>
      )}
    </section>
  );
}
