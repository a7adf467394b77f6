import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { Empty, ErrorNotice, Loading } from "../../components/ui";
import { LoadMore, useCursorPages } from "../../components/CursorPages";
import { AuditEntryList } from "../../components/AuditEntries";

/** The journey's changes from the audit log: drafts, publishes, pauses, resumes, archives, who made them and when. */
export function JourneyChanges({ id }: { id: string }) {
  const { can } = useAuth();
  const { query, items } = useCursorPages({
    queryKey: ["journeys", id, "history"],
    fetchPage: (cursor) => unwrap(api.GET("/api/journeys/{id}/history", { params: { path: { id }, query: { cursor, limit: 20 } } })),
    itemsOf: (page) => page.entries,
  });
  if (query.isPending) return <Loading what="changes" />;
  if (query.error) return <ErrorNotice error={query.error} title="The changes could not be read" />;
  return (
    <>
      {items.length === 0 ? <Empty>No changes recorded.</Empty> : <AuditEntryList entries={items} details={can("admin")} label="Changes to the journey" />}
      <LoadMore pages={query} shown={items.length} what="changes" />
    </>
  );
}
