import { NavLink, Outlet } from "react-router-dom";
import { useAuth } from "../auth";
import { AlertBell } from "../pages/alerts/AlertList";

const sections = [
  { to: "/journeys", label: "Journeys" },
  { to: "/contacts", label: "Contacts" },
  { to: "/segments", label: "Segments" },
  { to: "/templates", label: "Templates" },
  { to: "/messages", label: "Messages" },
  { to: "/handoffs", label: "Hand-offs" },
  { to: "/reports/attribution", label: "Attribution" },
  { to: "/settings", label: "Settings" },
];

/** The frame of every signed-in page: the navigation, who is signed in, and the page. */
export function Shell() {
  const { session, signOut } = useAuth();
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <nav className="sidebar" aria-label="Sections">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} /> Cairn
        </div>
        <ul>
          {sections.map((section) => (
            <li key={section.to}>
              <NavLink to={section.to}>{section.label}</NavLink>
            </li>
          ))}
          <li>
            <NavLink to="/alerts"><AlertBell /></NavLink>
          </li>
        </ul>
        <div className="who">
          <span title={session?.email ?? "API key"}>{session?.email ?? "API key"}</span>
          <span className="badge neutral">{session?.role}</span>
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" className="content">
        <Outlet />
      </main>
    </div>
  );
}
