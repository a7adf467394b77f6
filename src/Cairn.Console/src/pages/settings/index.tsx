import { Navigate, NavLink, Outlet, Route } from "react-router-dom";
import { PageHeader } from "../../components/ui";
import { lazyPage } from "../../components/lazyPage";
import { UsersPage } from "./UsersPage";
import { KeysPage } from "./KeysPage";
import { MailboxPage } from "./MailboxPage";
import { AccountPage } from "./AccountPage";
import { AuditPage } from "./AuditPage";
import { RetentionPage } from "./RetentionPage";
import { AlertSettingsPage } from "./AlertSettingsPage";
import { ServersPage } from "./ServersPage";
import "./settings.css";

const PolicyPage = lazyPage(() => import("./PolicyPage"), "PolicyPage", "the sending policy");

const tabs = [
  { to: "policy", label: "Sending policy" },
  { to: "users", label: "Users" },
  { to: "keys", label: "API keys" },
  { to: "audit", label: "Audit log" },
  { to: "mailbox", label: "Dev mailbox" },
  { to: "retention", label: "Retention" },
  { to: "alerts", label: "Alerts" },
  { to: "servers", label: "Servers" },
  { to: "account", label: "Your account" },
];

/** Settings: a tab per part, each at its own address. */
function SettingsLayout() {
  return (
    <div className="settings">
      <PageHeader title="Settings" />
      <nav className="tabs" aria-label="Settings">
        {tabs.map((tab) => (
          <NavLink key={tab.to} to={`/settings/${tab.to}`}>{tab.label}</NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}

export const settingsRoutes = [
  <Route key="settings" path="settings" element={<SettingsLayout />}>
    <Route index element={<Navigate to="policy" replace />} />
    <Route path="policy" element={<PolicyPage />} />
    <Route path="users" element={<UsersPage />} />
    <Route path="keys" element={<KeysPage />} />
    <Route path="audit" element={<AuditPage />} />
    <Route path="mailbox" element={<MailboxPage />} />
    <Route path="retention" element={<RetentionPage />} />
    <Route path="alerts" element={<AlertSettingsPage />} />
    <Route path="servers" element={<ServersPage />} />
    <Route path="account" element={<AccountPage />} />
  </Route>,
];
