import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { parse } from "yaml";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, formatAgo, Loading, PageHeader } from "../../components/ui";
import "./templates.css";

/** A template's name and channel, read from its document. */
function describe(document: string): { name?: string; channel?: string } {
  try {
    const data = parse(document) as Record<string, unknown> | null;
    return { name: typeof data?.name === "string" ? data.name : undefined, channel: typeof data?.channel === "string" ? data.channel : undefined };
  } catch {
    return {};
  }
}

/** Every message template with its channel, status and version. */
export function TemplateList() {
  const { can } = useAuth();
  const templates = useQuery({ queryKey: ["templates"], queryFn: () => unwrap(api.GET("/api/templates")) });
  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="The messages journeys send, written in Liquid."
        actions={can("editor") && <Link className="button primary" to="/templates/new">New template</Link>}
      />
      <ErrorNotice error={templates.error} title="The templates could not be loaded" />
      {templates.isPending && <Loading what="templates" />}
      {templates.data && templates.data.length === 0 && <Empty>No templates yet.</Empty>}
      {templates.data && templates.data.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Channel</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {templates.data.map((template) => {
                const { name, channel } = describe(template.document);
                return (
                  <tr key={template.id}>
                    <td>
                      <Link to={`/templates/${encodeURIComponent(template.id)}`}>{name ?? template.id}</Link>
                      <div className="muted small"><code>{template.id}</code></div>
                    </td>
                    <td>{channel ?? "–"}</td>
                    <td><Badge value={template.status} /></td>
                    <td>{template.publishedVersion ?? "–"}</td>
                    <td>{formatAgo(template.updatedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
