import { useEffect, useRef, useState } from "react";
import type { Schemas } from "../../api/client";

/** What a template renders to: an email in a sandboxed frame at desktop or phone width, an SMS with its encoding, a push. */
export function TemplatePreviewPane({ preview }: { preview: Schemas["TemplatePreview"] }) {
  const parts = preview.parts;
  switch (preview.channel) {
    case "email":
      return <EmailPreview parts={parts} />;
    case "sms":
      return (
        <div className="sms-preview">
          <div className="sms-bubble" data-part="text">{parts.text}</div>
          {preview.sms && (
            <p className="sms-facts" data-sms>
              <strong>{preview.sms.encoding}</strong> · {String(preview.sms.units)} {preview.sms.encoding === "GSM-7" ? "septets" : "UTF-16 units"} ·{" "}
              <strong>{String(preview.sms.segments)} {Number(preview.sms.segments) === 1 ? "segment" : "segments"}</strong>
            </p>
          )}
        </div>
      );
    case "push":
    case "in_app":
      return (
        <div className="push-preview" data-part="push">
          <strong data-part="title">{parts.title}</strong>
          <p data-part="body">{parts.body}</p>
          {parts.deep_link && <p className="muted small">Opens {parts.deep_link}</p>}
        </div>
      );
    default:
      return (
        <dl className="parts-preview">
          {Object.entries(parts).map(([name, text]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd><pre>{text}</pre></dd>
            </div>
          ))}
        </dl>
      );
  }
}

// The widths an email is rendered at, and the frame's height at that width.
const frameWidths = { desktop: 1000, mobile: 375 } as const;
const frameHeight = 512;

/** The width available inside an element, kept up to date as it resizes. */
function useInnerWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const style = getComputedStyle(element);
      setWidth(element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

function EmailPreview({ parts }: { parts: Record<string, string> }) {
  const [width, setWidth] = useState<"desktop" | "mobile">("desktop");
  const [box, available] = useInnerWidth<HTMLDivElement>();
  // The email is laid out at the chosen width and shown scaled down to the panel when the panel is narrower, as
  // an inbox preview does: the layout is the one a reader at that width gets, only smaller.
  const frameWidth = frameWidths[width];
  const scale = available === null ? 1 : Math.min(1, available / frameWidth);
  return (
    <div className="email-preview">
      <dl className="email-headers">
        <div><dt>Subject</dt><dd data-part="subject">{parts.subject}</dd></div>
        {parts.preheader && <div><dt>Preheader</dt><dd>{parts.preheader}</dd></div>}
      </dl>
      <div className="width-toggle" role="radiogroup" aria-label="Preview width">
        {(["desktop", "mobile"] as const).map((choice) => (
          <label key={choice}>
            <input type="radio" name="email-width" value={choice} checked={width === choice} onChange={() => setWidth(choice)} />
            {choice === "desktop" ? "Desktop (1,000 px)" : "Mobile (375 px)"}
          </label>
        ))}
        {scale < 1 && <span className="muted small" data-scale>shown at {Math.round(scale * 100)} %</span>}
      </div>
      <div className="email-frame-box" ref={box}>
        <div className="email-frame-fit" style={{ width: frameWidth * scale, height: frameHeight * scale }}>
          {/* sandbox="" with srcdoc: the template's HTML can never run script or reach the console. */}
          <iframe
            title={`Email preview at ${width} width`}
            sandbox=""
            srcDoc={parts.html ?? `<pre>${escapeHtml(parts.text ?? "")}</pre>`}
            className={`email-frame ${width}`}
            data-width={width}
            style={{ width: frameWidth, height: frameHeight, transform: scale < 1 ? `scale(${scale})` : undefined }}
          />
        </div>
      </div>
      {parts.text && (
        <details>
          <summary>Text part</summary>
          <pre className="email-text">{parts.text}</pre>
        </details>
      )}
    </div>
  );
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
