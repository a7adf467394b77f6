import { LineCounter, parseDocument, type Node } from "yaml";

/** The Liquid fields of a template document per channel, in the order the editor shows them (see the template parser). */
export const fieldsByChannel: Record<string, { key: string; label: string; multiline: boolean }[]> = {
  email: [
    { key: "subject", label: "Subject", multiline: false },
    { key: "preheader", label: "Preheader", multiline: false },
    { key: "html", label: "HTML body", multiline: true },
    { key: "text", label: "Text body (generated from the HTML when empty)", multiline: true },
  ],
  sms: [{ key: "text", label: "Text", multiline: true }],
  push: [
    { key: "title", label: "Title", multiline: false },
    { key: "body", label: "Body", multiline: true },
    { key: "deep_link", label: "Deep link", multiline: false },
    { key: "image", label: "Image URL", multiline: false },
  ],
  webhook: [
    { key: "url", label: "URL", multiline: false },
    { key: "body", label: "Body", multiline: true },
  ],
  in_app: [
    { key: "title", label: "Title", multiline: false },
    { key: "body", label: "Body", multiline: true },
  ],
};

export const templateChannels = Object.keys(fieldsByChannel);

/** A template document read for the editor: its values, and the lines each top-level field spans. */
export interface ParsedTemplate {
  data: Record<string, unknown> | null;
  lines: Map<string, [number, number]>;
  error: string | null;
}

export function parseTemplate(text: string): ParsedTemplate {
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter });
  const lines = new Map<string, [number, number]>();
  if (document.errors.length > 0) return { data: null, lines, error: document.errors[0].message };
  const data = document.toJS() as unknown;
  if (!data || typeof data !== "object" || Array.isArray(data)) return { data: null, lines, error: "The document is not a mapping (kind, id, channel, …)." };
  for (const key of Object.keys(data)) {
    const pair = document.contents && "items" in document.contents ? (document.contents.items as { key: Node; value: Node | null }[]).find((item) => String((item.key as { value?: unknown }).value) === key) : undefined;
    const start = pair?.key?.range?.[0];
    const end = pair?.value?.range?.[1] ?? pair?.key?.range?.[1];
    if (start !== undefined && end !== undefined) lines.set(key, [counter.linePos(start).line, counter.linePos(Math.max(start, end - 1)).line]);
  }
  return { data: data as Record<string, unknown>, lines, error: null };
}

/** The document text with one field set (removed when empty); the rest, comments included, kept. */
export function withField(text: string, key: string, value: string): string {
  const document = parseDocument(text);
  if (value === "") document.delete(key);
  else document.set(key, value);
  return document.toString({ lineWidth: 0 });
}

/** A new template's starting document for a channel. */
export function newTemplateDocument(channel: string): string {
  const common = "kind: template\nid: new-template\nname: New template\nchannel: ";
  switch (channel) {
    case "sms":
      return `${common}sms\ntext: "{{ workspace.name }}: hi {{ contact.first_name | default: 'there' }}! Reply STOP to opt out."\n`;
    case "push":
      return `${common}push\ntitle: "Hi {{ contact.first_name | default: 'there' }}"\nbody: Something new is waiting for you.\n`;
    default:
      return `${common}email\nsubject: "Hi {{ contact.first_name | default: 'there' }}"\nhtml: |\n  <html><body>\n  <p>Hi {{ contact.first_name | default: "there" }},</p>\n  <p><a href="{{ message.unsubscribe_url }}">Unsubscribe</a></p>\n  </body></html>\n`;
  }
}
