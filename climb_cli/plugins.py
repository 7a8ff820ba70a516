"""Plugins: your own resamplers, classifiers, class-weight and threshold strategies, metrics and
dataset sources, registered through this module's public functions.

A plugin is a Python module that calls ``register_*`` when imported (or an entry point naming a
function that does). Only the person running bench chooses plugins, never a config file: an
installed distribution's entry point in the group ``climb_cli.plugins``, ``--plugin PATH_OR_MODULE``
or ``BENCH_PLUGINS`` (entries separated like ``PATH``). Every component is checked on a tiny
dataset when it is registered (see ``climb_cli.conformance.run_checks``); a failure is one ``PluginError``.
A plugin component's identity (in every job id) carries its plugin's name and version.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from climb_cli import registry
from climb_cli.registry import Component, PluginError

if TYPE_CHECKING:
    from climb_cli.components.thresholds import Decision, ThresholdStrategy

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "Decision",
    "PluginError",
    "PluginInfo",
    "ThresholdStrategy",
    "check_requires",
    "load_plugins",
    "loaded_plugins",
    "register_class_weight",
    "register_classifier",
    "register_dataset_source",
    "register_metric",
    "register_resampler",
    "register_threshold_strategy",
    "unload_plugins",
]

ENTRY_POINT_GROUP = "climb_cli.plugins"
ENV_VAR = "BENCH_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from and which version it is. ``how`` is ``entry_point``, ``path``,
    ``module`` or ``session`` (registered directly from Python); ``target`` is what a worker
    process loads (entry-point name, file path, module name)."""

    name: str
    version: str
    how: str
    target: str
    distribution: str | None = None

    @property
    def origin(self) -> str:
        """``name==version``: the part of a job's identity that names this plugin's code."""
        return f"{self.name}=={self.version}"

    def describe(self) -> str:
        """One line for messages: name, version and where it was loaded from."""
        where = {"entry_point": "entry point", "path": "file", "module": "module"}.get(self.how)
        return f"{self.name} {self.version} ({where or self.how} {self.target})"


