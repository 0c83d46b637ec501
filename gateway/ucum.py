"""UCUM units to one canonical unit per dimension, so that a quantity is searched in any unit.

https://hl7.org/fhir/R4/search.html#quantity: with the UCUM system a server "SHOULD" find 95 kg
by a search in pounds. A code is parsed by `ucumvert` (the UCUM grammar, UCUM's atoms as `pint`
units; docs/units.md compares it with the other candidates) once, and kept as an affine map onto
the canonical unit: `value * scale + offset`, the offset being zero except for the temperatures
Celsius, Fahrenheit and Réaumur. All arithmetic is `Decimal`: factors are worked out to 50
digits, results rounded to 34 significant digits, what a MongoDB Decimal128 holds. Stored and
searched values go through the same rounding, so `98.6 [degF]` and `37 Cel` are both
`310.15 K`.

Canonical units are UCUM's base units (`g`, not pint's `kg`), multiplied out and written as a
UCUM code (`g.m-3`, `s-1`, `1`), except that `mol` stays a unit of its own: UCUM counts it as
6.0221367e23, which would make `mmol/L` and `mg/dL` commensurable without a molar mass. A code
does not convert when it does not parse, names an arbitrary unit (`[IU]`: UCUM says it converts
to nothing), a special unit that is not affine (`[pH]`, `dB`), a unit the library defines
otherwise than UCUM (`[Cal]`, `g%`), or a unit pint has no base for.

Imported by the mappers (the stored canonical) and by search (the query's), which may not
import each other; `ucumvert` and `pint` load on the first conversion (about 0.5 s), not at
import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from xml.etree import ElementTree

from gateway.jsonio import ExactDecimal

UCUM = "http://unitsofmeasure.org"

_WORKING = 50  # digits for factors and products: far beyond what the stored rounding keeps
_STORED = Context(prec=34)  # a Decimal128's digits
_INFINITE = (float("inf"), float("-inf"))
_DOUBLE_DIGITS = 308  # below 1e308 every decimal is a finite double
_SAME = Decimal("1e-30")  # relative difference of two 50-digit factors that are equal
_LONGEST_CODE = 64  # the grammar is parsed by Earley; real codes are a dozen characters
_AFFINE_SPECIAL = frozenset({"Cel", "[degF]", "[degRe]"})  # special units that are affine
# UCUM's base units as pint names its own, and the power of ten between them (pint: kilogram).
_BASES: dict[str, tuple[str, int]] = {
    "meter": ("m", 0), "second": ("s", 0), "kilogram": ("g", 3), "kelvin": ("K", 0),
    "mole": ("mol", 0), "ampere": ("A", 0), "candela": ("cd", 0), "radian": ("rad", 0),
    "bit": ("bit", 0),
}  # fmt: skip
# Where pint's definition differs from UCUM's: UCUM defines m[Hg] as 133.3220 kPa; pint derives
# 133.322387415 kPa from mercury's density.
_UCUM_DEFINITIONS = ("meter_Hg = 133.3220 kilopascal = m_Hg",)
# Atoms that ucumvert's pint definitions convert otherwise than UCUM defines them (checked
# against ucum-essence.xml by tests/search/test_ucum.py, with the atoms defined through them):
# `[Cal]` as a small calorie, `g%` as 0.01 g (UCUM: g/dL), `'` as a minute of time, `[LPF]` as
# 1 (UCUM: 100), `[cft_i]` as a length, newer CODATA values for `u` or `AU`, ... They match by
# code only, as a unit that does not convert.
_DISAGREES_WITH_UCUM = frozenset(
    {
        "'", "''", "AU", "Bd", "By", "[Btu]", "[Btu_th]", "[Cal]", "[LPF]", "[acr_br]",
        "[cft_i]", "[ch_br]", "[cicero]", "[cyd_i]", "[didot]", "[eps_0]", "[ft_br]",
        "[fth_br]", "[in_br]", "[in_i'H2O]", "[in_i'Hg]", "[kn_br]", "[lk_br]", "[mi_br]",
        "[nmi_br]", "[pc_br]", "[pca_pr]", "[pnt_pr]", "[rd_br]", "[yd_br]", "a_t", "bit",
        "cal_[15]", "g%", "mo_s", "pc", "u",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Conversion:
    """`value` in the unit of a code -> `value * scale + offset` in the canonical `unit`."""

    scale: Decimal
    offset: Decimal
    unit: str

    def apply(self, value: Decimal) -> Decimal:
        """The canonical value, rounded once to 34 significant digits, trailing zeros dropped
        (ArithmeticError beyond the exponents Decimal computes with)."""
        return _STORED.fma(value, self.scale, self.offset).normalize(_STORED)


def canonical(value: Decimal, code: str) -> tuple[Decimal, str] | None:
    """`value` `code` in the canonical unit, and that unit's code; None if `code` does not
    convert (or the value is beyond what Decimal computes with)."""
    found = conversion(code)
    if found is None:
        return None
    try:
        return found.apply(value), found.unit
    except ArithmeticError:
        return None


def canonical_json(value: float | int, code: str) -> dict[str, Any] | None:
    """The stored form of a canonical quantity, `{"value": ExactDecimal, "code": str}`, of a
    value as JSON gave it (an ExactDecimal, a float or an int): what the domain's Quantity
    keeps and what a generic index entry carries, one shape for both."""
    converted = canonical(exact(value), code)
    if converted is None:
        return None
    number = number_text(converted[0])
    return {"value": ExactDecimal(number), "code": converted[1]} if number else None


def with_canonical(entry: dict[str, Any]) -> dict[str, Any]:
    """A quantity index entry (`{"value", "system", "code", "unit"}`) with `"canonical"` added
    when its system is UCUM and its code converts; else the entry as it is."""
    value, code = entry.get("value"), entry.get("code")
    if entry.get("system") != UCUM or not isinstance(code, str):
        return entry
    if not isinstance(value, int | float) or isinstance(value, bool):
        return entry
    found = canonical_json(value, code)
    return {**entry, "canonical": found} if found else entry


def exact(value: float | int) -> Decimal:
    """The decimal a JSON number was written as: an ExactDecimal's text, a float's shortest
    repr (what orjson read it from and writes back), an int as it is; `str` gives each."""
    return Decimal(str(value))


def number_text(value: Decimal) -> str | None:
    """A canonical value (normalised, as `Conversion.apply` gives it) as JSON number text
    without a needless exponent (`95000`, `0.0054`, `1e+40`); None for a value a double cannot
    hold (search compares doubles on the embedded store)."""
    if not value.is_finite():
        return None
    magnitude = value.adjusted()  # the power of ten of the first digit
    if magnitude >= _DOUBLE_DIGITS and float(value) in _INFINITE:
        return None
    if 0 <= magnitude < _STORED.prec and int(value.as_tuple().exponent) > 0:
        return format(value, "f")  # `1.6E+7` -> `16000000`
    return str(value).replace("E", "e")


_LOCK = threading.Lock()  # pint's registry caches are not thread-safe


def warm() -> None:
    """Load the library and a few common units now, at start, so the first request that
    stores or searches a quantity does not pay the library's load (about 0.5 s)."""
    for code in ("kg", "Cel", "mm[Hg]", "mg/dL", "/min"):
        conversion(code)


