import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap, ApiError, type Schemas } from "../../api/client";
import { Empty, ErrorNotice, Loading, PageHeader, formatAgo, formatNumber } from "../../components/ui";
import "./contacts.css";

type Contact = Schemas["ContactView"];
type Mode = "email" | "userId" | "anonymousId" | "text" | "trait";

const modes: { value: Mode; label: string; hint: string }[] = [
  { value: "email", label: "Email (exact)", hint: "Indexed: finds the contact with this address at once." },
  { value: "userId", label: "User id (exact)", hint: "Indexed: the contact your product knows by this id." },
  { value: "anonymousId", label: "Anonymous id (exact)", hint: "Indexed: a device or browser id seen before sign-up." },
  { value: "text", label: "Part of email or name", hint: "Indexed: 3 characters or more match part of an email or name (any case), or an exact user id; 1–2 characters match the start of an email, user id, phone or anonymous id." },
  { value: "trait", label: "Trait", hint: "Indexed: contacts whose trait has exactly this value (any case for text), or any value when you leave it empty." },
];

/** The contact search: exact lookups by identity, a text search and a trait search, all answered from indexes and paged. */
export function ContactSearch() {
  const [params, setParams] = useSearchParams();
  const mode = (params.get("by") as Mode | null) ?? "email";
  const query = params.get("q") ?? "";
  const traitValue = params.get("value") ?? "";
  const [draft, setDraft] = useState({ mode, query, traitValue });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: Record<string, string> = { by: draft.mode };
    if (draft.query.trim()) next.q = draft.query.trim();
    if (draft.mode === "trait" && draft.traitValue.trim()) next.value = draft.traitValue.trim();
    setParams(next);
  };

  const hint = modes.find((m) => m.value === draft.mode)?.hint;
  return (
    <>
      <PageHeader title="Contacts" subtitle="Find a person by email, user id or trait, and open their profile." />
      <form className="panel search-form" onSubmit={submit} role="search" aria-label="Search contacts">
        <div className="row">
          <label>
            Search by
            <select value={draft.mode} onChange={(e) => setDraft({ ...draft, mode: e.target.value as Mode })}>
              {modes.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
            </select>
          </label>
          <label className="grow">
            {draft.mode === "trait" ? "Trait name" : "Search for"}
            <input
              type={draft.mode === "email" ? "email" : "search"}
              value={draft.query}
              onChange={(e) => setDraft({ ...draft, query: e.target.value })}
              placeholder={draft.mode === "email" ? "ada@example.com" : draft.mode === "trait" ? "plan" : ""}
            />
          </label>
          {draft.mode === "trait" && (
            <label>
              Value (optional)
              <input type="search" value={draft.traitValue} onChange={(e) => setDraft({ ...draft, traitValue: e.target.value })} placeholder="pro" />
            </label>
          )}
          <button type="submit" className="primary">Search</button>
        </div>
        {hint && <p className="muted small">{hint}</p>}
      </form>
      {(mode === "email" || mode === "userId" || mode === "anonymousId") && query ? (
        <LookupResult by={mode} value={query} />
      ) : mode === "trait" ? (
        query ? <TraitResults trait={query} value={traitValue || undefined} /> : <Empty>Give the trait to search by.</Empty>
      ) : (
        <TextResults q={mode === "text" ? query : ""} />
      )}
    </>
  );
}

function LookupResult({ by, value }: { by: "email" | "userId" | "anonymousId"; value: string }) {
  const lookup = useQuery({
    queryKey: ["contacts", "lookup", by, value],
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/contacts/lookup", { params: { query: { [by]: value } } }));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  if (lookup.isPending) return <Loading what="the contact" />;
  if (lookup.error) return <ErrorNotice error={lookup.error} />;
  if (!lookup.data) return <Empty>No contact has {by === "email" ? "the email" : by === "userId" ? "the user id" : "the anonymous id"} “{value}”.</Empty>;
  return <ContactTable contacts={[lookup.data]} />;
}

function TextResults({ q }: { q: string }) {
  const pages = useInfiniteQuery({
    queryKey: ["contacts", "search", q],
    queryFn: ({ pageParam }) => unwrap(api.GET("/api/contacts", { params: { query: { q: q || undefined, cursor: pageParam ?? undefined, limit: 50 } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  if (pages.isPending) return <Loading what="contacts" />;
  if (pages.error) return <ErrorNotice error={pages.error} />;
  const contacts = pages.data.pages.flatMap((page) => page.items);
  return (
    <>
      {!q && <p className="muted small">Every contact, oldest first. Search above to narrow it.</p>}
      {contacts.length === 0 ? <Empty>No contact matches “{q}”.</Empty> : <ContactTable contacts={contacts} />}
      {pages.hasNextPage && (
        <button type="button" className="more" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}

function TraitResults({ trait, value }: { trait: string; value?: string }) {
  const pages = useInfiniteQuery({
    queryKey: ["contacts", "by-trait", trait, value],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/contacts/by-trait", { params: { query: { trait, value, cursor: pageParam ?? undefined, limit: 50 } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  if (pages.isPending) return <Loading what="contacts" />;
  if (pages.error) return <ErrorNotice error={pages.error} />;
  const contacts = pages.data.pages.flatMap((page) => page.items);
  return (
    <>
      <p className="muted small" role="status">
        {formatNumber(contacts.length)} {contacts.length === 1 ? "contact" : "contacts"} with {value === undefined ? `the trait “${trait}”` : `${trait} = “${value}”`}{pages.hasNextPage ? " so far" : ""}.
      </p>
      {contacts.length > 0 && <ContactTable contacts={contacts} trait={trait} />}
      {pages.hasNextPage && (
        <button type="button" className="more" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}

function ContactTable({ contacts, trait }: { contacts: Contact[]; trait?: string }) {
  return (
    <table className="table contacts-table">
      <thead>
        <tr>
          <th scope="col">Contact</th>
          <th scope="col">User id</th>
          <th scope="col">Email</th>
          {trait && <th scope="col">{trait}</th>}
          <th scope="col" className="number">Events</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        {contacts.map((contact) => (
          <tr key={contact.id}>
            <td><Link to={`/contacts/${encodeURIComponent(contact.id)}`}>{contact.name ?? contact.email ?? contact.userId ?? contact.id}</Link></td>
            <td className="mono">{contact.userId ?? "–"}</td>
            <td>{contact.email ?? "–"}</td>
            {trait && <td>{JSON.stringify(contact.traits[trait] ?? null)}</td>}
            <td className="number">{formatNumber(contact.eventCount)}</td>
            <td>{formatAgo(contact.lastSeen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
