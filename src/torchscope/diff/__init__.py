"""Model diff: two models (or two configurations of one) aligned node by node, with their costs.

``torchscope.diff(model_a, model_b, input_shape)`` traces both and returns a :class:`ModelDiff`;
``torchscope.diff(graph_a, graph_b)`` compares two graphs already traced. How it works:

* **Alignment** (:mod:`~torchscope.diff.align`): the two module hierarchies are matched level by
  level from the top, by name (module path and call index below the enclosing group), then
  through wrappers (LoRA's ``base_layer``, ``torch.compile``'s ``_orig_mod``, PEFT's
  ``base_model.model``, a ``Sequential`` around a block), then by type and position among the
  siblings left over, then by shapes. Repeated blocks pair block to block by index.
* **Statuses** (:mod:`~torchscope.diff.compare`): every node and group is ``same``, ``changed``
  (with the fields that differ and both values: op, attributes, tensors, repr, each statistic),
  ``added`` (only in b) or ``removed`` (only in a). A group is changed when anything inside is.
* **The merged graph** (:mod:`~torchscope.diff.payload`): b's graph with a's removed members drawn
  in, plus a ``delta_<stat>`` column per number and a ``diff`` section the widget reads.

Limits, by design:

* Alignment follows the module hierarchy; it never searches the dataflow graph. Two models that
  compute the same thing under unrelated names and nesting align only as far as rules 3 and 4
  (type order, shapes) reach, and edges are not compared (a rewiring with the same nodes and
  shapes shows as no change).
* Blocks pair by index: a block inserted in the middle of a list shows as the blocks after it
  changed plus one added at the end, when they differ; identical blocks read as one added.
* A wrapper is recognised when it carries the wrapped member's name (``q_proj`` around
  ``q_proj.base_layer``) or when at least half of its members' names match the other side one
  level up (up to three nested wrappers); a wrapper that renames what it holds is not.
* A wrapper that keeps one level of the other side's nesting with another type at the same name
  (``features`` as a ``Sequential`` holding one ``Sequential``) pairs the first member that fits.
* Measured latency is reported as a delta but never makes a member changed.
"""

from torchscope.diff.api import diff
from torchscope.diff.model import ModelDiff

__all__ = ["ModelDiff", "diff"]
