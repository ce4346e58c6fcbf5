"""Instrument definition format: JSON files validated with pydantic v2."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from surveys.translations import Translation, clipped, translation_problems

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
METHODS = ("answer", "sum", "mean", "rescaled_mean", "count_yes", "weighted_sum")
OUTCOMES = ("pain", "pain_worst", "paresthesia", "function", "pgic", "safety", "other")
ItemType = Literal["nrs", "single", "multi", "yesno", "number", "text"]
OptionValue = int | str


class DefinitionError(Exception):
    """A definition file that cannot be served: which file, which item, why."""

    def __init__(self, file: str, item: str, reason: str):
        super().__init__(f"{file}: {item}: {reason}")
        self.file, self.item, self.reason = file, item, reason


class _Strict(BaseModel):
    # Unknown keys are refused so a typo ("requried") cannot silently change behaviour.
    # NaN and Infinity (which Python's json reads) make every bound and step check meaningless.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Option(_Strict):
    value: OptionValue
    label: str


class Anchors(_Strict):
    min: str
    max: str


class Item(_Strict):
    id: str = Field(pattern=SLUG)
    type: ItemType
    text: str = Field(min_length=1)
    help: str | None = None
    required: bool = True
    # Offer "does not apply to me": stored as NOT_APPLICABLE and scored as a missing item, so
    # the instrument's published missing-data rule decides whether a score can be given.
    not_applicable: bool = False
    carry_forward: bool = False
    depends_on: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    integer: bool = False
    anchors: Anchors | None = None
    options: list[Option] | None = None
    max_length: int = Field(default=200, gt=0)

    @model_validator(mode="after")
    def _check_type_fields(self) -> Item:
        if self.type in ("single", "multi"):
            if not self.options:
                raise ValueError(f"a {self.type} item needs a non-empty 'options' list")
            values = [str(o.value) for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("option values must be unique")
        if self.type == "number" and (self.min is None or self.max is None):
            raise ValueError("a number item needs both 'min' and 'max'")
        low, high = self.bounds()
        if self.type in ("nrs", "number") and low >= high:
            raise ValueError(f"min ({low:g}) must be less than max ({high:g})")
        if self.step is not None and self.step <= 0:
            raise ValueError("step must be positive")
        if self.not_applicable and (self.required or self.type in ("text", "multi")):
            raise ValueError("'not_applicable' needs an optional nrs, number, single or yesno item")
        return self

    def bounds(self) -> tuple[float, float]:
        """Return (min, max); an NRS defaults to 0-10."""
        if self.type == "nrs":
            return (0 if self.min is None else self.min, 10 if self.max is None else self.max)
        return (self.min or 0, self.max or 0)

    def option_values(self) -> list[OptionValue]:
        """Return the option values of a single/multi item."""
        return [o.value for o in self.options or []]


class ScoreRule(_Strict):
    id: str = Field(pattern=SLUG)
    label: str
    outcome: str
    method: str
    items: list[str] = Field(min_length=1)
    weights: list[float] | None = None
    min_answered: int | None = Field(default=None, ge=1)
    max_missing: int | None = Field(default=None, ge=0)
    missing: Literal["none"] | None = None
    direction: Literal["higher_better", "higher_worse"]
    range: list[float] | None = None
    mcid: float | None = Field(default=None, gt=0)
    mcid_percent: float | None = Field(default=None, gt=0)
    threshold: float | None = None
    responder_values: list[OptionValue] | None = None

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"unknown method {value!r}; use one of {', '.join(METHODS)}")
        return value

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(f"unknown outcome {value!r}; use one of {', '.join(OUTCOMES)}")
        return value

    @field_validator("range")
    @classmethod
    def _range_pair(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (len(value) != 2 or value[0] >= value[1]):
            raise ValueError("range must be a pair [low, high] with low < high")
        return value

    @model_validator(mode="after")
    def _check_rule(self) -> ScoreRule:
        rules = [self.min_answered is not None, self.max_missing is not None, bool(self.missing)]
        if sum(rules) > 1:
            raise ValueError("give only one of min_answered, max_missing or missing")
        if self.method == "answer" and len(self.items) != 1:
            raise ValueError("method 'answer' takes exactly one item")
        if self.method == "weighted_sum":
            if self.weights is None or len(self.weights) != len(self.items):
                count = 0 if self.weights is None else len(self.weights)
                raise ValueError(f"{count} weights given for {len(self.items)} items")
        elif self.weights is not None:
            raise ValueError("weights are only used by method 'weighted_sum'")
        if self.min_answered is not None and self.min_answered > len(self.items):
            raise ValueError(f"min_answered {self.min_answered} exceeds {len(self.items)} items")
        return self


class FlagRule(_Strict):
    id: str = Field(pattern=SLUG)
    item: str
    when: OptionValue | bool | list[OptionValue | bool]
    severity: Literal["serious", "watch"]
    message: str

    def trigger_values(self) -> list[OptionValue | bool]:
        """Return the answers that raise this flag, as a list."""
        return self.when if isinstance(self.when, list) else [self.when]


class Instrument(_Strict):
    id: str = Field(pattern=SLUG)
    version: int | str
    title: str
    language: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    recall_period: str | None = None
    per_region: bool
    licence: str | None = None
    scale_version: str | None = None
    extends: str | None = None
    description: str | None = None
    items: list[Item] = Field(min_length=1)
    scores: list[ScoreRule] = Field(default_factory=list)
    flags: list[FlagRule] = Field(default_factory=list)
    translations: dict[str, Translation] = Field(default_factory=dict)

    def item(self, item_id: str) -> Item:
        """Return the item with this id; KeyError if unknown."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _duplicates(ids: list[str]) -> list[str]:
    return [value for value, count in Counter(ids).items() if count > 1]


