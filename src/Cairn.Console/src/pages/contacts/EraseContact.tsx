import { useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { ErrorNotice } from "../../components/ui";

/** The admin's Erase action: a dialog that asks to type the contact's email (or id) before erasing everything about it. */
export function EraseContact({ contact }: { contact: Schemas["ContactView"] }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const expected = contact.email ?? contact.id;
  const erase = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/contacts/{id}", { params: { path: { id: contact.id }, query: { reason: "erased from the console" } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: ["contact", contact.id] });
      void queryClient.invalidateQueries({ queryKey: ["contacts"] });
      dialog.current?.close();
      navigate("/contacts", { replace: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed.trim() === expected) erase.mutate();
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => { setTyped(""); dialog.current?.showModal(); }}>Erase…</button>
      <dialog ref={dialog} className="confirm-dialog" aria-labelledby="erase-title">
        <form onSubmit={submit} className="form">
          <h2 id="erase-title">Erase this contact?</h2>
          <p>
            Its profile, events, enrollments, messages, memberships and hand-offs are deleted for good, and its addresses
            are suppressed. This cannot be undone.
          </p>
          <label>
            Type <code>{expected}</code> to confirm
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          </label>
          <ErrorNotice error={erase.error} title="The contact was not erased" />
          <div className="row">
            <button type="submit" className="danger" disabled={typed.trim() !== expected || erase.isPending}>
              {erase.isPending ? "Erasing…" : "Erase for good"}
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          </div>
        </form>
      </dialog>
    </>
  );
}