@lru_cache(maxsize=4096)  # bounded: search values are client input
def conversion(code: str) -> Conversion | None:
    """The conversion of a UCUM code, None if it does not convert; cached per code, as writes
    convert the same few units over and over."""
    if len(code) > _LONGEST_CODE:
        return None
    with _LOCK, localcontext(prec=_WORKING):
        try:
            return _units().conversion(code)
        except Exception:  # lark, pint and Decimal raise their own: all mean "does not convert"
            return None


@dataclass(frozen=True, slots=True)
class _Units:
    """The parser, pint registry and UCUM's unit flags and prefixes, built once."""

    parse: Callable[[str], Any]
    to_pint: Callable[[Any], Any]
    registry: Any
    refused: frozenset[str]
    prefixes: dict[str, Decimal]

    def conversion(self, code: str) -> Conversion | None:
        tree = self.parse(code)
        if any(atom in self.refused for atom in _atoms(tree)):
            return None
        if not all(self._prefix_holds(prefix, atom) for prefix, atom in _prefixed(tree)):
            return None
        return self._affine(self.to_pint(tree))

    def _affine(self, quantity: Any) -> Conversion | None:
        if not isinstance(quantity, self.registry.Quantity):
            return None  # an annotation alone (`{score}`): unity in name only
        factor = Decimal(str(quantity.magnitude))
        zero = self.registry.Quantity(Decimal(0), quantity.units).to_base_units()
        one = self.registry.Quantity(Decimal(1), quantity.units).to_base_units()
        unit, power = _canonical_unit(one.unit_items())
        if unit is None:
            return None
        scale = (one.magnitude - zero.magnitude) * factor * Decimal(10) ** power
        offset = zero.magnitude * Decimal(10) ** power
        return Conversion(scale, offset, unit) if scale > 0 else None

    def _prefix_holds(self, prefix: str, atom: str) -> bool:
        """Whether ucumvert reads `prefix` + `atom` as the prefix's multiple of the atom: it
        looks the joined name up in pint, which finds `hbar` (Planck's constant, not a
        hectobar) and, for atoms it renames, other units (`k[g]` as a kilogram)."""
        whole = self._affine(self.to_pint(self.parse(prefix + atom)))
        alone = self._affine(self.to_pint(self.parse(atom)))
        if whole is None or alone is None or whole.unit != alone.unit or alone.offset:
            return False
        expected = alone.scale * self.prefixes[prefix]
        return abs(whole.scale - expected) <= abs(expected) * _SAME


