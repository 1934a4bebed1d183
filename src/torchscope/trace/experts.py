"""Mixture-of-experts modules, recognised so that the picture can say what they are.

An *experts module* holds E experts stacked: its own parameters are all 2-D or 3-D with the same
leading size E (``gate_up_proj`` [E, 2I, H], ``down_proj`` [E, H, I], their biases [E, ·]), as
transformers 5 builds every mixture of experts, and it has a ``num_experts``-like attribute equal
to E or "Expert" in its class name. It is drawn as one group whatever its children, with the
attributes ``experts`` (E), ``params_per_expert`` and, where the module, its parent block or the
parent's router says it, ``top_k``. Its MACs are the routed ones: what its grouped matmuls (or
loop over experts) computed. (Experts kept in a ``ModuleList`` are never called as one module,
so their block's group already holds one group per expert.)
"""

from __future__ import annotations

from torch import nn

from torchscope.trace.records import AttrValue

_COUNTS = ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts")
_TOP_K = ("top_k", "num_experts_per_tok", "experts_per_token", "moe_topk", "num_selected_experts")


def experts_attrs(module: nn.Module, path: str, parent: nn.Module | None) -> dict[str, AttrValue] | None:
    """Return the attributes of an experts module (see the module docstring), or None for others."""
    del path
    found = _stacked(module)
    if found is None:
        return None
    count, per_expert = found
    attrs: dict[str, AttrValue] = {"experts": count, "params_per_expert": per_expert}
    neighbours = [module, *([parent, *parent.children()] if parent is not None else [])]
    top_k = next((k for m in neighbours if (k := _int_attr(m, _TOP_K)) is not None), None)
    if top_k is not None:
        attrs["top_k"] = top_k
    return attrs


def _stacked(module: nn.Module) -> tuple[int, int] | None:
    params = [p for p in module._parameters.values() if p is not None]  # noqa: SLF001  # its own only
    if not params or not any(p.dim() == 3 for p in params) or any(p.dim() < 2 for p in params):
        return None
    count = params[0].shape[0]
    if count < 2 or any(p.shape[0] != count for p in params):
        return None
    if _int_attr(module, _COUNTS) != count and "expert" not in type(module).__name__.lower():
        return None
    return count, sum(p.numel() for p in params) // count


def _int_attr(module: nn.Module, names: tuple[str, ...]) -> int | None:
    for name in names:
        value = vars(module).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None
