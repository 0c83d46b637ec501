"""UCUM conversion to canonical units (gateway.ucum): the values, the codes that do not
convert, exactness, and the shape a stored quantity index entry gets.

https://ucum.org/ucum (the definitions), https://hl7.org/fhir/R4/search.html#quantity
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, localcontext
from importlib import resources
from typing import Any
from xml.etree import ElementTree

import pytest

from gateway import ucum
from gateway.jsonio import ExactDecimal
from gateway.ucum import UCUM, canonical, canonical_json, conversion, number_text, with_canonical


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        pytest.param("95", "kg", ("95000", "g"), id="kilogram-in-grams"),
        pytest.param("200", "[lb_av]", ("90718.474", "g"), id="pound-exactly"),
        pytest.param("98.6", "[degF]", ("310.15", "K"), id="fahrenheit-is-affine"),
        pytest.param("37", "Cel", ("310.15", "K"), id="celsius-is-affine"),
        pytest.param("-40", "[degF]", ("233.15", "K"), id="minus-forty-fahrenheit"),
        pytest.param("0", "Cel", ("273.15", "K"), id="zero-celsius-is-not-zero"),
        pytest.param("100", "[degF]", ("310.9277777777777777777777777777778", "K"), id="34-digits"),
        pytest.param("120", "mm[Hg]", ("15998640", "g.m-1.s-2"), id="mmhg-as-ucum-defines-it"),
        pytest.param("16", "kPa", ("16000000", "g.m-1.s-2"), id="kilopascal"),
        pytest.param("100", "mg/dL", ("1000", "g.m-3"), id="mass-concentration"),
        pytest.param("5.5", "mmol/L", ("5.5", "m-3.mol"), id="substance-concentration"),
        pytest.param("4.5", "10*3/uL", ("4500000000000", "m-3"), id="cell-count"),
        pytest.param("4.5", "10*9/L", ("4500000000000", "m-3"), id="same-count-other-code"),
        pytest.param("50", "%", ("0.5", "1"), id="percent"),
        pytest.param("22.5", "kg/m2", ("22500", "g.m-2"), id="body-mass-index"),
        pytest.param("72", "/min", ("1.2", "s-1"), id="per-minute"),
        pytest.param("72", "{beats}/min", ("1.2", "s-1"), id="annotation-ignored"),
        pytest.param("67", "[in_i]", ("1.7018", "m"), id="inch"),
        pytest.param("30", "U/L", ("0.0005", "m-3.mol.s-1"), id="enzyme-unit"),
        pytest.param("3", "mo", ("7889400", "s"), id="julian-month"),
        pytest.param("2", "/100{WBCs}", ("0.02", "1"), id="integer-factor"),
    ],
)
def test_canonical_value_and_unit(value: str, code: str, expected: tuple[str, str]) -> None:
    assert canonical(Decimal(value), code) == (Decimal(expected[0]), expected[1])


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("[IU]/L", id="arbitrary-unit"),
        pytest.param("m[IU]/L", id="prefixed-arbitrary-unit"),
        pytest.param("[arb'U]/mL", id="arbitrary-unit-per-volume"),
        pytest.param("{score}", id="annotation-alone"),
        pytest.param("[pH]", id="special-not-affine"),
        pytest.param("dB", id="logarithmic"),
        pytest.param("[p'diop]", id="tangent"),
        pytest.param("Cel/h", id="offset-unit-in-a-product"),
        pytest.param("bpm", id="not-ucum"),
        pytest.param("", id="empty"),
        pytest.param("kg)", id="unbalanced"),
        pytest.param('{"$gt":0}', id="json"),
        pytest.param("m." * 40 + "m", id="too-long"),
        pytest.param("10*999999999", id="huge-exponent"),
    ],
)
def test_codes_that_do_not_convert(code: str) -> None:
    assert conversion(code) is None
    assert canonical(Decimal(1), code) is None


def test_mass_and_substance_concentrations_do_not_convert_into_each_other() -> None:
    """Without a molar mass mg/dL and mmol/L are different dimensions (UCUM would count mol
    as 6.0221367e23 and call them commensurable; the canonical keeps mol apart)."""
    glucose = (canonical(Decimal(100), "mg/dL"), canonical(Decimal("5.55"), "mmol/L"))
    assert [found[1] for found in glucose if found] == ["g.m-3", "m-3.mol"]


def test_conversion_is_cached_per_code() -> None:
    assert conversion("mg/dL") is conversion("mg/dL")


def test_the_same_temperature_in_three_units_is_one_canonical_value() -> None:
    kelvin = {canonical(Decimal(v), code) for v, code in [("98.6", "[degF]"), ("37", "Cel")]}
    assert kelvin == {canonical(Decimal("310.15"), "K")}


def test_canonical_json_is_an_exact_decimal_of_the_written_number() -> None:
    found = canonical_json(ExactDecimal("1.50"), "kg")
    assert found == {"value": 1500, "code": "g"}
    assert found is not None
    assert type(found["value"]) is ExactDecimal
    assert found["value"].text == "1500"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0.1, "100", id="float-read-as-written"),  # not 100.0000000000000055...
        pytest.param(95, "95000", id="int"),
        pytest.param(ExactDecimal("1e-400"), "1e-397", id="beyond-a-double-but-finite"),
    ],
)
def test_canonical_json_reads_a_number_as_written(value: float, expected: str) -> None:
    found = canonical_json(value, "kg")
    assert found is not None
    assert found["value"].text == expected


def test_canonical_json_refuses_what_a_double_cannot_hold() -> None:
    assert canonical_json(1e308, "kg") is None  # 1e311 g


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1.6E+7", "16000000", id="no-needless-exponent"),
        pytest.param("1E+40", "1e+40", id="beyond-34-digits-keeps-exponent"),
        pytest.param("5E-21", "5e-21", id="small"),
        pytest.param("1E+400", None, id="beyond-a-double"),
    ],
)
def test_number_text(value: str, expected: str | None) -> None:
    assert number_text(Decimal(value)) == expected


def quantity(**fields: Any) -> dict[str, Any]:
    return {"value": 95, "system": UCUM, "code": "kg", "unit": "kg", **fields}


def test_with_canonical_adds_the_canonical_form() -> None:
    assert with_canonical(quantity()) == {**quantity(), "canonical": {"value": 95000, "code": "g"}}


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(quantity(system="http://example.org/units"), id="other-system"),
        pytest.param(quantity(system=None), id="no-system"),
        pytest.param(quantity(code=None), id="no-code"),
        pytest.param(quantity(value=None), id="no-value"),
        pytest.param(quantity(value=True), id="boolean"),
        pytest.param(quantity(value="95"), id="string"),
        pytest.param(quantity(code="{tablets}"), id="does-not-convert"),
    ],
)
def test_with_canonical_leaves_other_entries_alone(entry: dict[str, Any]) -> None:
    assert with_canonical(entry) == entry


def test_refused_atoms_come_from_the_ucum_definitions() -> None:
    refused = ucum._units().refused
    assert {"[IU]", "[iU]", "[arb'U]", "[pH]", "B", "Np"} <= refused
    assert not {"Cel", "[degF]", "[degRe]", "g", "mm[Hg]"} & refused


def _essence() -> dict[str, tuple[str, str]]:
    """UCUM's definition of each atom neither special nor arbitrary: code -> (value, unit)."""
    path = resources.files("ucumvert") / "vendor" / "ucum-essence.xml"
    with path.open("rb") as file:
        root = ElementTree.parse(file).getroot()
    return {
        unit.attrib["Code"]: (value.attrib["value"], value.attrib["Unit"])
        for unit in root.findall(".//{*}unit")
        if (value := unit.find("{*}value")) is not None
        and unit.get("isSpecial") != "yes"
        and unit.get("isArbitrary") != "yes"
    }


