import { useEffect, useMemo, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Background, Controls, MarkerType, ReactFlow, ReactFlowProvider, useReactFlow, useStore,
  type Connection, type Edge, type NodeMouseHandler,
} from "@xyflow/react";
import ELK from "elkjs/lib/elk.bundled.js";
import "@xyflow/react/dist/style.css";
import { ApiError, api, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { CodeEditor } from "../../components/CodeEditor";
import { Badge, ErrorNotice, Loading, PageHeader, formatNumber } from "../../components/ui";
import {
  KIND_LABELS, STEP_KINDS, addStep, connect, deleteStep, describe, exitsOf, freshId, kindOf, newStep, parse,
  replaceStep, replaceTop, type Parsed, type Step, type StepKind,
} from "./model";
import { numbersByStep, totals, type JourneyStats } from "./stats";
import { splitsByStep, type SplitView } from "./splitModes";
import { NODE_WIDTH, StepNode, TriggerNode, nodeHeight, type StepFlowNode, type StepNodeData, type TriggerFlowNode } from "./StepNode";
import { SchemaForm, stepKindSchema, type JsonSchema } from "./SchemaForm";
import { PublishDialog } from "./PublishDialog";
import { VersionHistory } from "./VersionHistory";
import { JourneyChanges } from "./JourneyChanges";
import { LintFindings } from "./LintFindings";
import { SimulationPanel } from "./simulate/SimulationPanel";
import "./journeys.css";

type Summary = Schemas["JourneySummary"];
type Panel = "step" | "yaml" | "history" | "simulate";
/** A validation error of the server, with the step it concerns when it names one. */
type Problem = { step?: string; path?: string; line?: number; message: string };

const elk = new ELK();
const nodeTypes = { step: StepNode, trigger: TriggerNode };
const ENTRY = "$entry";

/** The journey canvas: the document as a graph with live numbers, a step editor, the YAML beside it, publish and history. */
export function JourneyCanvas() {
  const { id = "" } = useParams();
  const journey = useQuery({
    queryKey: ["journeys", id],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}", { params: { path: { id } } })),
  });
  return (
    <>
      <ErrorNotice error={journey.error} title={`Could not load the journey ${id}`} />
      {journey.isPending && <Loading what="the journey" />}
      {journey.data && (
        <ReactFlowProvider>
          <JourneyWorkspace key={journey.data.id} summary={journey.data} />
        </ReactFlowProvider>
      )}
    </>
  );
}

