/**
 * The search box: matches names, types and module paths (substring, or /regex/), lists the hits,
 * and jumps to one by selecting it — the store expands whatever hides it. `/` focuses the box.
 */

import { search } from "../graph/search";
import type { Store } from "../store";

export function renderSearch(el: HTMLElement, store: Store, keyTarget: HTMLElement): () => void {
  const box = document.createElement("div");
  box.className = "ts-search";
  const input = document.createElement("input");
  input.type = "search";
  input.className = "ts-search-input";
  input.placeholder = "Search layers ( / )";
  input.title = "Names, types and module paths; /pattern/ for a regular expression";
  const list = document.createElement("ul");
  list.className = "ts-search-results";
  list.hidden = true;
  box.append(input, list);
  el.append(box);

  const jump = (id: string): void => {
    store.select(id);
    list.hidden = true;
  };
  const refresh = (): void => {
    list.replaceChildren();
    const result = search(store.current.hierarchy, input.value);
    list.hidden = input.value.trim() === "";
    if (result.error !== null) {
      const item = document.createElement("li");
      item.className = "ts-search-error";
      item.textContent = result.error;
      list.append(item);
      return;
    }
    for (const hit of result.hits) {
      const item = document.createElement("li");
      item.className = "ts-search-hit";
      item.dataset.hitId = hit.id;
      item.textContent = `${hit.op} · ${hit.label}${hit.group ? " (group)" : ""}`;
      item.addEventListener("click", () => jump(hit.id));
      list.append(item);
    }
    const summary = document.createElement("li");
    summary.className = "ts-search-summary";
    summary.textContent =
      result.total > result.hits.length
        ? `${result.hits.length} of ${result.total} matches`
        : `${result.total} matches`;
    list.append(summary);
  };
  input.addEventListener("input", () => {
    store.query.set(input.value);
    refresh();
  });
  // the table's filter shares this text
  const unfollow = store.query.subscribe((query) => {
    if (input.value !== query) input.value = query;
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      const first = search(store.current.hierarchy, input.value, 1).hits[0];
      if (first !== undefined) jump(first.id);
    } else if (event.key === "Escape") {
      input.value = "";
      store.query.set("");
      refresh();
      input.blur();
    }
    event.stopPropagation();
  });
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === "/" && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    }
  };
  keyTarget.addEventListener("keydown", onKey);
  return () => {
    unfollow();
    keyTarget.removeEventListener("keydown", onKey);
    box.remove();
  };
}
