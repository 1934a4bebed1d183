/**
 * jsdom has no canvas: its getContext logs "not implemented" and returns null. Returning null
 * quietly is the same contract (the diagram then builds its scene without painting it), minus the
 * noise; pixels are checked in the real-browser tests.
 */
HTMLCanvasElement.prototype.getContext = (() =>
  null) as typeof HTMLCanvasElement.prototype.getContext;
