/** Making SVG elements for the small charts (histograms, the memory timeline): text only, no markup. */

const SVG = "http://www.w3.org/2000/svg";

export function svgElement(tag: string, attrs: Record<string, string | number>): SVGElement {
  const made = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) made.setAttribute(key, String(value));
  return made;
}

export function svgText(tag: string, content: string): SVGElement {
  const made = document.createElementNS(SVG, tag);
  made.textContent = content;
  return made;
}

/** A text element at (x, y), anchored and classed: an axis tick or a chart's caption. */
export function svgLabel(
  x: number,
  y: number,
  content: string,
  anchor: string,
  className: string,
): SVGElement {
  const made = svgElement("text", { x, y, "text-anchor": anchor, class: className });
  made.textContent = content;
  return made;
}
