import { Link, useParams } from "react-router-dom";
import { NavLink } from "react-router-dom";
import { PageHeader } from "../../components/ui";
import { MessageStory } from "../../components/MessageStory";
import { MessageList } from "./MessageList";
import { Suppressions } from "./Suppressions";
import { Performance } from "./Performance";
import "./messages.css";

function Tabs() {
  return (
    <nav className="tabs" aria-label="Messages and deliverability">
      <NavLink to="/messages" end>Outbox</NavLink>
      <NavLink to="/messages/performance">Performance</NavLink>
      <NavLink to="/messages/suppressions">Suppressions, bounces and complaints</NavLink>
    </nav>
  );
}

/** The outbox with its filters. */
export function OutboxPage() {
  return (
    <>
      <PageHeader title="Messages" subtitle="Every message journeys decided, newest first: filter by status, channel, journey, template, contact and time; retry the failed ones." />
      <Tabs />
      <MessageList />
    </>
  );
}

/** Message performance per template, journey, channel or day. */
export function PerformancePage() {
  return (
    <>
      <PageHeader title="Messages" subtitle="Performance: what became of the messages sent in a period, by template, journey, channel or day." />
      <Tabs />
      <Performance />
    </>
  );
}

/** The suppression list. */
export function SuppressionsPage() {
  return (
    <>
      <PageHeader title="Messages" subtitle="Deliverability: who gets no more messages, and why." />
      <Tabs />
      <Suppressions />
    </>
  );
}

/** One message's story. */
export function MessagePage() {
  const { id = "" } = useParams();
  return (
    <>
      <p className="crumbs"><Link to="/messages">Messages</Link> /</p>
      <PageHeader title="Message story" subtitle={<span className="mono">{id}</span>} />
      <div className="panel">
        <MessageStory messageId={id} />
      </div>
    </>
  );
}
