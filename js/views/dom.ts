/** Small DOM builders the views share. Text goes in as textContent only: model strings are user data. */

/** An element of `tag` with `className`. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.className = className;
  return made;
}

/** A toolbar-style button, found by tests and users alike through its `data-action`. */
export function button(action: string, text: string, hint: string): HTMLButtonElement {
  const made = element("button", "ts-button");
  made.type = "button";
  made.dataset.action = action;
  made.textContent = text;
  made.title = hint;
  return made;
}

/** `<option>`s for a select, from [value, text] pairs. */
export function options(choices: readonly (readonly [string, string])[]): HTMLOptionElement[] {
  return choices.map(([value, text]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = text;
    return option;
  });
}
