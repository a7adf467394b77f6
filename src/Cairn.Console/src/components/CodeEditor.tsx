import { useEffect, useRef } from "react";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, StreamLanguage, bracketMatching } from "@codemirror/language";
import { yaml } from "@codemirror/lang-yaml";
import { jinja2 } from "@codemirror/legacy-modes/mode/jinja2";

export type CodeLanguage = "yaml" | "liquid" | "text";

const languages: Record<CodeLanguage, () => Extension[]> = {
  yaml: () => [yaml()],
  // Liquid's {{ output }} and {% tags %} highlight as Jinja2's, which share the syntax.
  liquid: () => [StreamLanguage.define(jinja2)],
  text: () => [],
};

/**
 * A code editor (CodeMirror 6) for YAML documents and Liquid templates: line numbers, history, syntax colours.
 * Controlled: `value` replaces the text when it differs from what the editor holds (an outside change, like the
 * canvas editing the same document); every edit calls `onChange`.
 */
export function CodeEditor({ value, onChange, language = "yaml", label, readOnly = false, minHeight = "16rem" }: {
  value: string;
  onChange?: (text: string) => void;
  language?: CodeLanguage;
  /** The accessible name of the editor (required: it is a form control). */
  label: string;
  readOnly?: boolean;
  minHeight?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.theme({ "&": { minHeight, fontSize: "13px" }, ".cm-scroller": { fontFamily: "ui-monospace, Menlo, Consolas, monospace" } }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
          ...languages[language](),
        ],
      }),
    });
    // The scroller is keyboard-reachable (axe: scrollable-region-focusable), also when the content is read-only.
    view.current.scrollDOM.tabIndex = 0;
    return () => view.current?.destroy();
    // The editor is created once; value changes are applied below.
  }, [language, readOnly, label]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div className="code-editor" ref={host} />;
}

/** Moves the cursor to a line (1-based) and scrolls it into view: for errors that name their line. */
export function lineSelection(view: EditorView, line: number) {
  const target = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
  view.dispatch({ selection: { anchor: target.from }, scrollIntoView: true });
}
