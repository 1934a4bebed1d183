/**
 * Small SVG histograms for the details panel: one chart per output, input and parameter of the
 * selected node in a values trace, with a value axis on the trace's symmetric log scale (ticks at
 * ±abs-max, ±abs-max/100 and zero) and a count axis. The geometry is js/graph/values.ts's.
 */

import { formatCount, formatValue } from "../format";
import { axisTicks, type Charted, histogramBars } from "../graph/values";
import { svgElement, svgLabel, svgText } from "./svg";

const WIDTH = 240;
const HEIGHT = 96;
// the plot area inside the chart: room on the left for counts, below for values
const LEFT = 34;
const RIGHT = 8;
const TOP = 6;
const BOTTOM = 24;

export function histogramChart(charted: Charted, linear: number): HTMLElement {
  const { histogram } = charted;
  const figure = document.createElement("figure");
  figure.className = "ts-histogram";
  const caption = document.createElement("figcaption");
  caption.textContent = charted.title;
  const svg = svgElement("svg", {
    width: WIDTH,
    height: HEIGHT,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
  });
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const bars = histogramBars(histogram.counts);
  const tallest = Math.max(0, ...histogram.counts);
  svg.setAttribute(
    "aria-label",
    `${charted.title}: ${histogram.counts.length} bins over ±${formatValue(histogram.absmax)}`,
  );
  for (const bar of bars) {
    if (bar.count === 0) continue;
    // a bin holding anything stays visible, however small beside the tallest
    const height = Math.max(1, bar.height * plotHeight);
    const rect = svgElement("rect", {
      class: "ts-histogram-bar",
      x: LEFT + bar.x * plotWidth + 0.5,
      y: TOP + plotHeight - height,
      width: Math.max(0.5, bar.width * plotWidth - 1),
      height,
    });
    rect.append(svgText("title", `${bar.count.toLocaleString("en-US")}`));
    svg.append(rect);
  }
  const axis = svgElement("path", {
    class: "ts-histogram-axis",
    d: `M${LEFT} ${TOP}V${TOP + plotHeight}H${LEFT + plotWidth}`,
  });
  svg.append(axis);
  for (const tick of axisTicks(histogram.absmax, linear)) {
    const x = LEFT + tick.at * plotWidth;
    svg.append(
      svgElement("path", { class: "ts-histogram-axis", d: `M${x} ${TOP + plotHeight}v3` }),
      svgLabel(x, HEIGHT - 8, formatValue(tick.value), "middle", "ts-histogram-x"),
    );
  }
  for (const [count, y] of [
    [0, TOP + plotHeight],
    [tallest, TOP + 8],
  ] as const) {
    svg.append(svgLabel(LEFT - 4, y, formatCount(count), "end", "ts-histogram-y"));
  }
  figure.append(caption, svg);
  return figure;
}
