/**
 * Times the front end's pure stages — visible graph + per-group layered layout — on payloads
 * written by bench/payloads.py, at the default first view and fully expanded, in both orientations.
 *
 *   node bench/layout.mjs [bench/.payloads/*.json]
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { importTs, median, root } from "./import-ts.mjs";

const { Hierarchy, visible, defaultExpanded, layeredLayout, layoutInput } = await importTs(
  'export * from "./js/graph/visible.ts"; export * from "./js/graph/layout.ts"; export { defaultExpanded } from "./js/graph/expansion.ts";',
);

const files = process.argv.slice(2);
const payloads = files.length > 0 ? files : readdirSync(join(root, "bench/.payloads")).map((f) => join(root, "bench/.payloads", f));

function time(run, repeats = 5) {
  run();
  const times = [];
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

console.log("payload          view     boxes  orientation  visible ms  layout ms");
for (const file of payloads) {
  const graph = JSON.parse(readFileSync(file, "utf8"));
  const hierarchy = new Hierarchy(graph);
  const views = {
    first: defaultExpanded(hierarchy),
    all: graph.groups.map((g) => g.id),
  };
  for (const [view, expanded] of Object.entries(views)) {
    for (const orientation of ["TB", "LR"]) {
      let shown;
      const visibleMs = time(() => {
        shown = visible(hierarchy, expanded, { fold: view === "first" });
      });
      const layoutMs = time(() => layeredLayout(layoutInput(shown), orientation), view === "all" ? 3 : 5);
      console.log(
        `${basename(file, ".json").padEnd(16)} ${view.padEnd(8)} ${String(shown.items.length).padStart(5)}  ${orientation.padEnd(11)}  ${visibleMs.toFixed(1).padStart(10)}  ${layoutMs.toFixed(1).padStart(9)}`,
      );
    }
  }
}
