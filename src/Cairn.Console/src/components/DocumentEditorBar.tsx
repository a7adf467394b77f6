import { Link } from "react-router-dom";
import type { UseMutationResult } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { ErrorNotice } from "./ui";

type Save = Pick<UseMutationResult<unknown, Error, void>, "isPending" | "isSuccess" | "error" | "mutate">;

/** A document editor's header actions: back to the list, and Save (not for a reader). */
export function DocumentEditorActions({ listPath, listLabel, readOnly, save, canSave }: {
  listPath: string;
  listLabel: string;
  readOnly: boolean;
  save: Save;
  /** Whether there is something to save (an id, and changes or a new document). */
  canSave: boolean;
}) {
  return (
    <>
      <Link to={listPath} className="button">{listLabel}</Link>
      {!readOnly && (
        <button type="button" className="primary" disabled={save.isPending || !canSave} onClick={() => save.mutate()}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      )}
    </>
  );
}

/**
 * A document editor's notices under its header: read-only for a viewer, saved, and a failure to save — except a
 * validation failure (422), which the editor shows where each error belongs.
 */
export function DocumentEditorNotices({ what, readOnly, save, dirty, saved }: {
  /** The document's kind in words: "segment", "template". */
  what: string;
  readOnly: boolean;
  save: Save;
  dirty: boolean;
  /** What saving did, e.g. "The template is live." */
  saved: string;
}) {
  return (
    <>
      {readOnly && <p className="notice info">You can read this {what}; changing it needs the editor role.</p>}
      {save.isSuccess && !dirty && <p className="notice success" role="status">Saved. {saved}</p>}
      {save.error && !(save.error instanceof ApiError && save.error.status === 422) && <ErrorNotice error={save.error} title={`The ${what} was not saved`} />}
    </>
  );
}
