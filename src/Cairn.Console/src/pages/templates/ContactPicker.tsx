import { useEffect, useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ErrorNotice } from "../../components/ui";

export interface PickedContact {
  id: string;
  label: string;
}

/** Chooses what a preview renders for: the template's sample data, or a contact found by email, name or user id. */
export function ContactPicker({ value, onChange }: { value: PickedContact | null; onChange: (contact: PickedContact | null) => void }) {
  const [query, setQuery] = useState("");
  const [debounced, setDebounced] = useState("");
  const listId = useId();
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(query.trim()), 300);
    return () => clearTimeout(timer);
  }, [query]);
  const found = useQuery({
    queryKey: ["contact-search", debounced],
    queryFn: () => unwrap(api.GET("/api/contacts", { params: { query: { q: debounced, limit: 8 } } })),
    enabled: debounced.length >= 2 && value === null,
  });
  return (
    <fieldset className="contact-picker">
      <legend>Render for</legend>
      <label className="row">
        <input type="radio" name={`${listId}-mode`} checked={value === null} onChange={() => onChange(null)} /> The sample data
      </label>
      {value ? (
        <div className="row">
          <input type="radio" name={`${listId}-mode`} checked readOnly aria-label={`Contact ${value.label}`} />
          <span>Contact <strong>{value.label}</strong></span>
          <button type="button" className="link" onClick={() => onChange(null)}>Change</button>
        </div>
      ) : (
        <>
          <label htmlFor={`${listId}-search`}>A contact (search by email, name or user id)</label>
          <input id={`${listId}-search`} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="ann@example.com" autoComplete="off" />
          <ErrorNotice error={found.error} title="The contact search failed" />
          {found.data && (
            <ul className="contact-results" aria-label="Matching contacts">
              {found.data.items.length === 0 && <li className="muted">No contact matches.</li>}
              {found.data.items.map((contact) => {
                const label = contact.email ?? contact.userId ?? contact.id;
                return (
                  <li key={contact.id}>
                    <button type="button" className="link" onClick={() => { onChange({ id: contact.id, label }); setQuery(""); }}>
                      {label}{contact.name ? ` (${contact.name})` : ""}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
    </fieldset>
  );
}
