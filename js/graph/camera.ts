/**
 * Pure camera rules: where the diagram looks after each new layout. The first view (and the first
 * after an orientation change) shows the whole drawing, fitted; a group toggled by the user keeps
 * its place on screen; a picture that left the screen starts over; a selection that changed is
 * brought into view. The view only asks; these functions decide.
 */

import { centerOn, fitTo, inView, type Rect, type Transform } from "./viewport";

/** A box kept where it was on screen across a re-layout (the group just toggled). */
export interface Anchor {
  id: string;
  /** Its top-left corner on screen, in view pixels. */
  x: number;
  y: number;
}

export interface Framing {
  /** The camera before the new layout. */
  camera: Transform;
  /** Whether a first view has been placed already (false: place it now). */
  placed: boolean;
  orientationChanged: boolean;
  /** Whether this is a new layout (false: the same layout with new state, e.g. a selection). */
  relaid: boolean;
  anchor: Anchor | null;
  /** The whole drawing, and the view's size in pixels. */
  drawing: Rect;
  view: { width: number; height: number };
  /** Where each box now is, by visible id. */
  boxAt: (id: string) => Rect | undefined;
  /** Whether anything of the drawing is on screen under a camera. */
  anythingOnScreen: (t: Transform) => boolean;
  /** The selected box, and whether the selection changed since it was last shown. */
  selection: Rect | null;
  selectionChanged: boolean;
}

/** The first view of a drawing: all of it, fitted and centred, never magnified beyond 1:1. */
export function firstView(drawing: Rect, width: number, height: number): Transform {
  return fitTo(drawing, width, height, 12, 1);
}

/** The camera for a new layout or state; see the module header for the rules, in order. */
export function frame(f: Framing): Transform {
  const { width, height } = f.view;
  let camera = f.camera;
  if (!f.placed || f.orientationChanged) {
    camera = firstView(f.drawing, width, height);
  } else if (f.relaid && f.anchor !== null) {
    camera = keepAnchor(camera, f.anchor, f.boxAt(f.anchor.id));
  }
  if (!f.anythingOnScreen(camera)) {
    // the picture moved out of view (everything collapsed, say): start from the first view again
    camera = firstView(f.drawing, width, height);
  }
  const selectionMoved = f.selectionChanged || f.orientationChanged;
  if (f.selection !== null && selectionMoved && !inView(camera, f.selection, width, height)) {
    camera = centerOn(camera, f.selection, width, height);
  }
  return camera;
}

/** Same zoom, moved so that the anchored box's top-left corner is where it was on screen. */
export function keepAnchor(camera: Transform, anchor: Anchor, box: Rect | undefined): Transform {
  if (box === undefined) return camera;
  return { k: camera.k, x: anchor.x - box.x * camera.k, y: anchor.y - box.y * camera.k };
}

/** Where a box sits on screen under a camera, as an anchor to keep. */
export function anchorOf(id: string, box: Rect, camera: Transform): Anchor {
  return { id, x: box.x * camera.k + camera.x, y: box.y * camera.k + camera.y };
}

/** Zoom in on one box with room around it, up to 1.5×. */
export function zoomOn(box: Rect, width: number, height: number): Transform {
  return fitTo(box, width, height, 80, 1.5);
}