function JourneyWorkspace({ summary }: { summary: Summary }) {
  const id = summary.id;
  const { can } = useAuth();
  const editor = can("editor");
  const client = useQueryClient();
  const [draft, setDraft] = useState(summary.document);
  const [saved, setSaved] = useState(summary.document);
  const [selected, setSelected] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>("step");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [publishing, setPublishing] = useState(false);

  const stats = useQuery({
    queryKey: ["journeys", id, "stats"],
    queryFn: () => request<JourneyStats>("GET", `/api/journeys/${encodeURIComponent(id)}/stats`),
    refetchInterval: 5_000,
  });
  const splits = useQuery({
    queryKey: ["journeys", id, "splits"],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}/splits", { params: { path: { id } } })),
    refetchInterval: 30_000,
  });
  const splitSteps = useMemo(() => splitsByStep(splits.data), [splits.data]);
  const schema = useQuery({
    queryKey: ["schemas", "journey"],
    queryFn: () => request<JsonSchema>("GET", "/api/schemas/journey"),
    staleTime: Infinity,
  });

  // The canvas keeps the last document that parsed while the YAML is being typed.
  const current = useMemo(() => parse(draft), [draft]);
  const [good, setGood] = useState<Parsed>(current);
  useEffect(() => { if (!current.error) setGood(current); }, [current]);

  const save = useMutation({
    mutationFn: (text: string) => request<Summary>("PUT", `/api/journeys/${encodeURIComponent(id)}`, text, "application/yaml"),
    onSuccess: (next, text) => {
      setSaved(text);
      setProblems([]);
      client.setQueryData(["journeys", id], next);
      client.invalidateQueries({ queryKey: ["journeys"], exact: true });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) {
        setProblems(error.errors as Problem[]);
        const first = (error.errors as Problem[]).find((p) => p.step);
        if (first?.step) { setSelected(first.step); setPanel("step"); }
      }
    },
  });
  const status = useMutation({
    mutationFn: (action: "pause" | "resume") => unwrap(api.POST(`/api/journeys/{id}/${action}`, { params: { path: { id } } })),
    onSuccess: (next) => { client.setQueryData(["journeys", id], next); client.invalidateQueries({ queryKey: ["journeys"], exact: true }); },
  });

  const dirty = draft !== saved;
  const steps = good.steps;
  const step = steps.find((s) => s.id === selected) ?? null;
  const stepProblems = (stepId: string) => problems.filter((p) => p.step === stepId).map((p) => p.message);
  const general = problems.filter((p) => !p.step || !steps.some((s) => s.id === p.step));
  const total = totals(stats.data);

  const addKind = (kind: StepKind) => {
    const stepId = freshId(steps, kind);
    let text = addStep(draft, newStep(kind, stepId), step?.id ?? null);
    const open = step ? exitsOf(step).find((exit) => exit.target === null) : undefined;
    if (step && open && kindOf(step) !== "exit") text = connect(text, step.id, open, stepId);
    setDraft(text);
    setSelected(stepId);
    setPanel("step");
  };

  // A backtest of this draft (not the saved one) on recorded or uploaded events; choosing a step there selects it here.
  const simulation: ReactNode = (
    <SimulationPanel
      journeyId={id}
      document={draft}
      selectedStepId={selected}
      onSelectStep={(stepId) => { if (stepId) setSelected(stepId); }}
    />
  );

  return (
    <div className="journey-page">
      <PageHeader
        title={<>{summary.name ?? id} <Badge value={summary.status} /></>}
        subtitle={
          <>
            <Link to="/journeys">Journeys</Link> · {summary.publishedVersion ? `live version v${summary.publishedVersion}` : "never published"}
            {summary.publishedVersion ? (
              <>
                {" · "}<Link to={`/journeys/${encodeURIComponent(id)}/funnel`}>Funnel</Link>
                {" · "}<Link to={`/journeys/${encodeURIComponent(id)}/results`}>Results</Link>
              </>
            ) : null}
            {summary.owner ? ` · owner ${summary.owner}` : ""}{summary.category ? ` · ${summary.category}` : ""}
            {summary.priority !== null && summary.priority !== undefined ? ` · priority ${summary.priority}` : ""}
          </>
        }
        actions={editor && (
          <>
            {summary.status === "published" && <button type="button" disabled={status.isPending} onClick={() => status.mutate("pause")}>Pause</button>}
            {summary.status === "paused" && <button type="button" disabled={status.isPending} onClick={() => status.mutate("resume")}>Resume</button>}
            <button type="button" disabled={!dirty || save.isPending || !!current.error} onClick={() => save.mutate(draft)}>
              {save.isPending ? "Saving…" : dirty ? "Save draft" : "Draft saved"}
            </button>
            <button type="button" className="primary" disabled={!!current.error || (!dirty && !summary.hasUnpublishedChanges && !!summary.publishedVersion)}
              onClick={() => setPublishing(true)}>
              Publish…
            </button>
          </>
        )}
      />
      <div className="journey-totals" aria-label="Journey totals">
        <div><span className="value">{formatNumber(total.entered)}</span><span className="label">entered</span></div>
        <div><span className="value">{formatNumber(summary.active)}</span><span className="label">in it now</span></div>
        <div><span className="value">{formatNumber(total.conversions)}</span><span className="label">conversions</span></div>
        <div><span className="value">{formatNumber(total.holdoutConversions)}</span><span className="label">holdout conversions</span></div>
        <div className="refresh muted small" aria-live="polite">{stats.isFetching ? "Refreshing…" : stats.dataUpdatedAt ? `Live · updated ${new Date(stats.dataUpdatedAt).toLocaleTimeString("en-GB")}` : ""}</div>
      </div>
      <ErrorNotice error={stats.error} title="Could not load the statistics" />
      <ErrorNotice error={status.error} />
      {save.error && !(save.error instanceof ApiError && save.error.status === 422) && <ErrorNotice error={save.error} title="Could not save the draft" />}
      {problems.length > 0 && (
        <div className="notice error" role="alert">
          <strong>The server did not accept the draft: {problems.length} problem{problems.length === 1 ? "" : "s"}</strong>
          <ul>
            {general.map((p, index) => <li key={index}>{p.line ? `line ${p.line}: ` : ""}{p.message}</li>)}
            {problems.filter((p) => !general.includes(p)).map((p, index) => (
              <li key={`s${index}`}><button type="button" className="link" onClick={() => { setSelected(p.step!); setPanel("step"); }}>{p.step}</button>: {p.message}</li>
            ))}
          </ul>
        </div>
      )}
      {current.error && <div className="notice error" role="alert"><strong>The YAML does not parse</strong><p>{current.error}</p></div>}
      <LintFindings id={id} onSelectStep={(stepId) => { setSelected(stepId); setPanel("step"); }} />
      <div className={`journey-workspace${editor ? " editing" : ""}`}>
        {editor && (
          <nav className="step-palette" aria-label="Add a step">
            <h2>Add a step</h2>
            <p className="muted small">{step ? `after ${step.id}` : "at the end"}</p>
            {STEP_KINDS.map((kind) => (
              <button key={kind} type="button" className={`palette-item kind-${kind}`} onClick={() => addKind(kind)}>{KIND_LABELS[kind]}</button>
            ))}
          </nav>
        )}
        <section className="journey-canvas" aria-label="Journey canvas">
          <Graph parsed={good} stats={stats.data} splits={splitSteps} problems={problems} selected={selected} editor={editor}
            onSelect={(stepId) => { setSelected(stepId); if (stepId) setPanel("step"); }}
            onConnect={(from, exitName, to) => {
              const source = steps.find((s) => s.id === from);
              const exit = source && exitsOf(source).find((e) => e.name === exitName);
              if (source && exit) setDraft(connect(draft, from, exit, to));
            }} />
        </section>
        <aside className="journey-side" aria-label="Step, YAML and history">
          <div className="tabs" role="tablist" aria-label="Side panel">
            {(["step", "yaml", "history", ...(simulation ? ["simulate" as const] : [])] as Panel[]).map((name) => (
              <button key={name} type="button" role="tab" id={`tab-${name}`} aria-selected={panel === name} aria-controls={`panel-${name}`} onClick={() => setPanel(name)}>
                {name === "step" ? "Step" : name === "yaml" ? "YAML" : name === "history" ? "History" : "Simulate"}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${panel}`} aria-labelledby={`tab-${panel}`} className="side-body">
            {panel === "step" && (
              step
                ? <StepPanel key={step.id} step={step} schema={schema.data} schemaError={schema.error} editor={editor} problems={stepProblems(step.id)} numbers={numbersByStep(stats.data).get(step.id)}
                    onChange={(next) => { setDraft(replaceStep(draft, step.id, next)); if (next.id !== step.id) setSelected(next.id); }}
                    onDelete={() => { setDraft(deleteStep(draft, step.id)); setSelected(null); }} />
                : <JourneyPanel data={good.data} schema={schema.data} schemaError={schema.error} editor={editor} summary={`${good.steps.length} steps; ${good.trigger}.`}
                    onChange={(next) => setDraft(replaceTop(draft, next, JOURNEY_FIELDS))} />
            )}
            {panel === "yaml" && (
              <CodeEditor value={draft} onChange={editor ? setDraft : undefined} readOnly={!editor} label={`The journey document ${id} in YAML`} minHeight="28rem" />
            )}
            {panel === "history" && (
              <>
                <h3>Versions</h3>
                <VersionHistory id={id} draft={draft} />
                <h3>Changes</h3>
                <JourneyChanges id={id} />
              </>
            )}
            {panel === "simulate" && simulation}
          </div>
        </aside>
      </div>
      {publishing && (
        <PublishDialog id={id} draft={draft} dirty={dirty} summary={summary}
          onSave={() => save.mutateAsync(draft)}
          onClose={() => setPublishing(false)}
          onPublished={() => {
            setPublishing(false);
            client.invalidateQueries({ queryKey: ["journeys"] });
          }} />
      )}
    </div>
  );
}

/** The journey-wide fields the side panel edits when no step is selected: who enters, and what ends an enrollment. */
const JOURNEY_FIELDS = ["trigger", "entry", "exit_when", "goal"] as const;

/** With no step selected: the trigger (and its event filters), the entry rules and audience, the exit criteria and the goal. */
function JourneyPanel({ data, schema, schemaError, editor, summary, onChange }: {
  data: Record<string, unknown>;
  schema: JsonSchema | undefined;
  schemaError: unknown;
  editor: boolean;
  summary: string;
  onChange: (next: Record<string, unknown>) => void;
}) {
  return (
    <div className="step-panel journey-panel">
      <h2>Journey</h2>
      <p className="muted">Select a step on the canvas to see its numbers{editor ? " and edit it" : ""}. {summary}</p>
      <ErrorNotice error={schemaError} title="Could not load the journey schema" />
      {schema && (
        <form className="form step-form" aria-label="Journey entry, exit and goal" onSubmit={(event) => event.preventDefault()}>
          <SchemaForm root={schema} schema={schema} value={data} readOnly={!editor} only={JOURNEY_FIELDS} onChange={onChange} />
        </form>
      )}
    </div>
  );
}

/** The step's numbers and, for an editor, its form (from the JSON Schema of its kind), a rename and delete. */
function StepPanel({ step, schema, schemaError, editor, problems, numbers, onChange, onDelete }: {
  step: Step;
  schema: JsonSchema | undefined;
  schemaError: unknown;
  editor: boolean;
  problems: string[];
  numbers: ReturnType<typeof numbersByStep> extends Map<string, infer V> ? V | undefined : never;
  onChange: (step: Step) => void;
  onDelete: () => void;
}) {
  const kind = kindOf(step);
  const [name, setName] = useState(step.id);
  const kindSchema = schema && kind ? stepKindSchema(schema, kind) : undefined;
  return (
    <div className="step-panel">
      <h2>{kind ? KIND_LABELS[kind] : "Step"} <code>{step.id}</code></h2>
      <p className="step-what">{describe(step)}</p>
      {problems.length > 0 && (
        <div className="notice error" role="alert">
          <strong>Validation</strong>
          <ul>{problems.map((p, index) => <li key={index}>{p}</li>)}</ul>
        </div>
      )}
      <dl className="step-panel-numbers">
        <div><dt>Entered</dt><dd>{formatNumber(numbers?.entered ?? 0)}</dd></div>
        <div><dt>Here now</dt><dd>{formatNumber(numbers?.current ?? 0)}</dd></div>
        <div><dt>Errors</dt><dd>{formatNumber(numbers?.errors ?? 0)}</dd></div>
        {Object.entries(numbers?.exits ?? {}).map(([exit, count]) => <div key={exit}><dt>Exit “{exit.replace(/_/g, " ")}”</dt><dd>{formatNumber(count)}</dd></div>)}
        {Object.entries(numbers?.messages ?? {}).map(([state, count]) => <div key={state}><dt>Messages {state.replace(/_/g, " ")}</dt><dd>{formatNumber(count)}</dd></div>)}
      </dl>
      <ErrorNotice error={schemaError} title="Could not load the journey schema" />
      {kindSchema && schema && (
        <form className="form step-form" aria-label={`Step ${step.id}`} onSubmit={(event) => event.preventDefault()}>
          {editor && (
            <div className="row">
              <label className="field grow">
                <span>Step id</span>
                <input value={name} onChange={(event) => setName(event.target.value)} />
              </label>
              <button type="button" disabled={name === step.id || !/^[a-z0-9][a-z0-9_-]{0,99}$/.test(name)} onClick={() => onChange({ ...step, id: name })}>Rename</button>
            </div>
          )}
          <SchemaForm root={schema} schema={kindSchema} value={step} readOnly={!editor} skip={["id"]}
            onChange={(next) => onChange({ ...(next as Record<string, unknown>), id: step.id } as Step)} />
          {editor && <button type="button" className="danger" onClick={onDelete}>Delete step {step.id}</button>}
        </form>
      )}
    </div>
  );
}

type GraphProps = {
  parsed: Parsed;
  stats: JourneyStats | undefined;
  splits: Map<string, SplitView>;
  problems: Problem[];
  selected: string | null;
  editor: boolean;
  onSelect: (stepId: string | null) => void;
  onConnect: (from: string, exit: string, to: string) => void;
};

/** The steps as nodes laid out by ELK (layered, top to bottom), their exits as edges with the count that took each. */
function Graph({ parsed, stats, splits, problems, selected, editor, onSelect, onConnect }: GraphProps) {
  const numbers = useMemo(() => numbersByStep(stats), [stats]);
  const entered = totals(stats).entered;
  const data = useMemo(() => parsed.steps.map<StepNodeData>((step) => ({
    id: step.id,
    kind: kindOf(step),
    description: describe(step),
    exits: exitsOf(step),
    numbers: numbers.get(step.id),
    errors: problems.filter((p) => p.step === step.id).map((p) => p.message),
    start: step.id === parsed.start,
    split: kindOf(step) === "split" ? splits.get(step.id) : undefined,
  })), [parsed, numbers, problems, splits]);
  const ids = new Set(parsed.steps.map((s) => s.id));
  const links = data.flatMap((node) => node.exits.filter((exit) => exit.target && ids.has(exit.target)).map((exit) => ({ from: node.id, exit: exit.name, to: exit.target!, many: node.exits.length > 1 })));
  if (parsed.start && ids.has(parsed.start)) links.unshift({ from: ENTRY, exit: "start", to: parsed.start, many: false });

  // The layout depends only on the shape: steps, their heights and their links.
  const shape = JSON.stringify([data.map((d) => [d.id, nodeHeight(d)]), links.map((l) => [l.from, l.exit, l.to])]);
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }>>(new Map());
  useEffect(() => {
    let cancelled = false;
    const [nodes, edges] = JSON.parse(shape) as [[string, number][], [string, string, string][]];
    elk.layout({
      id: "root",
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": "DOWN",
        "elk.layered.spacing.nodeNodeBetweenLayers": "64",
        "elk.spacing.nodeNode": "48",
        "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
        "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      },
      children: [{ id: ENTRY, width: NODE_WIDTH, height: 76 }, ...nodes.map(([nodeId, height]) => ({ id: nodeId, width: NODE_WIDTH, height }))],
      edges: edges.map(([from, exit, to], index) => ({ id: `e${index}-${from}-${exit}`, sources: [from], targets: [to] })),
    }).then((layout) => {
      if (!cancelled) setPositions(new Map((layout.children ?? []).map((child) => [child.id, { x: child.x ?? 0, y: child.y ?? 0 }])));
    });
    return () => { cancelled = true; };
  }, [shape]);

  const heights = new Map(data.map((d) => [d.id, nodeHeight(d)]));
  const bounds = positions.size === 0 ? null : [...positions].reduce(
    (box, [nodeId, p]) => ({ width: Math.max(box.width, p.x + NODE_WIDTH), height: Math.max(box.height, p.y + (heights.get(nodeId) ?? 80)) }),
    { width: 0, height: 0 });
  const nodes: (StepFlowNode | TriggerFlowNode)[] = [
    { id: ENTRY, type: "trigger", position: positions.get(ENTRY) ?? { x: 0, y: 0 }, data: { trigger: parsed.trigger, entered }, selectable: false, connectable: false },
    ...data.map<StepFlowNode>((d) => ({ id: d.id, type: "step", position: positions.get(d.id) ?? { x: 0, y: 0 }, data: d, selected: d.id === selected, width: NODE_WIDTH })),
  ];
  const edges: Edge[] = links.map((link) => {
    const count = link.from === ENTRY ? undefined : numbers.get(link.from)?.exits[link.exit];
    return {
      id: `${link.from}:${link.exit}`,
      source: link.from,
      sourceHandle: link.from === ENTRY ? undefined : link.exit,
      target: link.to,
      type: "smoothstep",
      label: link.many ? `${link.exit.replace(/_/g, " ")}${count ? ` · ${formatNumber(count)}` : ""}` : count ? formatNumber(count) : undefined,
      labelBgPadding: [6, 3] as [number, number],
      labelBgBorderRadius: 4,
      markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
    };
  });

  const onNodeClick: NodeMouseHandler = (_, node) => onSelect(node.id === ENTRY ? null : node.id);
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodeClick={onNodeClick}
      onPaneClick={() => onSelect(null)}
      nodesDraggable={false}
      nodesConnectable={editor}
      elementsSelectable
      deleteKeyCode={null}
      onConnect={(connection: Connection) => {
        if (connection.source && connection.sourceHandle && connection.target && connection.source !== ENTRY) onConnect(connection.source, connection.sourceHandle, connection.target);
      }}
      minZoom={0.2}
      proOptions={{ hideAttribution: true }}
    >
      <FitOnLayout bounds={bounds} />
      <Background gap={20} size={1} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

/**
 * Places the view when the layout changes size: the whole journey when it fits at a readable zoom, otherwise its
 * top (the entry) at a readable zoom, centred, to scroll down from.
 */
function FitOnLayout({ bounds }: { bounds: { width: number; height: number } | null }) {
  const flow = useReactFlow();
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const boxWidth = bounds?.width ?? 0;
  const boxHeight = bounds?.height ?? 0;
  useEffect(() => {
    if (boxWidth === 0 || width === 0) return;
    const whole = Math.min((width - 48) / boxWidth, (height - 48) / boxHeight, 1);
    const zoom = Math.max(whole, Math.min(0.85, (width - 32) / boxWidth));
    flow.setViewport({ x: (width - boxWidth * zoom) / 2, y: zoom === whole ? (height - boxHeight * zoom) / 2 : 24, zoom });
  }, [boxWidth, boxHeight, width, height, flow]);
  return null;
}
