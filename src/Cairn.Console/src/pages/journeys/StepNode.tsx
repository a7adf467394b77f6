import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { formatNumber } from "../../components/ui";
import { KIND_LABELS, type Exit, type StepKind } from "./model";
import { messageGroups, type StepNumbers } from "./stats";
import { splitModeLabel, type SplitView } from "./splitModes";
import "./split-modes.css";

export type StepNodeData = {
  id: string;
  kind: StepKind | undefined;
  description: string;
  exits: Exit[];
  numbers: StepNumbers | undefined;
  errors: string[];
  start: boolean;
  /** A split's mode and state (published version), when the step is a split. */
  split?: SplitView;
};
export type StepFlowNode = Node<StepNodeData, "step">;
export type TriggerFlowNode = Node<{ trigger: string; entered: number }, "trigger">;

export const NODE_WIDTH = 264;

/** How tall a step's card is, for the layout: more rows for more exits and message counts. */
export function nodeHeight(data: StepNodeData): number {
  return 104 + (data.split ? 22 : 0) + (data.kind === "send" ? 22 : 0) + (data.exits.length > 1 ? 22 : 0) + (data.errors.length > 0 ? 20 : 0);
}

function exitLabel(name: string) {
  return name.replace(/_/g, " ");
}

/** A step on the canvas: what it does, its live numbers, a red marker for validation errors, a handle per exit. */
export function StepNode({ data, selected }: NodeProps<StepFlowNode>) {
  const n = data.numbers;
  const messages = data.kind === "send" ? messageGroups(n?.messages ?? {}) : null;
  return (
    <div className={`step-node kind-${data.kind ?? "unknown"}${selected ? " selected" : ""}${data.errors.length > 0 ? " invalid" : ""}`}
      data-step={data.id} aria-label={`Step ${data.id}: ${data.description}`}>
      <Handle type="target" position={Position.Top} className="handle-in" />
      <div className="step-head">
        <span className="step-kind">{data.kind ? KIND_LABELS[data.kind] : "Step"}</span>
        <span className="step-id mono">{data.id}</span>
      </div>
      <div className="step-what" title={data.description}>{data.description}</div>
      {data.split && (
        <div className={`step-mode mode-${data.split.mode}${data.split.decision ? " decided" : ""}`} data-split-mode={data.split.mode}
          title={data.split.state}>{splitModeLabel(data.split)}</div>
      )}
      <dl className="step-numbers">
        <div><dt>entered</dt><dd>{formatNumber(n?.entered ?? 0)}</dd></div>
        <div><dt>{data.kind?.startsWith("wait") ? "waiting now" : "here now"}</dt><dd>{formatNumber(n?.current ?? 0)}</dd></div>
        <div className={n && n.errors > 0 ? "bad" : undefined}><dt>errors</dt><dd>{formatNumber(n?.errors ?? 0)}</dd></div>
      </dl>
      {messages && (
        <dl className="step-numbers messages">
          <div><dt>sent</dt><dd>{formatNumber(messages.sent)}</dd></div>
          <div><dt>deferred</dt><dd>{formatNumber(messages.deferred)}</dd></div>
          <div><dt>suppressed</dt><dd>{formatNumber(messages.suppressed)}</dd></div>
        </dl>
      )}
      {data.exits.length > 1 && (
        <div className="step-exits">
          {data.exits.map((exit) => (
            <span key={exit.name} className="step-exit">{exitLabel(exit.name)} <strong>{formatNumber(n?.exits[exit.name] ?? 0)}</strong></span>
          ))}
        </div>
      )}
      {data.errors.length > 0 && <div className="step-error" role="note">⚠ {data.errors.length === 1 ? data.errors[0] : `${data.errors.length} problems`}</div>}
      {data.exits.map((exit, index) => (
        <Handle
          key={exit.name}
          id={exit.name}
          type="source"
          position={Position.Bottom}
          className="handle-out"
          style={{ left: `${((index + 1) / (data.exits.length + 1)) * 100}%` }}
          title={`Drag to connect the ${exitLabel(exit.name)} exit`}
        />
      ))}
    </div>
  );
}

/** The entry: the trigger, and how many entered. */
export function TriggerNode({ data }: NodeProps<TriggerFlowNode>) {
  return (
    <div className="trigger-node">
      <span className="step-kind">Entry</span>
      <div className="step-what">{data.trigger}</div>
      <div className="muted small">{formatNumber(data.entered)} entered</div>
      <Handle type="source" position={Position.Bottom} className="handle-out" isConnectable={false} />
    </div>
  );
}