def cross_check(defn: Instrument) -> list[tuple[str, str]]:
    """Return (item, reason) for references that point nowhere or ids used twice."""
    item_ids = [i.id for i in defn.items]
    known = set(item_ids)
    problems = [(d, "duplicate item id") for d in _duplicates(item_ids)]
    problems += [(d, "duplicate score id") for d in _duplicates([s.id for s in defn.scores])]
    for item in defn.items:
        if item.depends_on is not None and item.depends_on not in known - {item.id}:
            problems.append((item.id, f"depends_on refers to unknown item {item.depends_on!r}"))
    for score in defn.scores:
        problems += [(score.id, f"item {d!r} listed twice") for d in _duplicates(score.items)]
        problems += [
            (score.id, f"score refers to unknown item {ref!r}")
            for ref in score.items
            if ref not in known
        ]
    for flag in defn.flags:
        if flag.item not in known:
            problems.append((flag.id, f"flag refers to unknown item {flag.item!r}"))
    return problems


def _locate(raw: Any, loc: tuple) -> tuple[str, str]:
    # Turn pydantic's ('items', 3, 'min') into the item's own id plus the field name.
    if len(loc) >= 2 and loc[0] in ("items", "scores", "flags") and isinstance(loc[1], int):
        entries = raw.get(loc[0]) if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        name = name if isinstance(name, str) else None  # never print a hostile id (deep, huge)
        return str(name or f"{loc[0]}[{loc[1]}]"), ".".join(str(p) for p in loc[2:])
    if len(loc) >= 4 and loc[0] == "translations" and loc[2] == "items":
        # ('translations', 'fr', 'items', 'q1', 'text'): the item, and the language in the field.
        return clipped(loc[3]), ".".join(clipped(p) for p in (*loc[:2], *loc[4:]))
    return "(definition)", ".".join(str(p) for p in loc)


def parse_definition(raw: Any, file: str) -> Instrument:
    """Validate raw JSON data as an Instrument; raise DefinitionError naming file and item."""
    if not isinstance(raw, dict):
        raise DefinitionError(file, "(definition)", "top level must be a JSON object")
    try:
        defn = Instrument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        item, field = _locate(raw, tuple(first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        raise DefinitionError(file, item, f"{field}: {message}" if field else message) from None
    problems = cross_check(defn) + translation_problems(defn)
    if problems:
        raise DefinitionError(file, *problems[0])
    return defn
