/**
 * Bundles the front end into one ESM file plus one CSS file under src/torchscope/static/,
 * which anywidget loads as `_esm`/`_css` and the standalone HTML page inlines.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = resolve(root, "src/torchscope/static");
mkdirSync(outdir, { recursive: true });

// The layout worker is bundled first and inlined as a string: the page starts it from a Blob URL,
// so the wheel and the standalone page still carry one script. (Under --watch it is built once.)
const worker = await esbuild.build({
  entryPoints: [resolve(root, "js/graph/layout-worker.ts")],
  bundle: true,
  format: "iife",
  target: "es2022",
  minify: true,
  write: false,
  logLevel: "warning",
});

const options = {
  entryPoints: { widget: resolve(root, "js/widget.ts") },
  define: { __LAYOUT_WORKER__: JSON.stringify(worker.outputFiles[0].text) },
  outdir,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !process.argv.includes("--watch"),
  sourcemap: false,
  // The bundle is inlined into <script> tags by the standalone page: esbuild already escapes
  // "</script" inside strings, and a single file keeps that page self-contained.
  splitting: false,
  logLevel: "warning",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log(`watching js/ → ${outdir}`);
} else {
  await esbuild.build(options);
}
