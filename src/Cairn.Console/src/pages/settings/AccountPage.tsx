import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { ErrorNotice } from "../../components/ui";

/** The signed-in user's own account: who they are and a password change. */
export function AccountPage() {
  const { session } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/account/password", { body: { currentPassword: current, newPassword: next } })),
    onSuccess: () => { setCurrent(""); setNext(""); setAgain(""); },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(next !== again);
    if (next === again) change.mutate();
  };

  if (!session?.email) {
    return <div className="notice info">You are using an API key: it has no password to change.</div>;
  }
  return (
    <section className="panel" aria-labelledby="change-password">
      <p>Signed in as <strong>{session.email}</strong> ({session.role}).</p>
      <h2 id="change-password">Change your password</h2>
      <form className="form" onSubmit={submit}>
        <label>Current password<input type="password" required autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} /></label>
        <label>New password<input type="password" required minLength={12} autoComplete="new-password" aria-describedby="password-hint" value={next} onChange={(event) => setNext(event.target.value)} /></label>
        <label>New password again<input type="password" required autoComplete="new-password" value={again} onChange={(event) => setAgain(event.target.value)} /></label>
        <p className="muted small" id="password-hint">At least 12 characters. Your other sessions end; this one goes on.</p>
        {mismatch && <div className="notice error" role="alert">The two new passwords differ.</div>}
        <ErrorNotice error={change.error} title="The password was not changed" />
        {change.isSuccess && <div className="notice success" role="status">Your password is changed.</div>}
        <div><button type="submit" className="primary" disabled={change.isPending}>{change.isPending ? "Changing…" : "Change password"}</button></div>
      </form>
    </section>
  );
}
