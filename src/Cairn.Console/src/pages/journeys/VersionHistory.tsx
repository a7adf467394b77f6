import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { diffSteps, parse } from "./model";

/** The published versions, newest first: when, by whom, and how each changed the steps of the one before. */
export function VersionHistory({ id, draft }: { id: string; draft: string }) {
  const versions = useQuery({
    queryKey: ["journeys", id, "versions"],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}/versions", { params: { path: { id } } })),
  });
  if (versions.isPending) return <Loading what="versions" />;
  if (versions.error) return <ErrorNotice error={versions.error} />;
  const list = versions.data ?? [];
  if (list.length === 0) return <Empty>Never published.</Empty>;
  const draftDiff = diffSteps(parse(list[0].document).steps, parse(draft).steps);
  const draftChanges = draftDiff.added.length + draftDiff.removed.length + draftDiff.changed.length;
  return (
    <ol className="version-list">
      {draftChanges > 0 && (
        <li className="version draft">
          <div><strong>Draft</strong> <span className="muted small">not published</span></div>
          <Changes diff={draftDiff} />
        </li>
      )}
      {list.map((version, index) => {
        const before = list[index + 1];
        const diff = before ? diffSteps(parse(before.document).steps, parse(version.document).steps) : null;
        return (
          <li key={version.version} className="version">
            <div><strong>v{version.version}</strong> <span className="muted small">{formatTime(version.publishedAt)} by {version.publishedBy ?? "(not recorded)"}</span></div>
            {diff ? <Changes diff={diff} /> : <div className="muted small">first version</div>}
          </li>
        );
      })}
    </ol>
  );
}

function Changes({ diff }: { diff: ReturnType<typeof diffSteps> }) {
  if (diff.added.length + diff.removed.length + diff.changed.length === 0) return <div className="muted small">steps unchanged (other settings changed)</div>;
  return (
    <div className="small diff-line">
      {diff.added.length > 0 && <span className="diff-added">+ {diff.added.join(", ")}</span>}
      {diff.removed.length > 0 && <span className="diff-removed">− {diff.removed.join(", ")}</span>}
      {diff.changed.length > 0 && <span className="diff-changed">~ {diff.changed.join(", ")}</span>}
    </div>
  );
}