@cache
def _units() -> _Units:
    from pint import UnitRegistry  # here, not at import: about 0.5 s with the registry
    from ucumvert import UcumToPintTransformer, get_ucum_parser

    # ucumvert's PintUcumRegistry converts through pint's application registry (floats), so
    # the UCUM definitions are loaded into a Decimal registry of our own. pint evaluates
    # definitions (`5 / 9`, pi) as it loads them, in the context of the moment.
    with localcontext(prec=_WORKING):
        # on_redefinition: our redefinitions (_UCUM_DEFINITIONS) are deliberate, not log-worthy
        registry: UnitRegistry[Decimal] = UnitRegistry(
            non_int_type=Decimal, on_redefinition="ignore"
        )
        registry.load_definitions(str(resources.files("ucumvert") / "pint_ucum_defs.txt"))
        for definition in _UCUM_DEFINITIONS:
            registry.define(definition)
    return _Units(
        parse=get_ucum_parser().parse,
        to_pint=UcumToPintTransformer(ureg=registry).transform,
        registry=registry,
        refused=_refused_atoms() | _DISAGREES_WITH_UCUM,
        prefixes=_prefix_values(),
    )


def _essence() -> ElementTree.Element:
    """UCUM's own definitions, ucum-essence.xml, as ucumvert ships them."""
    essence = resources.files("ucumvert") / "vendor" / "ucum-essence.xml"
    with essence.open("rb") as file:
        return ElementTree.parse(file).getroot()  # a file of the package: trusted XML


def _refused_atoms() -> frozenset[str]:
    """UCUM's arbitrary units and its special units that are not affine, from the UCUM
    definitions (ucum-essence.xml) that ucumvert ships."""
    return frozenset(
        unit.attrib["Code"]
        for unit in _essence().findall(".//{*}unit")
        if unit.get("isArbitrary") == "yes"
        or (unit.get("isSpecial") == "yes" and unit.attrib["Code"] not in _AFFINE_SPECIAL)
    )


def _prefix_values() -> dict[str, Decimal]:
    """UCUM's prefixes and their values (`k` 1e3, `Ki` 1024), from ucum-essence.xml."""
    return {
        prefix.attrib["Code"]: Decimal(value.attrib["value"])
        for prefix in _essence().findall(".//{*}prefix")
        if (value := prefix.find("{*}value")) is not None
    }


def _prefixed(tree: Any) -> list[tuple[str, str]]:
    """The (prefix, atom) pairs of a parsed code (`("m", "[IU]")` of `m[IU]/L`)."""
    return [
        (str(unit.children[0]), str(unit.children[1]))
        for unit in tree.iter_subtrees()
        if unit.data == "simple_unit"
        and len(unit.children) == 2
        and getattr(unit.children[0], "type", "").startswith("PREFIX")
    ]


def _atoms(tree: Any) -> list[str]:
    """The unit atoms of a parsed code (`[IU]` of `m[IU]/L`)."""
    return [
        str(token)
        for token in tree.scan_values(lambda v: getattr(v, "type", "").startswith("UNIT_"))
    ]


def _canonical_unit(items: Any) -> tuple[str | None, int]:
    """pint's base units -> (UCUM code of the canonical unit, power of ten to multiply by)."""
    atoms: list[str] = []
    power = 0
    for name, exponent in sorted(items, key=lambda item: _BASES.get(item[0], ("",))[0]):
        base = _BASES.get(name)
        if base is None or exponent != int(exponent):
            return None, 0
        atom, ten = base
        power += ten * int(exponent)
        atoms.append(atom if exponent == 1 else f"{atom}{int(exponent)}")
    return ".".join(atoms) or "1", power
