import { useInfiniteQuery, type QueryKey } from "@tanstack/react-query";
import "./CursorPages.css";

/** What a cursor-paged route answers: a page of items and the cursor of the next page (null on the last). */
export interface CursorPage {
  nextCursor?: string | null;
}

interface Options<P extends CursorPage, T> {
  /** The query's key: include every filter, so a new filter starts again from the first page. */
  queryKey: QueryKey;
  /** Fetches the page after `cursor` (undefined: the first page). */
  fetchPage: (cursor: string | undefined) => Promise<P>;
  /** The items of a page. */
  itemsOf: (page: P) => T[];
  /** Refreshes every so many milliseconds while only the first page is shown (later pages stay as they were read). */
  refreshMs?: number;
}

/**
 * A list read a page at a time from a route with cursors (never everything at once): the items of the pages read so
 * far, and `loadMore` to read the next one. Pair it with {@link LoadMore}.
 */
export function useCursorPages<P extends CursorPage, T>({ queryKey, fetchPage, itemsOf, refreshMs }: Options<P, T>) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam ?? undefined),
    initialPageParam: null as string | null,
    getNextPageParam: (last: P) => last.nextCursor ?? undefined,
    refetchInterval: refreshMs ? (state) => ((state.state.data?.pages.length ?? 0) <= 1 ? refreshMs : false) : undefined,
  });
  const items = query.data?.pages.flatMap(itemsOf) ?? [];
  return { query, items, loaded: query.data !== undefined };
}

/** What {@link LoadMore} needs of a paged query. */
interface Pages {
  data?: unknown;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/** The "Load more" button under a paged list, with how many are shown. */
export function LoadMore({ pages, shown, what }: { pages: Pages; shown: number; what: string }) {
  if (!pages.data) return null;
  return (
    <div className="load-more row">
      <span className="muted small" role="status">
        {pages.hasNextPage ? `Showing the newest ${shown.toLocaleString()} ${what}` : `End of the list (${shown.toLocaleString()} shown)`}
      </span>
      {pages.hasNextPage && (
        <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? "Loading…" : `Load more ${what}`}
        </button>
      )}
    </div>
  );
}
