"""The codes the twin's free text becomes: biomarker and metric names, units, tags.

The app writes names and units as people type them ("LDL Cholesterol", "bpm"); FHIR wants
LOINC codes and UCUM units. A name the gateway knows gets its code beside the text (the text is
always kept, so it comes back as written); a name it does not know keeps the text alone, never
an invented code. https://hl7.org/fhir/R4/terminologies.html, https://ucum.org/ucum
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway import ucum
from gateway.demo import LABS
from gateway.jsonio import Json

GATEWAY = "http://fhir-gateway.org/fhir"
LOINC = "http://loinc.org"
UCUM = ucum.UCUM
TAG_SYSTEM = f"{GATEWAY}/CodeSystem/twin-tag"
WEARABLE_METRIC = f"{GATEWAY}/CodeSystem/wearable-metric"
DATA_SOURCE = f"{GATEWAY}/CodeSystem/data-source"
INTERVENTION_CATEGORY = f"{GATEWAY}/CodeSystem/intervention-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_MAP = f"{GATEWAY}/ConceptMap/twin-biomarker-flag"
SOURCE_MAP = f"{GATEWAY}/ConceptMap/twin-metric-source"


def profile(name: str) -> str:
    return f"{GATEWAY}/StructureDefinition/{name}"


def vital_profile(name: str) -> str:
    return f"http://hl7.org/fhir/StructureDefinition/{name}"


def key(name: str) -> str:
    """A name as the tables look it up: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Biomarker names -> LOINC (code, display): the demo's lab table, and the names people use
# for the rest of the gateway's lab-biomarker value set.
_LAB_ALIASES = {
    "ldl": "18262-6", "ldlcholesterol": "18262-6", "ldlc": "18262-6",
    "hdl": "2085-9", "hdlcholesterol": "2085-9", "hdlc": "2085-9",
    "cholesterol": "2093-3", "totalcholesterol": "2093-3",
    "triglyceride": "2571-8", "trig": "2571-8",
    "fastingglucose": "2345-7", "bloodglucose": "2345-7",
    "hba1c": "4548-4", "a1c": "4548-4",
    "hgb": "718-7", "wbc": "6690-2", "whitebloodcells": "6690-2", "plt": "777-3",
    "egfr": "33914-3", "na": "2951-2", "k": "2823-3",
    "alt": "1742-6", "ast": "1920-8", "tsh": "3016-3", "ferritin": "2276-4",
    "vitamind": "1989-3", "25hydroxyvitamind": "1989-3", "vitaminb12": "2132-9", "b12": "2132-9",
    "hscrp": "30522-7", "crp": "30522-7", "testosterone": "2986-8", "totaltestosterone": "2986-8",
    "bnp": "30934-4", "ntprobnp": "33762-6", "troponini": "10839-9", "troponin": "10839-9",
    "inr": "6301-6",
}  # fmt: skip
_LOINC_DISPLAY = {
    "33914-3": "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)",
    "1742-6": "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "1920-8": "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "3016-3": "Thyrotropin [Units/volume] in Serum or Plasma",
    "2276-4": "Ferritin [Mass/volume] in Serum or Plasma",
    "1989-3": "25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma",
    "2132-9": "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma",
    "30522-7": "C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method",
    "2986-8": "Testosterone [Mass/volume] in Serum or Plasma",
    "30934-4": "Natriuretic peptide B [Mass/volume] in Serum or Plasma",
    "33762-6": "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma",
    "10839-9": "Troponin I.cardiac [Mass/volume] in Serum or Plasma",
    "6301-6": "INR in Platelet poor plasma by Coagulation assay",
    **{m.loinc: m.display for m in LABS},
}  # fmt: skip
LAB_CODES: dict[str, str] = {
    **{key(m.text): m.loinc for m in LABS},
    **{key(m.display): m.loinc for m in LABS},
    **_LAB_ALIASES,
}


def lab_coding(name: str) -> Json | None:
    """The LOINC coding of a biomarker name the gateway knows, else None."""
    code = LAB_CODES.get(key(name)) or LAB_CODES.get(key(name).removesuffix("s"))
    return {"system": LOINC, "code": code, "display": _LOINC_DISPLAY[code]} if code else None


@dataclass(frozen=True, slots=True)
class Vital:
    """A metric that is a vital sign: its LOINC code, R4 profile and the units it allows."""

    loinc: str
    display: str
    profile: str
    units: frozenset[str]


_VITALS = {
    "weight": Vital("29463-7", "Body weight", "bodyweight", frozenset({"kg", "[lb_av]", "g"})),
    "heartrate": Vital("8867-4", "Heart rate", "heartrate", frozenset({"/min"})),
    "respiratoryrate": Vital("9279-1", "Respiratory rate", "resprate", frozenset({"/min"})),
    "spo2": Vital("2708-6", "Oxygen saturation in Arterial blood", "oxygensat", frozenset({"%"})),
    "bodytemperature": Vital("8310-5", "Body temperature", "bodytemp", frozenset({"Cel", "[degF]"})),
}  # fmt: skip
_VITAL_ALIASES = {
    "bodyweight": "weight", "hr": "heartrate", "pulse": "heartrate",
    "oxygensaturation": "spo2", "bloodoxygen": "spo2", "temperature": "bodytemperature",
}  # fmt: skip


