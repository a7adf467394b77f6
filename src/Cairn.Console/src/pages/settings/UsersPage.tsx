import { Fragment, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, Loading, formatAgo, formatTime } from "../../components/ui";
import { Confirm, Secret } from "./Secret";

type User = Schemas["UserView"];
const roles = ["admin", "editor", "viewer"] as const;

/** A strong random password (about 100 bits) for a reset: shown once, like a generated one. */
function generatePassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

/** Users and roles (admins only): create, change role, reset password, unlock, delete. */
export function UsersPage() {
  const { can } = useAuth();
  if (!can("admin")) {
    return (
      <div className="notice info">
        <strong>Only admins manage users.</strong>
        <p>Ask an admin to add a user or change a role. You can change your own password under <Link to="/settings/account">Your account</Link>.</p>
      </div>
    );
  }
  return <Users />;
}

function Users() {
  const { session } = useAuth();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ["users"], queryFn: () => unwrap(api.GET("/api/users")) });
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [rowError, setRowError] = useState<{ id: string; title: string; error: unknown } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });

  const change = useMutation({
    mutationFn: ({ user, body }: { user: User; body: Schemas["UserChangeRequest"]; what: string; password?: string }) =>
      unwrap(api.PATCH("/api/users/{id}", { params: { path: { id: user.id } }, body })),
    onMutate: () => { setRowError(null); setDone(null); },
    onSuccess: (_, { user, what, password }) => {
      if (password) setSecret({ label: `New password for ${user.email}`, value: password });
      else setDone(`${user.email}: ${what}.`);
      void refresh();
    },
    onError: (error, { user, what }) => setRowError({ id: user.id, title: `Could not ${what} for ${user.email}`, error }),
  });
  const remove = useMutation({
    mutationFn: (user: User) => unwrap(api.DELETE("/api/users/{id}", { params: { path: { id: user.id } } })),
    onMutate: () => { setRowError(null); setDone(null); },
    onSuccess: (_, user) => { setDone(`${user.email} was deleted.`); void refresh(); },
    onError: (error, user) => setRowError({ id: user.id, title: `Could not delete ${user.email}`, error }),
  });

  return (
    <>
      <NewUser onCreated={(created) => {
        setDone(null);
        if (created.password) setSecret({ label: `Password for ${created.user.email}`, value: created.password });
        void refresh();
      }} />
      {secret && <Secret label={secret.label} value={secret.value} onDone={() => setSecret(null)} />}
      {done && <div className="notice success" role="status">{done}</div>}
      <h2>Users</h2>
      {users.isPending && <Loading what="users" />}
      <ErrorNotice error={users.error} />
      {users.data?.length === 0 && <Empty>No users.</Empty>}
      {users.data && users.data.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Users">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Last sign-in</th><th scope="col">Locked</th><th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => {
                const locked = user.lockedUntil !== null && new Date(user.lockedUntil) > new Date();
                const self = user.id === session?.id;
                return (
                  <Fragment key={user.id}>
                    <tr>
                      <td>{user.email}{self && <span className="muted small"> (you)</span>}</td>
                      <td>
                        <select
                          aria-label={`Role of ${user.email}`}
                          value={user.role}
                          disabled={change.isPending}
                          onChange={(event) => change.mutate({ user, body: { role: event.target.value, password: null, unlock: null }, what: `change the role to ${event.target.value}` })}
                        >
                          {roles.map((role) => <option key={role} value={role}>{role}</option>)}
                        </select>
                      </td>
                      <td title={formatTime(user.lastSignInAt)}>{user.lastSignInAt ? formatAgo(user.lastSignInAt) : "never"}</td>
                      <td>{locked ? <><Badge value="locked" /> <span className="small muted">until {formatTime(user.lockedUntil)}</span></> : "–"}</td>
                      <td>
                        <div className="actions">
                          {locked && (
                            <button type="button" onClick={() => change.mutate({ user, body: { role: null, password: null, unlock: true }, what: "unlock" })}>Unlock</button>
                          )}
                          <Confirm
                            label="Reset password"
                            question={`Give ${user.email} a new password? Their sessions end.`}
                            yes="Yes, reset"
                            busy={change.isPending}
                            onConfirm={() => {
                              const password = generatePassword();
                              change.mutate({ user, body: { role: null, password, unlock: true }, what: "reset the password", password });
                            }}
                          />
                          {!self && (
                            <Confirm label="Delete" question={`Delete ${user.email}?`} yes="Yes, delete" busy={remove.isPending} onConfirm={() => remove.mutate(user)} />
                          )}
                        </div>
                      </td>
                    </tr>
                    {rowError?.id === user.id && (
                      <tr className="row-error">
                        <td colSpan={5}><ErrorNotice error={rowError.error} title={rowError.title} /></td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function NewUser({ onCreated }: { onCreated: (created: Schemas["CreatedUserView"]) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<string>("editor");
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/users", { body: { email, role, password: null } })),
    onSuccess: (created) => { setEmail(""); onCreated(created); },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="panel" aria-labelledby="new-user">
      <h2 id="new-user">Add a user</h2>
      <form className="row" onSubmit={submit}>
        <div className="field">
          <label htmlFor="new-user-email">E-mail</label>
          <input id="new-user-email" type="email" required value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={role} onChange={(event) => setRole(event.target.value)}>
            {roles.map((item) => <option key={item} value={item}>{item}</option>)}
          </select>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? "Adding…" : "Add user"}</button>
      </form>
      <p className="muted small">A password is generated and shown once; the user changes it under Settings › Your account. Admins manage everything, editors change journeys and documents, viewers read.</p>
      <ErrorNotice error={create.error} title="The user was not added" />
    </section>
  );
}