def test_atoms_refused_are_those_converted_otherwise_than_ucum_defines_them() -> None:
    """Each atom against its UCUM definition (`[lb_av]` is 16 `[oz_av]`, `[Cal]` 1 `kcal_th`),
    both converted by the library; an atom defined through a refused one is refused too.
    `mol` differs by design (a unit of its own, not 6.0221367e23)."""
    essence = _essence()
    units = replace(ucum._units(), refused=ucum._refused_atoms())
    with localcontext(prec=50):

        def converted(value: str, code: str) -> tuple[Decimal, str] | None:
            try:  # as gateway.ucum.conversion: any failure means "does not convert"
                found = units.conversion(code)
            except Exception:
                return None
            return (found.apply(Decimal(value)), found.unit) if found else None

        def atoms(code: str) -> set[str]:
            try:
                return set(ucum._atoms(units.parse(code)))
            except Exception:
                return set()

        differ = set()
        for code, (value, unit) in essence.items():
            atom, definition = converted("1", code), converted(value, unit)
            if code != "mol" and atom and definition and atom != definition:
                differ.add(code)
        uses = {code: atoms(unit) for code, (_, unit) in essence.items()}
    while through := {code for code, used in uses.items() if used & differ} - differ:
        differ |= through

    assert differ == ucum._DISAGREES_WITH_UCUM
    assert "[lb_av]" in essence  # the check ran over UCUM's atoms


@pytest.mark.parametrize("code", ["[Cal]", "g%", "'", "[LPF]", "[cft_i]", "[ft_br]"])
def test_an_atom_the_library_gets_wrong_does_not_convert(code: str) -> None:
    assert conversion(code) is None


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("hbar", id="hectobar-read-as-planck-constant"),
        pytest.param("k[g]", id="kilo-gravity-read-as-kilogram"),
        pytest.param("m[h]", id="milli-planck-read-as-millihour"),
        pytest.param("kR", id="kiloroentgen-read-as-gas-constant"),
        pytest.param("mg/hbar", id="inside-a-product"),
    ],
)
def test_a_prefix_the_library_reads_otherwise_does_not_convert(code: str) -> None:
    assert conversion(code) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("kbar", ("1E+11", "g.m-1.s-2"), id="kilobar"),
        pytest.param("ug/mL", ("1", "g.m-3"), id="micro-and-milli"),
        pytest.param("Kibit", None, id="bit-is-refused-prefixed-too"),
        pytest.param("daL", ("0.01", "m3"), id="two-letter-prefix"),
    ],
)
def test_prefixes_are_the_prefix_multiple(code: str, expected: tuple[str, str] | None) -> None:
    found = canonical(Decimal(1), code)
    assert found == (expected and (Decimal(expected[0]), expected[1]))
