import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { ErrorNotice, Loading, PageHeader } from "../../components/ui";
import { Identities, Traits, Segments, Scores } from "./ContactPanels";
import { Consent } from "./Consent";
import { Journeys } from "./Journeys";
import { Timeline } from "./Timeline";
import { EraseContact } from "./EraseContact";
import { ExportContact } from "./ExportContact";
import "./contacts.css";

/** Contact 360: who the person is, what they are in, what they agreed to, where they are in journeys, and what happened. */
export function ContactPage() {
  const { id = "" } = useParams();
  const { can } = useAuth();
  const contact = useQuery({
    queryKey: ["contact", id],
    queryFn: () => unwrap(api.GET("/api/contacts/{id}", { params: { path: { id } } })),
  });
  if (contact.isPending) return <Loading what="the contact" />;
  if (contact.error) {
    return (
      <>
        <PageHeader title="Contact" />
        <ErrorNotice error={contact.error} />
        <Link to="/contacts">Back to the search</Link>
      </>
    );
  }
  const c = contact.data;
  const title = c.name ?? c.email ?? c.userId ?? c.id;
  return (
    <>
      <p className="crumbs"><Link to="/contacts">Contacts</Link> /</p>
      <PageHeader
        title={title}
        subtitle={<span className="mono">{c.id}</span>}
        actions={can("admin") ? (
          <>
            <ExportContact contactId={c.id} />
            <EraseContact contact={c} />
          </>
        ) : undefined}
      />
      <div className="contact-grid">
        <div className="contact-side">
          <Identities contact={c} />
          <Traits contact={c} />
          <Scores contactId={c.id} />
          <Segments contactId={c.id} />
          <Consent contactId={c.id} />
        </div>
        <div className="contact-main">
          <Journeys contactId={c.id} />
          <Timeline contactId={c.id} />
        </div>
      </div>
    </>
  );
}
