/**
 * The front end's half of bench/payloads.py --wire: for each pair of files (the document as
 * schema 1, the same payload as the schema-2 wire), the median time of JSON.parse and of the
 * checks that make it the views' Payload (validatePayload on schema 1, decodeWire on schema 2).
 * Prints one JSON line per pair.
 *
 *   node bench/wire.mjs REPEATS v1.json v2.json [v1.json v2.json ...]
 */
import { readFileSync } from "node:fs";
import { importTs, median } from "./import-ts.mjs";

const { decodeWire, validatePayload } = await importTs(
  'export { decodeWire } from "./js/wire.ts"; export { validatePayload } from "./js/validate.ts";',
);

const [repeats, ...files] = process.argv.slice(2);
for (let f = 0; f < files.length; f += 2) {
  const texts = [readFileSync(files[f], "utf8"), readFileSync(files[f + 1], "utf8")];
  const check = [validatePayload, decodeWire];
  const parse = [[], []];
  const decode = [[], []];
  for (let r = 0; r < Number(repeats); r += 1) {
    for (const v of [0, 1]) {  // interleaved, so that load on the machine falls on both alike
      let start = performance.now();
      const value = JSON.parse(texts[v]);
      parse[v].push(performance.now() - start);
      start = performance.now();
      check[v](value);
      decode[v].push(performance.now() - start);
    }
  }
  console.log(JSON.stringify({ parse: parse.map(median), decode: decode.map(median) }));
}
