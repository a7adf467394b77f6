/**
 * The admin's "Export data" action (GDPR access and portability, CCPA right to know): downloads everything held about
 * the contact, as the ZIP with a README for the person or as the JSON document. Admins only, as the server enforces.
 */
export function ExportContact({ contactId }: { contactId: string }) {
  const href = (format: "zip" | "json") => `/api/contacts/${encodeURIComponent(contactId)}/export?format=${format}`;
  return (
    <span className="export-actions" role="group" aria-label="Export data">
      <a className="button" href={href("zip")} download title="Everything held about this person, with a README they can read">Export data (ZIP)</a>
      <a className="button" href={href("json")} download>JSON</a>
    </span>
  );
}
