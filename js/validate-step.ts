/**
 * The training step's section of the wire contract: `checkStep` makes the checks of
 * `check_step` in src/torchscope/schema_step.py, in the same order, naming the same fields.
 */

import { STEP_CATEGORIES, STEP_PHASES } from "./types";
import { type Fields, fault, fields, list, show, text } from "./validate-fields";

const PHASE_ORDER: ReadonlyMap<unknown, number> = new Map(STEP_PHASES.map((p, i) => [p, i]));
const CATEGORY_SET: ReadonlySet<string> = new Set(STEP_CATEGORIES);

/** The step's timeline columns are as long as each other, its phases in order, its indices nodes. */
export function checkStep(value: unknown, nodeCount: number): void {
  const step = fields(value, "step");
  text(step.optimizer, "step", ".optimizer");
  text(step.precision, "step", ".precision");
  const timeline = fields(step.timeline, "step", ".timeline");
  const nodes = list(timeline.node, "step", ".timeline.node");
  nodes.forEach((index, i) => {
    checkNodeIndex(index, nodeCount, "step", `.timeline.node[${i}]`);
  });
  checkPhases(list(timeline.phase, "step", ".timeline.phase"), nodes.length);
  for (const [category, column] of Object.entries(categories(timeline.bytes, ".timeline.bytes"))) {
    const field = `.timeline.bytes.${category}`;
    const values = Array.isArray(column) ? column : [column];
    if (Array.isArray(column) && column.length !== nodes.length) {
      throw fault("step", field, `${column.length} values for ${nodes.length} points`);
    }
    if (!values.every(isByteCount)) {
      throw fault(
        "step",
        field,
        `expected a non-negative int or a list of them, got ${show(column)}`,
      );
    }
  }
  checkPeak(step.peak, nodeCount, nodes.length);
}

/** One phase per point, each known, in the order they run. */
function checkPhases(phases: readonly unknown[], pointCount: number): void {
  if (phases.length !== pointCount) {
    throw fault("step", ".timeline.phase", `${phases.length} phases for ${pointCount} points`);
  }
  let reached = 0;
  phases.forEach((phase, i) => {
    const order = PHASE_ORDER.get(phase);
    if (order === undefined) {
      throw fault(
        "step",
        `.timeline.phase[${i}]`,
        `${show(phase)} is not one of ${show(STEP_PHASES)}`,
      );
    }
    if (order < reached) {
      throw fault(
        "step",
        `.timeline.phase[${i}]`,
        `${show(phase)} after ${show(STEP_PHASES[reached])}`,
      );
    }
    reached = order;
  });
}

function checkPeak(value: unknown, nodeCount: number, pointCount: number): void {
  const peak = fields(value, "step", ".peak");
  if (!isByteCount(peak.bytes)) {
    throw fault("step", ".peak.bytes", `expected a non-negative int, got ${show(peak.bytes)}`);
  }
  for (const [category, bytes] of Object.entries(categories(peak.split, ".peak.split"))) {
    if (!isByteCount(bytes)) {
      throw fault(
        "step",
        `.peak.split.${category}`,
        `expected a non-negative int, got ${show(bytes)}`,
      );
    }
  }
  if (!PHASE_ORDER.has(peak.phase)) {
    throw fault("step", ".peak.phase", `${show(peak.phase)} is not one of ${show(STEP_PHASES)}`);
  }
  if (!isByteCount(peak.point) || (peak.point as number) >= pointCount) {
    throw fault(
      "step",
      ".peak.point",
      `${show(peak.point)} is not one of the ${pointCount} timeline points`,
    );
  }
  list(peak.saved_by_node, "step", ".peak.saved_by_node").forEach((item, i) => {
    const field = `.peak.saved_by_node[${i}]`;
    const pair = list(item, "step", field);
    if (pair.length !== 2 || !isByteCount(pair[1])) {
      throw fault("step", field, `expected [node index, bytes], got ${show(item)}`);
    }
    checkNodeIndex(pair[0], nodeCount, "step", `${field}[0]`);
  });
}

/** An object whose keys are exactly the step's categories. */
function categories(value: unknown, field: string): Fields {
  const found = fields(value, "step", field);
  for (const key of Object.keys(found)) {
    if (!CATEGORY_SET.has(key)) {
      throw fault("step", `${field}.${key}`, `${show(key)} is not one of ${show(STEP_CATEGORIES)}`);
    }
  }
  for (const category of STEP_CATEGORIES) {
    if (!(category in found)) throw fault("step", `${field}.${category}`, "missing");
  }
  return found;
}

function isByteCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

function checkNodeIndex(value: unknown, nodeCount: number, at: string, field: string): void {
  if (!Number.isInteger(value) || (value as number) < -1 || (value as number) >= nodeCount) {
    throw fault(at, field, `${show(value)} is not the index of a node (or -1 for none)`);
  }
}
