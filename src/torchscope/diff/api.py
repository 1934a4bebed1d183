"""``torchscope.diff``: trace two models (or take two traced graphs) and align them."""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn

from torchscope import schema, wire
from torchscope.api import _check_trace_args, trace
from torchscope.diff.model import ModelDiff
from torchscope.errors import TraceError
from torchscope.graph import ModelGraph
from torchscope.progress import progress

Comparable = nn.Module | ModelGraph | schema.Payload


def diff(  # noqa: PLR0913  # the documented API: two models, each side's inputs, names
    model_a: Comparable,
    model_b: Comparable,
    input_shape: object = None,
    *,
    inputs: object = None,
    kwargs: Mapping[str, object] | None = None,
    input_shape_b: object = None,
    inputs_b: object = None,
    kwargs_b: Mapping[str, object] | None = None,
    names: tuple[str, str] | None = None,
    **trace_args: object,
) -> ModelDiff:
    """Compare two models, or two configurations of one, node by node.

    Parameters
    ----------
    model_a, model_b
        two ``torch.nn.Module`` s, traced here with the same keywords as :func:`torchscope.trace`;
        or two graphs already traced (:class:`~torchscope.ModelGraph` or their payloads), so one
        model at two input sizes is a diff too. Two values traces (``values=True``, e.g. a model
        before and after quantization, on the same inputs) also get the relative L2 change of
        every node's outputs (:mod:`torchscope.diff.values` says what is exact).
    input_shape, inputs, kwargs
        a's inputs, as for :func:`torchscope.trace`.
    input_shape_b, inputs_b, kwargs_b
        b's inputs where they differ: an omitted positional input (shape or value) and omitted
        keyword arguments mean "the same as a's".
    names
        what to call the two sides in reports and the diagram (default: the models' class names).
    trace_args
        ``device``, ``dtype``, ``train``, ``measure``, ``values``: passed on to
        :func:`torchscope.trace` for both.

    Raises
    ------
    TraceError
        when either forward pass fails; the message says which side, ``.graph`` is its partial graph.
    """
    _check_trace_args("diff", trace_args)
    given = {"input_shape": input_shape, "inputs": inputs, "kwargs": kwargs, "input_shape_b": input_shape_b}
    given |= {"inputs_b": inputs_b, "kwargs_b": kwargs_b, **trace_args}
    if not isinstance(model_a, nn.Module) and not isinstance(model_b, nn.Module):
        if used := [k for k, v in given.items() if v is not None]:
            raise TypeError(f"diff() of two traced graphs takes no inputs or trace keywords, got {used}")
        return _compared(model_a, model_b, names)
    same_positional = input_shape_b is None and inputs_b is None
    side_b = (input_shape, inputs) if same_positional else (input_shape_b, inputs_b)
    graph_a = _traced(model_a, "model_a", (input_shape, inputs), kwargs, trace_args)
    graph_b = _traced(model_b, "model_b", side_b, kwargs if kwargs_b is None else kwargs_b, trace_args)
    return _compared(graph_a, graph_b, names)


def _compared(a: Comparable, b: Comparable, names: tuple[str, str] | None) -> ModelDiff:
    """Align two graphs; two values traces also get the relative change of every node's outputs."""
    traces = None
    if isinstance(a, ModelGraph) and isinstance(b, ModelGraph):
        with_values = [g.trace.values is not None for g in (a, b)]
        if any(with_values) and not all(with_values):
            which = "model_a" if not with_values[0] else "model_b"
            raise ValueError(f"only one side was traced with values=True ({which} was not): trace both")
        traces = (a.trace, b.trace) if all(with_values) else None
    return ModelDiff(_payload(a, "model_a"), _payload(b, "model_b"), names, traces=traces)


def _traced(
    model: Comparable,
    which: str,
    positional: tuple[object, object],
    kwargs: Mapping[str, object] | None,
    trace_args: Mapping[str, object],
) -> Comparable:
    if not isinstance(model, nn.Module):
        return model
    shape, values = positional
    try:
        with progress(f"tracing {which} ({type(model).__name__})"):
            graph = trace(model, shape, inputs=values, kwargs=kwargs, **trace_args)  # type: ignore[arg-type]  # checked by trace
    except TraceError as error:
        raise TraceError(f"{which}: {error}", error.trace) from error
    return graph


def _payload(value: Comparable, which: str) -> schema.Payload:
    if isinstance(value, ModelGraph):
        return value.to_json()
    if isinstance(value, Mapping):
        try:
            return wire.decode(value)  # a document, or a wire (schema 2) saved from a page
        except schema.SchemaError as error:
            raise ValueError(f"{which} is not a valid torchscope payload: {error}") from error
    raise TypeError(
        f"{which} must be a torch.nn.Module, a ModelGraph or a payload dict, got {type(value).__name__}"
    )
