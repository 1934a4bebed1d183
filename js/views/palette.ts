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
    accent: value("--ts-accent", "#1976d2"),
    io: value("--ts-io", "#388e3c"),
    heat: value("--ts-heat", "#f57c00"),
    error: value("--ts-error", "#d32f2f"),
    bg: value("--ts-bg", "#ffffff"),
    font: value("--ts-font", "system-ui, sans-serif"),
  };
}

const mixed = new Map<string, string>();

/** `base` blended towards `heat` by `amount`, via the canvas's own colour parsing (any CSS colour). */
export function mix(
  ctx: CanvasRenderingContext2D,
  base: string,
  heat: string,
  amount: number,
): string {
  const key = `${base}|${heat}|${amount}`;
  const known = mixed.get(key);
  if (known !== undefined) return known;
  const [r0, g0, b0] = rgb(ctx, base);
  const [r1, g1, b1] = rgb(ctx, heat);
  const channel = (a: number, b: number): number => Math.round(a + (b - a) * amount);
  const result = `rgb(${channel(r0, r1)}, ${channel(g0, g1)}, ${channel(b0, b1)})`;
  mixed.set(key, result);
  return result;
}

function rgb(ctx: CanvasRenderingContext2D, colour: string): [number, number, number] {
  ctx.fillStyle = "#000000";
  ctx.fillStyle = colour;
  const parsed = String(ctx.fillStyle);
  if (parsed.startsWith("#")) {
    return [1, 3, 5].map((i) => Number.parseInt(parsed.slice(i, i + 2), 16)) as [
      number,
      number,
      number,
    ];
  }
  const numbers = parsed.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
  return [numbers[0] ?? 0, numbers[1] ?? 0, numbers[2] ?? 0];
}