def __getattr__(name: str) -> Any:
    # the threshold vocabulary a plugin strategy returns, imported only when asked for
    if name in ("Decision", "ThresholdStrategy"):
        from climb_cli.components import thresholds

        return getattr(thresholds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_LOADED: dict[tuple[str, str], PluginInfo] = {}  # (how, target) -> info
_OWNED: dict[tuple[str, str], PluginInfo] = {}  # (kind, name) -> the plugin that registered it
_REPLACED: dict[tuple[str, str], Component] = {}  # built-ins a plugin replaced (restored on unload)
_MODULES: list[str] = []  # modules a plugin load imported (forgotten on unload)
_STATE: dict[str, Any] = {"current": None, "check": True}


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def _dist_version(module: str) -> tuple[str, str] | None:
    """(distribution, version) of the installed distribution named like ``module``'s top level
    (``bench_example_plugin`` -> ``bench-example-plugin``), if any: a generic top-level name such
    as ``tests`` is shipped by unrelated distributions, so only a matching name counts."""
    from importlib.metadata import packages_distributions, version

    top = module.split(".")[0]
    for dist in packages_distributions().get(top, []):
        if _norm(dist) == _norm(top):
            return dist, version(dist)
    return None


def _session_info(target: Any) -> PluginInfo:
    """A registration outside any plugin load (a notebook): named after the defining module,
    versioned by its distribution, else a hash of its file or source."""
    module = getattr(target, "__module__", None) or "__main__"
    found = _dist_version(module) if module != "__main__" else None
    if found:
        return PluginInfo(module, found[1], "session", module, found[0])
    file = getattr(sys.modules.get(module), "__file__", None)
    try:
        source = Path(file).read_bytes() if file else inspect.getsource(target).encode()
    except (OSError, TypeError):
        source = repr(target).encode()
    return PluginInfo(module, _sha256(source), "session", module)


def _register(component: Component, target: Any, replace: bool) -> Component:
    """Check ``component`` and store it, attributed to the plugin being loaded."""
    from climb_cli import components
    from climb_cli.conformance import run_checks

    info: PluginInfo = _STATE["current"] or _session_info(target)
    key = (component.kind, component.name)
    existing = components.available(component.kind).get(component.name)
    owner = _OWNED.get(key)
    if existing is not None and not replace and (owner is None or owner.name != info.name):
        by = f"plugin {owner.describe()}" if owner else "bench (built-in)"
        raise PluginError(
            f"plugin {info.name}: cannot register {component.kind} '{component.name}': the name is "
            f"already registered by {by}. Choose another name, or pass replace=True to replace it."
        )
    component = _with_origin(component, info.origin)
    if _STATE["check"]:
        try:
            run_checks(component)
        except PluginError as exc:
            raise PluginError(f"plugin {info.name}: {exc}") from None
    if existing is not None and owner is None and key not in _REPLACED:
        _REPLACED[key] = existing
    _OWNED[key] = info
    return registry.register(component)


def _with_origin(component: Component, origin: str) -> Component:
    from dataclasses import replace as dc_replace

    return dc_replace(component, origin=origin)


def _register_callable(
    kind: str,
    name: str,
    target: Callable[..., Any],
    tags: Iterable[str],
    description: str,
    replace: bool,
) -> Component:
    """A component of ``kind`` built by calling ``target`` with its parameters, checked and
    registered."""
    from climb_cli.registry import callable_component

    return _register(callable_component(kind, name, target, description, tags), target, replace)


def register_classifier(
    name: str,
    factory_or_class: Callable[..., Any],
    *,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a scikit-learn-compatible classifier (a class, or a function returning one)."""
    return _register_callable("classifier", name, factory_or_class, tags, description, replace)


def register_resampler(
    name: str,
    factory_or_class: Callable[..., Any],
    *,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a sampler with ``fit_resample(X, y)`` (a class, or a function returning one)."""
    return _register_callable("resampler", name, factory_or_class, tags, description, replace)


def register_class_weight(
    name: str,
    factory: Callable[..., Any],
    *,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a class-weight strategy: ``factory(**params)`` returns
    ``weights(y_fit, y_train, class_names) -> {class index: weight} | None``."""
    from climb_cli.components.class_weights import _unless_uniform
    from climb_cli.registry import callable_component

    comp = callable_component(
        "class_weight", name, factory, description, tags, wrap=_unless_uniform
    )
    return _register(comp, factory, replace)


def register_threshold_strategy(
    name: str,
    factory: Callable[..., Any],
    *,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a threshold strategy: ``factory(**params)`` returns a ``ThresholdStrategy``."""
    return _register_callable("threshold", name, factory, tags, description, replace)


def register_metric(
    name: str,
    fn: Callable[[Any, Any], float],
    *,
    greater_is_better: bool = True,
    needs: str = "labels",
    binary_only: bool = False,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a metric ``fn(y_true, y_pred)`` (``needs="labels"``) or ``fn(y_true, scores)``
    (``needs="scores"``: the positive-class score, or the probability matrix on multiclass data)."""
    from climb_cli.components.metrics import metric_component

    comp = metric_component(name, fn, greater_is_better, needs, binary_only, description, tags)
    return _register(comp, fn, replace)


def register_dataset_source(
    name: str,
    loader: Callable[..., Any],
    *,
    tags: Iterable[str] = (),
    description: str = "",
    replace: bool = False,
) -> Component:
    """Register a dataset source: ``loader(**params)`` returns ``(X: DataFrame, y)``."""
    return _register_callable("dataset_source", name, loader, tags, description, replace)


@contextmanager
def _loading(info: PluginInfo) -> Iterator[None]:
    before = set(sys.modules)
    _STATE["current"] = info
    try:
        yield
    except PluginError:
        _forget(info)
        raise
    except Exception as exc:  # whatever the user's code raises becomes one message
        _forget(info)
        raise PluginError(
            f"plugin {info.describe()} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        _STATE["current"] = None
        _MODULES.extend(sorted(set(sys.modules) - before))
    _LOADED[(info.how, info.target)] = info


def _forget(info: PluginInfo) -> None:
    """Undo what a plugin registered (a failed load leaves nothing half-registered)."""
    for key, owner in list(_OWNED.items()):
        if owner.name == info.name:
            registry.unregister(*key)
            del _OWNED[key]
            if key in _REPLACED:
                registry.register(_REPLACED.pop(key))
    _LOADED.pop((info.how, info.target), None)


def _run_plugin(obj: Any) -> None:
    # an entry point (or module) may name a function that registers: call it
    if callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj):
        obj()
    elif inspect.ismodule(obj) and callable(getattr(obj, "register", None)):
        obj.register()


def _load_entry_point(ep: Any) -> PluginInfo:
    dist = getattr(ep, "dist", None)
    dname = dist.metadata["Name"] if dist is not None else None
    info = PluginInfo(ep.name, dist.version if dist else "unknown", "entry_point", ep.name, dname)
    with _loading(info):
        _run_plugin(ep.load())
    return info


def _load_path(path: Path) -> PluginInfo:
    if not path.is_file():
        raise PluginError(f"--plugin {path}: no such file (give a .py file or a module name).")
    info = PluginInfo(path.stem, _sha256(path.read_bytes()), "path", str(path.resolve()))
    module_name = f"_bench_plugin_{path.stem}_{info.version[7:]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"--plugin {path}: not a Python file bench can import.")
    with _loading(info):
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # so that pickles of its classes find it
        spec.loader.exec_module(module)
        _run_plugin(module)
    return info


def _load_module(name: str) -> PluginInfo:
    if importlib.util.find_spec(name.split(".")[0]) is None:
        raise PluginError(
            f"--plugin {name}: no module named '{name}' and no such file. Give the path of a .py "
            "file, or the name of an importable module."
        )
    found = _dist_version(name)
    if found:
        info = PluginInfo(name, found[1], "module", name, found[0])
    else:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        version = _sha256(origin.read_bytes()) if origin and origin.is_file() else "unknown"
        info = PluginInfo(name, version, "module", name)
    with _loading(info):
        _run_plugin(importlib.import_module(name))
    return info


def _load_spec(how: str, target: str) -> PluginInfo:
    if (how, target) in _LOADED:
        return _LOADED[(how, target)]
    if how == "entry_point":
        from importlib.metadata import entry_points

        eps = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == target]
        if not eps:
            raise PluginError(
                f"plugin entry point '{target}' (group {ENTRY_POINT_GROUP}) is not installed here."
            )
        return _load_entry_point(eps[0])
    if how == "path":
        return _load_path(Path(target))
    return _load_module(target)


def _classify(spec: str) -> tuple[str, str]:
    """``--plugin`` value -> (how, target): a .py file (or any existing file) or a module name."""
    path = Path(spec).expanduser()
    if spec.endswith(".py") or os.sep in spec or path.is_file():
        return "path", str(path.resolve())
    return "module", spec


def load_plugins(specs: Iterable[str] = (), *, entry_points: bool = True) -> list[PluginInfo]:
    """Load the installed entry points, ``$BENCH_PLUGINS`` and ``specs`` (paths or module names),
    each once per process; returns every plugin loaded so far."""
    from climb_cli import components  # noqa: F401 - the built-ins first: plugins may not shadow them

    if entry_points:
        from importlib.metadata import entry_points as eps

        for ep in sorted(eps(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ("entry_point", ep.name) not in _LOADED:
                _load_entry_point(ep)
    env = [s for s in os.environ.get(ENV_VAR, "").split(os.pathsep) if s.strip()]
    for spec in [*env, *specs]:
        _load_spec(*_classify(spec.strip()))
    return loaded_plugins()


def loaded_plugins() -> list[PluginInfo]:
    """Every plugin loaded in this process, plus components registered directly from Python."""
    session = {i.name: i for i in _OWNED.values() if i.how == "session"}
    return [*_LOADED.values(), *session.values()]


def manifest_entries() -> list[dict[str, Any]]:
    """The manifest's ``plugins``: name, version, origin and components of every plugin."""
    out = []
    for info in loaded_plugins():
        comps = sorted(f"{k}:{n}" for (k, n), o in _OWNED.items() if o == info)
        out.append(
            {
                "name": info.name,
                "version": info.version,
                "origin": f"{info.how}:{info.target}",
                "distribution": info.distribution,
                "components": comps,
            }
        )
    return out


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def check_requires(required: Iterable[str]) -> None:
    """PluginError naming how to provide each plugin a config requires that is not loaded."""
    have = {_norm(n) for i in loaded_plugins() for n in (i.name, i.distribution or i.name)}
    missing = [r for r in required if _norm(r) not in have]
    if missing:
        loaded = ", ".join(sorted(i.name for i in loaded_plugins())) or "none"
        raise PluginError(
            f"requires: plugin '{missing[0]}' is not loaded (loaded plugins: {loaded}). Install "
            f"a distribution that declares it as an entry point in the group '{ENTRY_POINT_GROUP}' "
            f"(pip install ...), or pass --plugin PATH_OR_MODULE, or set {ENV_VAR}."
        )


def worker_specs() -> tuple[Any, ...]:
    """What a worker process needs to have every plugin component: plugins to load the same way,
    and components registered directly from Python (sent as they are)."""
    loads = tuple((i.how, i.target) for i in _LOADED.values())
    direct = tuple(registry.registered(k)[n] for (k, n), i in _OWNED.items() if i.how == "session")
    return (loads, direct) if loads or direct else ()


def ensure_loaded(specs: tuple[Any, ...]) -> None:
    """In a worker: load ``worker_specs()`` of the parent (no checks: the parent ran them)."""
    loads, direct = specs
    _STATE["check"] = False
    try:
        for how, target in loads:
            _load_spec(how, target)
        for comp in direct:
            registry.register(comp)
    finally:
        _STATE["check"] = True


def unload_plugins() -> None:
    """Forget every plugin: unregister their components, restore built-ins they replaced."""
    for info in [*loaded_plugins()]:
        _forget(info)
    for key in list(_OWNED):
        registry.unregister(*key)
    _OWNED.clear()
    for key, comp in _REPLACED.items():
        registry.register(comp)
    _REPLACED.clear()
    for name in _MODULES:
        sys.modules.pop(name, None)  # a later load runs the plugin's code again
    _MODULES.clear()
