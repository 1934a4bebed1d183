/**
 * The wire contract: the expanded document the views read (schema 1, src/torchscope/schema.py)
 * and the compact wire it travels as (schema 2, src/torchscope/wire.py, decoded by ./wire).
 * Change these files (and tests/golden/payload_v1.json, payload_v2.json) together.
 */

/** The version of the expanded document (and of the old wire, which was the document itself). */
export const SCHEMA_VERSION = 1;
/** The version of the compact wire: the `graph` trait and a saved page's state, as sent. */
export const WIRE_VERSION = 2;

/** The kinds of node, declared once: the type and the validator both read this list. */
export const NODE_KINDS = ["input", "module", "function", "output"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];
/** How a column's values read: counts and bytes are numbers, shapes lists of shapes, text strings. */
export const COLUMN_KINDS = ["count", "bytes", "shape", "text", "value"] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];
export type StatValue = number | string | number[][] | null;
export type AttrValue = string | number | boolean | null | number[];

export interface TensorMeta {
  shape: number[];
  dtype: string;
}

export interface ModelInfo {
  name: string;
  input_shapes: number[][];
  device: string;
  dtype: string;
  torch_version: string;
  /** How the model was drawn where that is not obvious (unwrapped from torch.compile, say). */
  notes?: string[];
  /** Only in a values trace (`values=True`, src/torchscope/flow.py). */
  values?: ValuesInfo;
}

/** How a values trace was made and read. */
export interface ValuesInfo {
  /** The histograms' linear threshold, as a fraction of each tensor's largest magnitude. */
  linear: number;
  /** The seed of the inputs made from shapes; null when every input was given. */
  seed: number | null;
  /** The first node, in call order, whose outputs hold a NaN or an Inf. */
  origin: string | null;
}

/** Counts of a tensor's finite elements in equal bins of the symmetric log scale over ±absmax. */
export interface Histogram {
  absmax: number;
  counts: number[];
}

/** One parameter's summary: the output statistics, its L2 norm, and its histogram. */
export interface ParamValues extends Histogram {
  name: string;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  zeros: number | null;
  nan: number;
  inf: number;
  norm: number;
}

/** What a values trace saw at a node: a histogram per output, the parameters it first read. */
export interface NodeValues {
  outputs: (Histogram | null)[];
  params: ParamValues[];
}

export interface Column {
  key: string;
  label: string;
  unit: string;
  kind: ColumnKind;
}

export interface GraphNode {
  id: string;
  kind: NodeKind;
  op: string;
  label: string;
  parent: string | null;
  module_path: string;
  attrs: Record<string, AttrValue>;
  repr: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  stats: Record<string, StatValue>;
  uncounted: string[];
  error?: string;
  /** The assumptions, in words, its counts rest on: only in a model estimated on meta. */
  estimated?: string[];
  /** Only in a values trace: its scalar statistics are columns, in `stats`. */
  values?: NodeValues;
}

export interface Group {
  id: string;
  op: string;
  label: string;
  parent: string | null;
  children: string[];
  stats: Record<string, StatValue>;
  repeat_of?: string;
  /** The assumptions its nodes' counts rest on. */
  estimated?: string[];
  /** "structure": a returned (or passed-in) structure such as a cache, not a module call. */
  kind?: "structure";
  /** What the module is beyond its type: an experts module's experts, top_k, params_per_expert. */
  attrs?: Record<string, AttrValue>;
}

export interface Edge {
  source: string;
  target: string;
  shape: number[];
  dtype: string;
}

export type DiffStatus = "same" | "changed" | "added" | "removed";
export const DIFF_STATUSES: readonly DiffStatus[] = ["same", "changed", "added", "removed"];

/** One fact of a pair that differs (`op`, `attrs.kernel_size`, `outputs`, `macs`...). */
export interface DiffChange {
  field: string;
  a: unknown;
  b: unknown;
}

/** How one node or group of a merged (diff) payload compares: its status and ids on each side. */
export interface DiffItem {
  status: DiffStatus;
  a: string | null;
  b: string | null;
  changes?: DiffChange[];
  wrapper?: boolean;
}

/** What a payload drawn from two models adds (src/torchscope/diff/payload.py). */
export interface DiffSection {
  a: ModelInfo;
  b: ModelInfo;
  names: [string, string];
  totals: { a: Record<string, StatValue>; b: Record<string, StatValue> };
  /** Delta column key → the column it is the delta of. */
  deltas: Record<string, string>;
  items: Record<string, DiffItem>;
}

