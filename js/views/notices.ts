/** What the diagram says above its canvas: an unusable payload, where the trace failed, the legend. */

import { formatStat } from "../format";
import type { ViewState } from "../store";
import { diffKey } from "./compare";
import type { Scene } from "./scene";

/** The trace-error banner, the messages and the colour legend above the canvas. */
export function renderNotices(notices: HTMLElement, state: ViewState, scene: Scene | null): void {
  notices.replaceChildren();
  if (state.error !== null) {
    const message = document.createElement("div");
    message.className = "ts-error";
    message.textContent = `torchscope cannot draw this payload: ${state.error}`;
    notices.append(message);
    return;
  }
  const failed = state.graph.nodes.find((node) => node.error !== undefined);
  if (failed?.error !== undefined) {
    // the trace stopped at this node: say so above the partial graph
    const banner = document.createElement("div");
    banner.className = "ts-trace-error";
    banner.textContent = failed.error;
    notices.append(banner);
  }
  const key = diffKey(state);
  if (key !== null) notices.append(key);
  const legend = scene?.legend;
  if (legend === undefined || legend === null) return;
  const column = state.graph.columns.find((c) => c.key === state.metric);
  const element = document.createElement("div");
  element.className = "ts-legend";
  const bar = document.createElement("span");
  // a delta column shades both ways: savings in one colour, growth in the other
  bar.className = legend.scale.min < 0 ? "ts-legend-bar ts-legend-diverging" : "ts-legend-bar";
  const label = document.createElement("span");
  const { min, max, log } = legend.scale;
  label.textContent =
    column === undefined || max === 0
      ? `${state.metric}: nothing to shade`
      : `${legend.label}: ${formatStat(column, min)} → ${formatStat(column, max)}${log ? " (log scale)" : ""}`;
  element.append(label, bar);
  notices.append(element);
}
