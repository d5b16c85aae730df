"""Finding a spec from what the user typed, and building it with parameters.

A spec is named by a catalogue name (`paxos`), a file (`my_spec.py`, or
`my_spec.py:Class` when the file defines several), or an importable class
(`package.module:Class`). Every failure is a `LoadError` whose message says what
to type instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.spec import Spec, SpecDefinitionError


class LoadError(Exception):
    """The spec could not be found or built from the given name and parameters."""


@dataclass(frozen=True)
class SpecSource:
    """A resolved spec class, how it was named, and any parameters its entry fixes."""

    ref: str
    name: str
    cls: type[Spec]
    summary: str = ""
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def parameters(self) -> list[inspect.Parameter]:
        return [p for p in self.cls.spec_info().params if p.name not in self.fixed]


def catalogue() -> tuple:
    try:
        import specs
    except ImportError:
        return ()
    return specs.CATALOGUE


def resolve(ref: str, base: Path | None = None) -> SpecSource:
    """Find the spec called `ref`; raises `LoadError` with a hint.

    A relative file path is looked up under `base` (the folder of a saved
    counterexample, which names its spec relative to itself), then in the working
    folder. A file that fails to import raises `SpecDefinitionError`: the spec is
    broken, not the command.
    """
    for entry in catalogue():
        if entry.name == ref:
            return SpecSource(ref, entry.name, entry.spec, entry.summary, dict(entry.fixed))
    path_part, _, cls_part = ref.partition(":") if ref.count(":") == 1 else (ref, "", "")
    if path_part.endswith(".py") or Path(path_part).suffix == ".py":
        path = Path(path_part)
        if base is not None and not path.is_absolute() and (base / path).is_file():
            path = base / path
        return _from_file(ref, path, cls_part or None)
    if cls_part:
        return _from_module(ref, path_part, cls_part)
    names = ", ".join(e.name for e in catalogue())
    raise LoadError(
        f"unknown spec {ref!r}. Give a catalogue name ({names}), a file such as "
        "my_spec.py (or my_spec.py:ClassName), or module:ClassName. `check list` shows "
        "the catalogue."
    )


def _from_file(ref: str, path: Path, cls_name: str | None) -> SpecSource:
    if not path.is_file():
        raise LoadError(f"spec file {str(path)!r} does not exist")
    module_name = f"_checker_user_{abs(hash(str(path.resolve()))):x}_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise LoadError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except SpecDefinitionError:
        del sys.modules[module_name]
        raise
    except Exception as exc:
        del sys.modules[module_name]
        raise SpecDefinitionError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return _pick(ref, module, cls_name, str(path))


def _from_module(ref: str, module_name: str, cls_name: str) -> SpecSource:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise LoadError(f"cannot import module {module_name!r}: {exc}") from exc
    return _pick(ref, module, cls_name, module_name)


def _pick(ref: str, module: Any, cls_name: str | None, where: str) -> SpecSource:
    if cls_name is not None:
        cls = getattr(module, cls_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, Spec)):
            raise LoadError(f"{where} has no Spec subclass named {cls_name!r}")
        return SpecSource(ref, cls.name, cls, _summary(cls))
    defined = [
        c
        for c in vars(module).values()
        if inspect.isclass(c) and issubclass(c, Spec) and c.__module__ == module.__name__
    ]
    # a base class that another spec here extends is not a candidate
    found = [c for c in defined if not any(o is not c and issubclass(o, c) for o in defined)]
    if not found:
        raise LoadError(f"{where} defines no Spec subclass")
    if len(found) > 1:
        names = ", ".join(c.__name__ for c in found)
        raise LoadError(f"{where} defines several specs ({names}); name one: {where}:ClassName")
    return SpecSource(ref, found[0].name, found[0], _summary(found[0]))


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.splitlines()[0] if doc else ""


def build(source: SpecSource, given: Mapping[str, Any]) -> Spec:
    """Instantiate the spec with the entry's fixed parameters and the user's ones.

    Unknown names, values of the wrong type and values the spec itself refuses
    (a `ValueError` from its `__init__`) all raise `LoadError`.
    """
    params = {p.name: p for p in source.cls.spec_info().params}
    for key in given:
        if key in source.fixed:
            raise LoadError(f"{source.name} fixes {key}={source.fixed[key]!r}; it cannot be set")
        if key not in params:
            known = ", ".join(p for p in params if p not in source.fixed) or "none"
            raise LoadError(f"spec {source.name} has no parameter {key!r}; its parameters: {known}")
        _check_type(source.name, params[key], given[key])
    try:
        return source.cls(**{**source.fixed, **given})
    except (ValueError, TypeError) as exc:
        raise LoadError(f"{source.name} refused its parameters: {exc}") from exc
    except Exception as exc:
        raise SpecDefinitionError(
            f"{source.name}.__init__ raised {type(exc).__name__}: {exc}"
        ) from exc


def _check_type(spec: str, param: inspect.Parameter, value: Any) -> None:
    default = param.default
    if default is inspect.Parameter.empty or default is None:
        return
    expected = type(default)
    if expected is bool and not isinstance(value, bool):
        raise LoadError(f"{spec}: parameter {param.name} takes true or false, not {value!r}")
    if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise LoadError(f"{spec}: parameter {param.name} takes a whole number, not {value!r}")
    if expected is int and value < 0:
        raise LoadError(f"{spec}: parameter {param.name} must not be negative, got {value}")
    if expected in (tuple, str, float) and not isinstance(value, expected):
        if not (expected is float and isinstance(value, int)):
            raise LoadError(
                f"{spec}: parameter {param.name} takes a {expected.__name__}, not {value!r}"
            )
