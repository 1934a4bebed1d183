/** The anywidget entry (the bundle's default export); also exports the standalone-page mount. */

import type { Render } from "@anywidget/types";
import { mount } from "./mount";
import type { WidgetModel } from "./store";
import type { Traits } from "./types";
import "./styles.css";

export { mountStandalone } from "./standalone";

// anywidget's model satisfies WidgetModel; its declared event signature is wider than ours.
const render: Render<Traits> = ({ model, el }) => mount(el, model as unknown as WidgetModel);

export default { render };