/** A training step's memory, in the order a chart stacks it (schema_step.py has the same list). */
export const STEP_CATEGORIES = [
  "params",
  "buffers",
  "grads",
  "optimizer",
  "saved",
  "temporaries",
] as const;
export type StepCategory = (typeof STEP_CATEGORIES)[number];
/** The phases of a training step, in the order they run. */
export const STEP_PHASES = ["forward", "backward", "optimizer"] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/**
 * Bytes alive after each forward node, after each node's backward, then after the optimizer,
 * column by column: `node` indexes `nodes` (-1: no node ran, the optimizer's step); `bytes` has a
 * list per category, or one number for a category that is the same at every point.
 */
export interface StepTimeline {
  node: number[];
  phase: StepPhase[];
  bytes: Record<StepCategory, number | number[]>;
}

/** The most bytes alive at once, marked at the timeline `point` of the node then running. */
export interface StepPeak {
  bytes: number;
  split: Record<StepCategory, number>;
  phase: StepPhase;
  point: number;
  /** The largest producers of the saved activations alive at the peak: [node index, bytes]. */
  saved_by_node: [number, number][];
}

/** A training step's memory (src/torchscope/schema_step.py); absent from a forward trace. */
export interface Step {
  optimizer: string;
  precision: string;
  timeline: StepTimeline;
  peak: StepPeak;
}

export interface Payload {
  schema: number;
  model: ModelInfo;
  columns: Column[];
  nodes: GraphNode[];
  groups: Group[];
  edges: Edge[];
  /** Members without a parent (inputs, top-level groups and nodes, outputs), in call order. */
  roots: string[];
  totals: Record<string, StatValue>;
  /** Only when the payload compares two models. */
  diff?: DiffSection;
  /** Only in a training trace. */
  step?: Step;
}

/** A part's statistics as columns: key sets, the set of each member, the written and derived columns. */
export interface WireStats {
  sets: string[][];
  set: number[];
  values: Record<string, StatValue[]>;
  /** Column key → the written column it equals, or "outputs" / "inputs" (the tensors' shapes). */
  derived: Record<string, string>;
}

/** The nodes as columns; the objects keyed by position hold the optional fields. */
export interface WireNodes {
  name: string[];
  kind: number[];
  op: number[];
  attrs: number[];
  repr: number[];
  outputs: number[][];
  stats: WireStats;
  label: Record<string, string>;
  module_path: Record<string, string>;
  inputs: Record<string, number[]>;
  uncounted: Record<string, string[]>;
  error: Record<string, string>;
  estimated: Record<string, string[]>;
  values: Record<string, NodeValues>;
}

export interface WireGroups {
  name: string[];
  op: number[];
  children: number[][];
  stats: WireStats;
  label: Record<string, string>;
  repeat_of: Record<string, number>;
  estimated: Record<string, string[]>;
  attrs: Record<string, Record<string, AttrValue>>;
  kind: Record<string, "structure">;
}

/**
 * The compact wire (schema 2; the layout is described in src/torchscope/wire.py): members are
 * numbered groups first, then nodes; strings, attrs and tensor types are tables.
 */
export interface Wire {
  schema: typeof WIRE_VERSION;
  model: ModelInfo;
  columns: Column[];
  strings: string[];
  attrs: Record<string, AttrValue>[];
  /** [shape, dtype as a number into `strings`]. */
  types: [number[], number][];
  nodes: WireNodes;
  groups: WireGroups;
  /** Members whose name is their whole id. */
  absolute: number[];
  /** Node numbers; `slot` is the source's output, or -1 - a type number. */
  edges: { source: number[]; target: number[]; slot: number[] };
  roots: number[];
  totals: Record<string, StatValue>;
  diff?: DiffSection;
  step?: Step;
}

/** Top to bottom or left to right, declared once (src/torchscope/schema.py has the same pair). */
export const ORIENTATIONS = ["TB", "LR"] as const;
export type Orientation = (typeof ORIENTATIONS)[number];

/** The synced traits of ModelView (src/torchscope/widget.py). */
export interface Traits {
  /** The compact wire (or a schema-1 payload, from a page saved before it); see ./wire. */
  graph: Payload | Wire;
  orientation: Orientation;
  selected: string;
  expanded: string[];
  metric: string;
  height: number;
  /** Draw bookkeeping ops as boxes instead of markers on their edges. */
  bookkeeping: boolean;
}

/** A payload with nothing in it: what the views show before a valid graph arrives. */
export function emptyPayload(): Payload {
  return {
    schema: SCHEMA_VERSION,
    model: { name: "", input_shapes: [], device: "", dtype: "", torch_version: "" },
    columns: [],
    nodes: [],
    groups: [],
    edges: [],
    roots: [],
    totals: {},
  };
}
