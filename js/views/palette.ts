/**
 * Theme colours: read from the widget's CSS variables (which follow JupyterLab's theme), and
 * blended for the metric shading through the canvas's own colour parsing, so any CSS colour works.
 */

/** Theme colours, resolved from the widget's CSS variables (which follow JupyterLab's theme). */
export interface Palette {
  fg: string;
  muted: string;
  border: string;
  nodeBg: string;
  groupBg: string;
  /** Border of module boxes and collapsed groups: modules and tensor ops must not look alike. */
  module: string;
  /** Border of tensor-op (function) boxes. */
  fn: string;
  accent: string;
  io: string;
  heat: string;
  error: string;
  bg: string;
  font: string;
}

export function readPalette(el: Element): Palette {
  const style = getComputedStyle(el);
  const value = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    fg: value("--ts-fg", "#1f1f1f"),
    muted: value("--ts-muted", "#6b6b6b"),
    border: value("--ts-border", "#c4c4c4"),
    nodeBg: value("--ts-node-bg", "#f7f7f7"),
    groupBg: value("--ts-group-bg", "#eeeeee"),
    module: value("--ts-module", "#5b8fc9"),
    fn: value("--ts-fn", "#9e9e9e"),
    accent: value("--ts-accent", "#1976d2"),
    io: value("--ts-io", "#388e3c"),
    heat: value("--ts-heat", "#f57c00"),
    error: value("--ts-error", "#d32f2f"),
    bg: value("--ts-bg", "#ffffff"),
    font: value("--ts-font", "system-ui, sans-serif"),
  };
}

const mixed = new Map<string, string>();

/**
 * `base` blended towards `heat` by `amount`. Hex and rgb() colours are read here; any other CSS
 * colour (a name, hsl()) through a canvas's own parsing, when there is one.
 */
export function mix(base: string, heat: string, amount: number): string {
  const key = `${base}|${heat}|${amount}`;
  const known = mixed.get(key);
  if (known !== undefined) return known;
  const [r0, g0, b0] = rgb(base);
  const [r1, g1, b1] = rgb(heat);
  const channel = (a: number, b: number): number => Math.round(a + (b - a) * amount);
  const result = `rgb(${channel(r0, r1)}, ${channel(g0, g1)}, ${channel(b0, b1)})`;
  mixed.set(key, result);
  return result;
}

/** Red, green and blue of a CSS colour (0–255 each); black when it cannot be read. */
export function rgb(colour: string): [number, number, number] {
  const text = colour.trim();
  if (/^#([\da-f]{3,4}|[\da-f]{6}|[\da-f]{8})$/i.test(text)) {
    const digits =
      text.length <= 5
        ? [...text.slice(1, 4)].map((c) => c + c)
        : [1, 3, 5].map((i) => text.slice(i, i + 2));
    return digits.map((d) => Number.parseInt(d, 16)) as [number, number, number];
  }
  if (/^rgba?\(/i.test(text)) {
    const numbers = text.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
    return [numbers[0] ?? 0, numbers[1] ?? 0, numbers[2] ?? 0];
  }
  return viaCanvas(text);
}

let scratch: CanvasRenderingContext2D | null | undefined;

function viaCanvas(colour: string): [number, number, number] {
  if (scratch === undefined) {
    scratch =
      typeof document === "undefined" ? null : document.createElement("canvas").getContext("2d");
  }
  if (scratch === null) return [0, 0, 0];
  scratch.fillStyle = "#000000";
  scratch.fillStyle = colour;
  const parsed = String(scratch.fillStyle);
  return parsed === colour ? [0, 0, 0] : rgb(parsed);
}
