import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

/**
 * The linter's findings that concern this journey (GET /api/lint?kind=journey&id=…; docs/lint.md): nothing when
 * there are none, else a short list, each naming its step when it has one (a click selects it on the canvas).
 */
export function LintFindings({ id, onSelectStep }: { id: string; onSelectStep: (step: string) => void }) {
  const lint = useQuery({
    queryKey: ["lint", "journey", id],
    queryFn: () => unwrap(api.GET("/api/lint", { params: { query: { kind: "journey", id } } })),
  });
  const findings = lint.data?.findings ?? [];
  if (findings.length === 0) return null;
  const errors = findings.filter((finding) => finding.severity === "error").length;
  return (
    <section className="notice warning lint-findings" aria-label="Lint findings">
      <strong>
        Linter: {errors > 0 ? `${errors} error${errors === 1 ? "" : "s"}` : ""}{errors > 0 && findings.length > errors ? ", " : ""}
        {findings.length > errors ? `${findings.length - errors} warning${findings.length - errors === 1 ? "" : "s"}` : ""}
      </strong>
      <ul>
        {findings.map((finding, index) => {
          const here = finding.subjects.find((subject) => subject.kind === "journey" && subject.id === id);
          return (
            <li key={index} data-code={finding.code}>
              <span className={`lint-severity ${finding.severity}`}>{finding.severity}</span>{" "}
              <code>{finding.code}</code>
              {here?.step ? <> at <button type="button" className="link" onClick={() => onSelectStep(here.step!)}>{here.step}</button></> : null}
              : {finding.message}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
