import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import type { ReactNode } from "react";
import { useAuth } from "./auth";
import { Shell } from "./components/Shell";
import { Loading } from "./components/ui";
import { SignIn } from "./pages/SignIn";
import { journeyRoutes } from "./pages/journeys";
import { contactRoutes } from "./pages/contacts";
import { segmentRoutes } from "./pages/segments";
import { settingsRoutes } from "./pages/settings";
import { messageRoutes } from "./pages/messages";
import { handOffRoutes } from "./pages/handoffs";
import { templateRoutes } from "./pages/templates";
import { attributionRoutes } from "./pages/reports";
import { alertRoutes } from "./pages/alerts";

/** Pages need a session: without one, the user signs in and comes back here. */
function RequireSession({ children }: { children: ReactNode }) {
  const { session, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading what="your session" />;
  if (!session) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignIn />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/journeys" replace />} />
        {journeyRoutes}
        {contactRoutes}
        {segmentRoutes}
        {templateRoutes}
        {messageRoutes}
        {handOffRoutes}
        {attributionRoutes}
        {alertRoutes}
        {settingsRoutes}
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function NotFound() {
  return (
    <div className="empty">
      <h1>Page not found</h1>
      <p>There is no page at this address. Pick a section on the left.</p>
    </div>
  );
}
