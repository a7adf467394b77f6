import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, onSessionLost, setCsrfToken, unwrap, ApiError, type Schemas } from "./api/client";

type Session = Schemas["SessionView"];
type Role = "viewer" | "editor" | "admin";
const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

interface Auth {
  session: Session | null;
  loading: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** True when the signed-in user has at least this role (the server enforces it too). */
  can: (role: Role) => boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [loading, setLoading] = useState(true);
  const changes = useRef(0);
  const queryClient = useQueryClient();

  useEffect(() => {
    onSessionLost(() => {
      setCsrfToken(null);
      setSession(null);
    });
    // A sign-in or sign-out that finishes before this check answers is newer than its answer, which then counts for nothing.
    const asked = changes.current;
    unwrap(api.GET("/api/session"))
      .then((current) => {
        if (changes.current !== asked) return;
        setCsrfToken(current.csrfToken);
        setSession(current);
      })
      .catch(() => {
        if (changes.current === asked) setSession(null);
      })
      .finally(() => setLoading(false));
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const started = await unwrap(api.POST("/api/session", { body: { email, password } }));
    changes.current++;
    setCsrfToken(started.csrfToken);
    queryClient.clear();
    setSession(started);
  }, [queryClient]);

  const signOut = useCallback(async () => {
    try {
      await unwrap(api.DELETE("/api/session"));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    changes.current++;
    setCsrfToken(null);
    queryClient.clear();
    setSession(null);
  }, [queryClient]);

  const can = useCallback((role: Role) => session !== null && rank[session.role as Role] >= rank[role], [session]);
  const value = useMemo(() => ({ session, loading, signIn, signOut, can }), [session, loading, signIn, signOut, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
