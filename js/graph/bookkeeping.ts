/**
 * Bookkeeping ops: tensor functions that reshape, index, cast or create tensors without computing
 * through a formula. The diagram draws them as markers on the edge they sit on instead of boxes
 * (the toolbar's "Ops" switch and the `bookkeeping` trait draw them again); the table and search
 * still list them.
 *
 * The rule, written down because it is a judgement call: a node is bookkeeping when it is a
 * function node (never a module, so never anything that owns parameters), its op is one of
 * BOOKKEEPING_OPS, it counts no MACs and no FLOPs, and it did not fail. Anything with a cost stays
 * a box: `cat` moves data but is kept on purpose, since concatenations are the architecture of
 * DenseNets and U-Nets; an integer `add` on position ids counts FLOPs and so stays too.
 */

import type { GraphNode } from "../types";

/** Views, reshapes, indexing, casts, copies and constructors: they move or make data, no formula. */
export const BOOKKEEPING_OPS: ReadonlySet<string> = new Set([
  // views and reshapes
  "view",
  "view_as",
  "reshape",
  "reshape_as",
  "flatten",
  "unflatten",
  "permute",
  "transpose",
  "transpose_",
  "t",
  "T",
  "mT",
  "swapaxes",
  "swapdims",
  "movedim",
  "squeeze",
  "squeeze_",
  "unsqueeze",
  "unsqueeze_",
  "expand",
  "expand_as",
  "broadcast_to",
  "contiguous",
  "as_strided",
  "unfold",
  "view_as_real",
  "view_as_complex",
  // indexing that selects without computing
  "getitem",
  "narrow",
  "select",
  "split",
  "split_with_sizes",
  "chunk",
  "unbind",
  "tensor_split",
  // dtype and device casts, copies
  "to",
  "type",
  "type_as",
  "float",
  "double",
  "half",
  "bfloat16",
  "int",
  "long",
  "bool",
  "cpu",
  "cuda",
  "detach",
  "clone",
  "repeat",
  "repeat_interleave",
  // constructors
  "arange",
  "zeros",
  "ones",
  "full",
  "empty",
  "tensor",
  "as_tensor",
  "zeros_like",
  "ones_like",
  "full_like",
  "empty_like",
]);

const zero = (value: unknown): boolean => value === undefined || value === null || value === 0;

/** Whether `node` is bookkeeping by the rule above. */
export function isBookkeeping(node: GraphNode): boolean {
  return (
    node.kind === "function" &&
    BOOKKEEPING_OPS.has(node.op) &&
    node.error === undefined &&
    zero(node.stats.flops) &&
    zero(node.stats.macs) &&
    zero(node.stats.params)
  );
}