def vital(name: str, unit_code: str | None) -> Vital | None:
    """The vital sign a metric is, when its name says so and its unit is one R4 allows."""
    found = _VITALS.get(_VITAL_ALIASES.get(key(name), key(name)))
    return found if found and unit_code in found.units else None


# Metric names -> (wearable-metric code, LOINC code or "").
_METRICS = {
    "hrv": ("heart-rate-variability", "80404-7"), "heartratevariability": ("heart-rate-variability", "80404-7"),
    "restingheartrate": ("resting-heart-rate", "40443-4"), "rhr": ("resting-heart-rate", "40443-4"),
    "restinghr": ("resting-heart-rate", "40443-4"), "averageheartrate": ("average-heart-rate", ""),
    "maxheartrate": ("max-heart-rate", ""), "vo2max": ("vo2-max", ""),
    "steps": ("steps", "55423-8"), "distance": ("distance", ""), "activecalories": ("active-calories", ""),
    "activeminutes": ("active-minutes", ""), "strain": ("strain", ""),
    "sleep": ("sleep-duration", "93832-4"), "sleepduration": ("sleep-duration", "93832-4"),
    "sleepscore": ("sleep-score", ""), "sleepefficiency": ("sleep-efficiency", ""),
    "deepsleep": ("deep-sleep-duration", ""), "remsleep": ("rem-sleep-duration", ""),
    "recovery": ("recovery-score", ""), "recoveryscore": ("recovery-score", ""),
    "readiness": ("readiness-score", ""), "readinessscore": ("readiness-score", ""),
    "bodybattery": ("body-battery", ""), "stress": ("stress-score", ""), "stressscore": ("stress-score", ""),
}  # fmt: skip
_LOINC_METRIC_DISPLAY = {
    "80404-7": "R-R interval.standard deviation (Heart rate variability)",
    "40443-4": "Heart rate --resting",
    "55423-8": "Number of steps in unspecified time Pedometer",
    "93832-4": "Sleep duration",
}


def metric_codings(name: str) -> list[Json]:
    """The wearable-metric coding (and LOINC's, where LOINC has one) of a metric name."""
    found = _METRICS.get(key(name))
    if found is None:
        return []
    code, loinc = found
    codings = [{"system": WEARABLE_METRIC, "code": code}]
    if loinc:
        codings.append({"system": LOINC, "code": loinc, "display": _LOINC_METRIC_DISPLAY[loinc]})
    return codings


# Units as apps print them -> UCUM codes.
_UNIT_ALIASES = {
    "bpm": "/min", "beatsmin": "/min", "beatsperminute": "/min", "breathsmin": "/min", "brpm": "/min",
    "lb": "[lb_av]", "lbs": "[lb_av]", "pounds": "[lb_av]", "kgs": "kg",
    "f": "[degF]", "degf": "[degF]", "c": "Cel", "degc": "Cel",
    "mmhg": "mm[Hg]", "hours": "h", "hour": "h", "hrs": "h", "hr": "h",
    "minutes": "min", "mins": "min", "seconds": "s", "sec": "s", "steps": "{steps}",
    "score": "{score}", "points": "{score}", "miles": "[mi_i]", "mi": "[mi_i]", "km": "km",
    "kcal": "kcal", "calories": "kcal", "cal": "kcal", "floz": "[foz_us]",
}  # fmt: skip


def ucum_code(unit: str) -> str | None:
    """The UCUM code of a unit as written: itself when it is UCUM, a known spelling's code, or
    None (the quantity then keeps the unit text alone)."""
    alias = _UNIT_ALIASES.get(re.sub(r"[^a-z]", "", unit.lower()))
    if unit.replace("°", "").strip().upper() in ("F", "C"):
        alias = "[degF]" if "F" in unit.upper() else "Cel"
    if alias:
        return alias
    spelled = re.sub(r"(?<!\[)IU", "[IU]", unit.replace("µ", "u").replace("μ", "u"))
    spelled = spelled.replace("x10^", "10*").replace("\u00d710^", "10*")
    return spelled if ucum.conversion(spelled) is not None else None


def quantity(value: float, unit: str | None) -> Json:
    """A Quantity: the value as sent, the unit text as sent, the UCUM code where there is one
    (`1`, unity, for a number without a unit)."""
    if unit is None:
        return {"value": value, "system": UCUM, "code": "1"}
    found: Json = {"value": value, "unit": unit}
    code = ucum_code(unit)
    return {**found, "system": UCUM, "code": code} if code else found
