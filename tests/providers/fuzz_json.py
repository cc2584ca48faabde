"""Arbitrary JSON shaped like a vendor's replies, decoded from fuzzer bytes.

The grammar is read off the vendor's own wire models: objects are keyed by their field names and aliases, values
drawn for the field's type (huge numbers, CJK, control characters and the vendor's own words included). Most
replies are every reply model at once (wire models keep unknown fields), so they parse and the mapping behind
them runs; per reply, values turn into anything else (another type, another shape) never, now and then, or
often. A short byte string per example (fast to draw) makes the first choices, the outline; a generator it seeds
makes the rest, so every reply is rich and still reproducible from its bytes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import random
import re
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel

Spec = tuple[Any, ...]
ANY: Spec = ("any",)
TEXT = 'abcXYZ09 _-.:/%{}"\\\n\t\x00\x7f\u00e9\u4f60\u597d\u6570\u636e\u5e93\u5b9e\u4f8b\u78c1\u76d8\U0001f600\u202e'
"""Letters for text: ASCII, JSON and path punctuation, control characters, an accent, CJK, an emoji, RTL."""
WORDS = ["", "true", "false", "null", "0", "-1", "1768702985000", "99999999999999999999", "2026-05-18T03:40:00.1Z"]
NUMBERS = [0, 1, -1, 7, 2**31, 2**63, -(2**63), 10**20, 10**400, 1768702985, 1768702985000000000, -0.0, 1e308, 1e-308]
_WORD = re.compile(r"^[\w.:\-/\[\]]{1,40}$")


class Grammar:
    """A vendor's wire models (fields, aliases, value types) and its words (their names and string constants)."""

    def __init__(self, module_names: list[str]) -> None:
        self.models: dict[type[BaseModel], list[tuple[tuple[str, ...], Spec, bool]]] = {}
        words: set[str] = set(WORDS)
        for name in module_names:
            module = importlib.import_module(name)
            for obj in vars(module).values():
                if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                    self._model(obj)
            tree = ast.parse(inspect.getsource(module))
            words |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        words |= {name for fields in self.models.values() for names, _, _ in fields for name in names}
        self.words = sorted(w for w in words if _WORD.match(w) or w in WORDS)
        nested = {m for fields in self.models.values() for _, spec, _ in fields for m in _models_in(spec)}
        self.roots = sorted((m for m in self.models if self.models[m] and m not in nested), key=lambda m: m.__name__)
        """The models no other model holds: the replies themselves."""

    def _model(self, model: type[BaseModel]) -> None:
        if model in self.models:
            return
        self.models[model] = []  # before the fields: a model may nest itself
        fields = model.model_fields.items()
        self.models[model] = [(_names(n, info), self._spec(info.annotation), info.is_required()) for n, info in fields]

    def _spec(self, annotation: Any) -> Spec:
        origin, args = get_origin(annotation), get_args(annotation)
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            self._model(annotation)
            return ("model", annotation)
        if origin is Annotated:
            return self._spec(args[0])
        if origin in (Union, types.UnionType):
            return ("union", tuple(self._spec(a) for a in args))
        if origin is Literal:
            return ("literal", args)
        if origin in (list, tuple, set, frozenset):
            return ("list", self._spec(args[0]) if args else ANY)
        if origin is dict:
            return ("dict", self._spec(args[1]) if len(args) == 2 else ANY)
        if annotation in (str, int, float, bool, type(None)):
            return (annotation.__name__,)
        return ANY


def _models_in(spec: Spec) -> Iterator[type[BaseModel]]:
    if spec[0] == "model":
        yield spec[1]
    elif spec[0] in ("list", "dict"):
        yield from _models_in(spec[1])
    elif spec[0] == "union":
        for arm in spec[1]:
            yield from _models_in(arm)


def _names(name: str, info: Any) -> tuple[str, ...]:
    alias = info.validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    return tuple(dict.fromkeys([info.alias or name, *(c for c in choices if isinstance(c, str)), name]))


class Decoder:
    """Turns bytes into one reply: ``reply()`` gives (HTTP status, body)."""

    STATUSES = [200] * 24 + [400, 401, 403, 404, 409, 429, 500, 503]
    WILDNESS = [0, 0, 64, 16, 4]
    """How often a value turns into anything else: never (the reply parses, the mapping runs), now and then, often."""

    def __init__(self, data: bytes, grammar: Grammar, envelope: str | None = None, budget: int = 120) -> None:
        self.data, self.at, self.grammar, self.envelope, self.budget = data, 0, grammar, envelope, budget
        self.more = random.Random(data)
        self.wild = 0

    def pick(self, n: int) -> int:
        """The next choice among ``n``: from the bytes while they last, then from a generator they seed."""
        if self.at >= len(self.data):
            return self.more.randrange(n)
        self.at += 1
        return self.data[self.at - 1] % n

    def spend(self) -> bool:
        """False once the reply holds ``budget`` values: the rest is minimal (required fields, empty lists)."""
        self.budget -= 1
        return self.budget >= 0

    def reply(self) -> tuple[int, Any]:
        status, shape = self.STATUSES[self.pick(len(self.STATUSES))], self.pick(8)
        self.wild = self.WILDNESS[self.pick(len(self.WILDNESS))]
        if shape == 0:
            body: Any = self.anything(0)
        elif shape == 7:  # several objects: an event stream's frames, or a bare list
            body = [self.every_root() for _ in range(1 + self.pick(4))]
        else:
            body = (
                self.every_root() if shape < 5 else self.obj(self.grammar.roots[self.pick(len(self.grammar.roots))], 1)
            )
        wrap = self.envelope is not None and self.pick(4) != 0
        return status, {self.envelope: body} if wrap else body

    def every_root(self) -> dict[str, Any]:
        """One object that is every reply model at once (they all keep unknown fields), sometimes a nested one too:
        whatever a request expects, it is likely to parse and reach the mapping."""
        merged: dict[str, Any] = {}
        roots, first = self.grammar.roots, self.pick(len(self.grammar.roots))  # each gets the budget first at times
        for model in roots[first:] + roots[:first]:
            merged |= self.obj(model, 1)
        models = list(self.grammar.models)
        return merged | self.obj(models[self.pick(len(models))], 1) if self.pick(2) else merged

    def obj(self, model: type[BaseModel], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for names, spec, required in self.grammar.models[model]:
            if required or (self.budget > 0 and self.pick(3)):
                out[names[self.pick(len(names))]] = self.value(spec, depth + 1)
        if self.budget > 0 and self.pick(6) == 1:
            out[self.key()] = self.anything(depth + 1)
        return out

    def value(self, spec: Spec, depth: int) -> Any:
        kind, rich = spec[0], self.spend()  # past the budget: the smallest value of the right type
        if rich and ((self.wild and self.pick(self.wild) == 0) or depth > 12):
            return self.anything(depth)  # the wrong type, or anything at all
        if kind == "model":
            return self.obj(spec[1], depth)
        if kind == "union":
            return self.value(spec[1][self.pick(len(spec[1]))], depth)
        if kind == "literal":
            return spec[1][self.pick(len(spec[1]))]
        if kind == "list":
            return [self.value(spec[1], depth + 1) for _ in range(rich and self.pick(4) and 1 + self.pick(3))]
        if kind == "dict":
            return {self.key(): self.value(spec[1], depth + 1) for _ in range(rich and self.pick(4))}
        if not rich:
            return {"str": "", "int": 0, "float": 0.0, "bool": False}.get(kind)
        known = {"str": 4, "int": 2, "float": 2, "bool": 1, "NoneType": 0}
        return self.scalar(known[kind] if kind in known else self.pick(6))

    def scalar(self, kind: int) -> Any:
        if kind == 0:
            return None
        if kind == 1:
            return bool(self.pick(2))
        if kind == 2:
            return NUMBERS[self.pick(len(NUMBERS))] if self.pick(2) else self.pick(256) - 128
        if kind == 3:
            return "".join(TEXT[self.pick(len(TEXT))] for _ in range(self.pick(12)))
        return self.grammar.words[self.pick(len(self.grammar.words))] if self.pick(4) else self.scalar(3)

    def key(self) -> str:
        return self.scalar(3) if self.pick(4) == 0 else self.grammar.words[self.pick(len(self.grammar.words))]

    def anything(self, depth: int) -> Any:
        kind = self.pick(8 if depth < 5 and self.spend() else 6)
        if kind < 6:
            return self.scalar(kind if kind < 5 else 4)
        if kind == 6:
            return [self.anything(depth + 1) for _ in range(self.pick(4))]
        return {self.key(): self.anything(depth + 1) for _ in range(self.pick(5))}
