"""Build the ``usgs-2024`` instance from the USGS tables: every number traceable to a source row.

Run from the repository root::

    python instances/usgs-2024/build.py                      # from the copy in source/
    python instances/usgs-2024/build.py --source ../shared/data/usgs
    python instances/usgs-2024/build.py --source ../shared/data/usgs --update-source

It reads ``mine_production.csv``, ``refining_share.csv``, ``prices.csv`` and
``critical_minerals_list.csv`` (USGS Mineral Commodity Summaries; uranium from the World Nuclear
Association; see ``source/SOURCES.md``) and writes the instance tables (``instance.yaml``,
``minerals.csv``, ``countries.csv``, ``supply.csv``, ``yields.csv``, ``transport.csv``,
``tariffs.csv``, ``sites.csv``, ``demand.csv``) and ``BUILD.md``, the record of what was used,
what was not and why. The output is deterministic: the same source gives the same bytes.
``--update-source`` rewrites ``source/`` with the rows of the shared tables the builds read.

What is data and what is an assumption (the constants below are the assumptions; change one and
rebuild):

* data: each country's production (the stage's series, one vintage), the world total, the
  price series, the list of critical minerals;
* rule: the buyer's demand is ``DEMAND_SHARE`` of world output of the delivered stage; the
  capacity a country offers the buyer is ``CAPACITY_SHARE`` of its output;
* assumption: the split of a two-stage mineral's price between mining and refining, the yields,
  freight, the tariff on Chinese material, the penalty for demand left unmet.

Standard library only, so the build does not depend on a pandas version.

The module is also imported by ``instances/kazakhstan-partnership/build.py``, which builds its
instance with the same rules from a different :class:`Config`.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "source"
SOURCE_FILES = (
    "mine_production.csv",
    "refining_share.csv",
    "prices.csv",
    "critical_minerals_list.csv",
    "kazakhstan_production.csv",
)

# --------------------------------------------------------------------------------------------
# Rules and assumptions (documented in README.md; change and rebuild)
# --------------------------------------------------------------------------------------------

#: The buyer's demand for each mineral: this share of the world's output of the delivered stage
#: (USGS "World total (rounded)"; for a stage summed over two series, the sum of their totals).
DEMAND_SHARE = 0.01
#: The most a country sells this buyer: this share of the country's output at that stage.
CAPACITY_SHARE = 0.05
#: Demand may go unmet at this multiple of the mineral's reference price per tonne (a planner's
#: value of lost supply). It is above every landed cost, so demand is never left unmet while
#: some allowed supply remains; it keeps every model solvable when a rule cannot be met in full.
PENALTY_MULTIPLE = 3.0
#: Sea freight in USD per tonne moved between two countries: a fixed port-and-handling part plus
#: a part per 1,000 km of great-circle distance between the countries' reference points
#: (capitals). Order of magnitude of 2024 dry-bulk rates; charged per tonne of the mineral's
#: unit (contained metal where USGS counts content), so it understates ore freight.
FREIGHT_FIXED = 15.0
FREIGHT_PER_1000_KM = 3.0
#: A landlocked country's rail or road leg to the sea, USD per tonne, added to each end of a lane.
OVERLAND_LEG = 80.0
#: Kazakhstan exports on the Trans-Caspian International Transport Route (rail to Aktau/Kuryk,
#: ferry to Baku/Alat, rail to Poti/Batumi on the Black Sea), then by sea from Poti. The World
#: Bank puts one 40-foot container China-Europe on this route at USD 2,500-3,250 (as quoted by
#: EY Kazakhstan, "Trans-Caspian International Transport Route", 15 Apr 2024); at 25 t per
#: container the upper end is USD 130 per tonne, taken for the leg Kazakhstan -> Black Sea.
TRANS_CASPIAN_LEG = 3250.0 / 25.0
TRANS_CASPIAN_GATEWAY = (42.15, 41.67)  # Poti, Georgia
#: Moving material inside the United States (mine -> plant, plant -> buyer), USD per tonne per
#: leg. Within other countries moving is free (their inland legs are in the FOB price). A
#: positive US leg also makes foreign ore never pass through a US "refining" pass-through
#: (see README: one-stage minerals).
US_INLAND_LEG = 5.0
#: Tariff on material of Chinese origin entering the US, ad valorem on the delivered product's
#: reference price (Section 301 duties on Chinese critical minerals were raised to 25% in 2024).
CHINA_TARIFF = 0.25
#: Uranium has no USGS price: Cameco's long-term price at the end of 2024, USD 80.50 per lb U3O8
#: (reported by the American Nuclear Society, "Uranium spot price closes out 2024 at $72.63/lb").
URANIUM_USD_PER_LB_U3O8 = 80.50

#: Countries a US importer may not buy from at all: their offers keep their row, capacity 0.
SANCTIONED = {
    "PRK": "US sanctions prohibit imports from North Korea (North Korea Sanctions Regulations, "
    "31 CFR part 510)",
}

BUYER_SITE, BUYER_COUNTRY = "us-importer", "USA"

# --------------------------------------------------------------------------------------------
# Units and chemistry
# --------------------------------------------------------------------------------------------

LB_PER_T = 2204.62262185
TROY_OZ_PER_T = 32150.7466
#: USD per tonne of one unit of each price unit in prices.csv.
PRICE_UNIT_TO_USD_PER_T = {
    "cents per pound": LB_PER_T / 100,
    "cents per pound of contained silicon": LB_PER_T / 100,
    "dollars per pound": LB_PER_T,
    "dollars per metric ton": 1.0,
    "dollars per kilogram": 1000.0,
    "dollars per kilogram of contained beryllium": 1000.0,
    "dollars per kilogram of Ta2O5": 1000.0,
    "dollars per troy ounce": TROY_OZ_PER_T,
    # one metric ton unit (mtu) is 1% of a tonne, 10 kg, of contained manganese
    "dollars per metric ton unit": 100.0,
    # 1 mtu WO3 = 7.93 kg W (the series' own definition): per tonne of tungsten content
    "dollars per dry metric ton unit of WO3": 1000.0 / 7.93,
}
#: Molar-mass ratios (IUPAC atomic weights), element mass per mass of compound.
LI_IN_LI2CO3 = 2 * 6.94 / 73.89  # 0.1879: 5.323 t lithium carbonate per t lithium
AS_IN_AS2O3 = 2 * 74.922 / 197.841  # 0.7574
TA_IN_TA2O5 = 2 * 180.948 / 441.893  # 0.8190
V_IN_V2O5 = 2 * 50.942 / 181.879  # 0.5602
TI_IN_TIO2 = 47.867 / 79.866  # 0.5993
U_IN_U3O8 = 3 * 238.029 / 842.08  # 0.8480
#: Ferroniobium is sold by gross weight; standard grade is about 65% niobium (assumption).
NB_IN_FENB = 0.65


def tonnes_per(unit: str) -> float:
    """Tonnes in one unit of a USGS quantity column."""
    if unit.startswith("thousand metric"):
        return 1000.0
    if unit.startswith("metric tons"):
        return 1.0
    if unit == "kilograms":
        return 0.001
    raise ValueError(f"unknown quantity unit '{unit}': add it to tonnes_per()")


# --------------------------------------------------------------------------------------------
# Minerals: which USGS series make each stage, and how the price is read
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """One row of prices.csv and what converts it to USD per tonne of the delivered unit."""

    product: str
    unit: str
    factor: float = 1.0  # chemistry: delivered units per priced unit
    note: str = ""


@dataclass(frozen=True)
class Mineral:
    """A mineral of the instance: its USGS series at each stage and its price.

    ``mining`` products are read from mine_production.csv, ``refining`` products from
    refining_share.csv; a stage given several products sums them per country (same unit). A
    stage without data (``None``) is a pass-through at the data stage's country (README).
    """

    id: str
    usgs: str  # the mineral's name in the USGS tables
    name: str
    unit: str  # the delivered unit, in words
    mining: tuple[str, ...] | None
    refining: tuple[str, ...] | None
    price: Price | None  # None: uranium, priced by URANIUM_USD_PER_LB_U3O8
    yield_: float = 1.0  # refining output per unit of mining output (two-stage minerals)
    mining_value_share: float = 1.0  # share of the delivered price paid at the mine (two-stage)
    note: str = ""

    @property
    def two_stage(self) -> bool:
        return self.mining is not None and self.refining is not None


MINERALS: tuple[Mineral, ...] = (
    Mineral(
        "aluminum",
        "Aluminum",
        name="Aluminum: bauxite (dry t) mined, primary aluminum smelted",
        unit="t primary aluminum (mining stage: t bauxite)",
        mining=("bauxite mine production (dry tons)",),
        refining=("primary aluminum (smelter production)",),
        price=Price("ingot, average U.S. market (spot) (Platts)", "cents per pound"),
        yield_=0.25,
        mining_value_share=0.10,
        note="yield 0.25 t aluminum per t bauxite (about 2 t bauxite per t alumina, 2 t alumina "
        "per t aluminum); bauxite carries 10% of the aluminum price (about USD 70 per t)",
    ),
    Mineral(
        "antimony",
        "Antimony",
        name="Antimony (mine production, Sb content)",
        unit="t Sb",
        mining=("mine production, antimony content",),
        refining=None,
        price=Price("antimony metal, 99.65% min, c.i.f. (Argus)", "dollars per pound"),
    ),
    Mineral(
        "arsenic",
        "Arsenic",
        name="Arsenic (plant production, t arsenic trioxide)",
        unit="t As2O3",
        mining=None,
        refining=("plant production, arsenic trioxide or calculated equivalent",),
        price=Price(
            "arsenic metal, 99% min, U.S. warehouse (Argus)",
            "dollars per pound",
            AS_IN_AS2O3,
            "metal price x arsenic content of As2O3 (0.757)",
        ),
    ),
    Mineral(
        "barite",
        "Barite",
        name="Barite (mine production, gross weight)",
        unit="t barite",
        mining=("mine production, barite (gross weight)",),
        refining=None,
        price=Price("ground barite, average unit value, ex-works", "dollars per metric ton"),
    ),
    Mineral(
        "beryllium",
        "Beryllium",
        name="Beryllium (mine production, Be content)",
        unit="t Be",
        mining=("mine production, beryllium content",),
        refining=None,
        price=Price(
            "beryllium-copper master alloy, annual average unit value of imports, per kg "
            "contained Be",
            "dollars per kilogram of contained beryllium",
        ),
    ),
    Mineral(
        "bismuth",
        "Bismuth",
        name="Bismuth (refinery production)",
        unit="t Bi",
        mining=None,
        refining=("refinery production, bismuth",),
        price=Price("bismuth metal 99.99%, warehouse Rotterdam (Fastmarkets)", "dollars per pound"),
    ),
    Mineral(
        "chromium",
        "Chromium",
        name="Chromium (marketable chromite ore, gross weight)",
        unit="t chromite ore",
        mining=("mine production, marketable chromite ore (gross weight)",),
        refining=None,
        price=Price("chromite ore (gross weight)", "dollars per metric ton"),
    ),
    Mineral(
        "cobalt",
        "Cobalt",
        name="Cobalt (mine production, Co content)",
        unit="t Co",
        mining=("mine production, cobalt content",),
        refining=None,
        price=Price("U.S. spot, cathode (S&P Global Platts Metals Week)", "dollars per pound"),
    ),
    Mineral(
        "copper",
        "Copper",
        name="Copper: mine (recoverable Cu content), refined copper",
        unit="t refined Cu (mining stage: t Cu in concentrate)",
        mining=("mine production, recoverable copper content",),
        refining=("refinery production, refined copper",),
        price=Price("U.S. producer cathode (COMEX + premium)", "cents per pound"),
        yield_=1.0,
        mining_value_share=0.95,
        note="yield 1 (contained copper in, refined copper out; losses ignored); the mine "
        "carries 95% of the cathode price (2024 treatment and refining charges near 5%)",
    ),
    Mineral(
        "fluorspar",
        "Fluorspar",
        name="Fluorspar (mine production, gross weight)",
        unit="t fluorspar",
        mining=("mine production, fluorspar (gross weight)",),
        refining=None,
        price=Price("acid grade, average unit value", "dollars per metric ton"),
    ),
    Mineral(
        "gallium",
        "Gallium",
        name="Gallium (primary low-purity production)",
        unit="t Ga",
        mining=None,
        refining=("primary (low-purity) gallium production",),
        price=Price(
            "gallium metal, average customs value of U.S. imports (HTS 8112.92.1000)",
            "dollars per kilogram",
        ),
    ),
    Mineral(
        "graphite",
        "Graphite (natural)",
        name="Natural graphite (mine production)",
        unit="t graphite",
        mining=("mine production, natural graphite",),
        refining=None,
        price=Price("flake, average unit value of U.S. imports", "dollars per metric ton"),
    ),
    Mineral(
        "indium",
        "Indium",
        name="Indium (refinery production)",
        unit="t In",
        mining=None,
        refining=("refinery production, indium",),
        price=Price("99.99% min, FOB U.S. warehouse (Argus)", "dollars per kilogram"),
    ),
    Mineral(
        "lead",
        "Lead",
        name="Lead (mine production, Pb content)",
        unit="t Pb",
        mining=("mine production, lead content",),
        refining=None,
        price=Price("North American (Platts)", "cents per pound"),
    ),
    Mineral(
        "lithium",
        "Lithium",
        name="Lithium (mine production, Li content)",
        unit="t Li",
        mining=("mine production, lithium content",),
        refining=None,
        price=Price(
            "battery-grade lithium carbonate, annual average (spot and long-term contract "
            "assessments; Benchmark Mineral Intelligence)",
            "dollars per metric ton",
            1 / LI_IN_LI2CO3,
            "carbonate price x 5.32 t Li2CO3 per t Li",
        ),
    ),
    Mineral(
        "magnesium",
        "Magnesium",
        name="Magnesium (primary metal, smelter production)",
        unit="t Mg",
        mining=None,
        refining=("primary magnesium metal (smelter production)",),
        price=Price("U.S. spot Western (Platts)", "dollars per pound"),
    ),
    Mineral(
        "manganese",
        "Manganese",
        name="Manganese (mine production, Mn content)",
        unit="t Mn",
        mining=("mine production, manganese content",),
        refining=None,
        price=Price(
            "metallurgical-grade ore, 44% Mn, c.i.f. China (CRU), Mn content",
            "dollars per metric ton unit",
        ),
    ),
    Mineral(
        "nickel",
        "Nickel",
        name="Nickel (mine production, Ni content)",
        unit="t Ni",
        mining=("mine production, nickel content",),
        refining=None,
        price=Price("nickel price (LME cash per MCS convention)", "dollars per metric ton"),
    ),
    Mineral(
        "niobium",
        "Niobium",
        name="Niobium (mine production, Nb content)",
        unit="t Nb",
        mining=("mine production, niobium content",),
        refining=None,
        price=Price(
            "ferroniobium, weighted average unit value of U.S. trade (gross weight)",
            "dollars per kilogram",
            1 / NB_IN_FENB,
            "ferroniobium price / 0.65 Nb in ferroniobium (assumption)",
        ),
    ),
    Mineral(
        "palladium",
        "Palladium",
        name="Palladium (mine production)",
        unit="t Pd",
        mining=("mine production, palladium content",),
        refining=None,
        price=Price(
            "Engelhard unfabricated metal, annual average (Platts)", "dollars per troy ounce"
        ),
    ),
    Mineral(
        "phosphate",
        "Phosphate",
        name="Phosphate rock (marketable)",
        unit="t phosphate rock",
        mining=("mine production, marketable phosphate rock",),
        refining=None,
        price=Price(
            "marketable phosphate rock, average value f.o.b. mine, all grades",
            "dollars per metric ton",
        ),
    ),
    Mineral(
        "platinum",
        "Platinum",
        name="Platinum (mine production)",
        unit="t Pt",
        mining=("mine production, platinum content",),
        refining=None,
        price=Price(
            "Engelhard unfabricated metal, annual average (Platts)", "dollars per troy ounce"
        ),
    ),
    Mineral(
        "potash",
        "Potash",
        name="Potash (mine production, K2O equivalent)",
        unit="t K2O",
        mining=("mine production, K2O equivalent",),
        refining=None,
        price=Price(
            "all products (MOP, SOP, SOPM)",
            "dollars per metric ton",
            note="K2O basis inferred (SOURCES.md)",
        ),
    ),
    Mineral(
        "rare-earths",
        "Rare earths",
        name="Rare earths (mine production, REO equivalent)",
        unit="t REO",
        mining=("mine production, rare-earth-oxide (REO) equivalent",),
        refining=None,
        price=Price(
            "neodymium-praseodymium (NdPr) oxide, 99% min (FOB China, Argus)",
            "dollars per kilogram",
            note="NdPr oxide: the value-setting oxide; overstates a mixed REO basket",
        ),
    ),
    Mineral(
        "rhenium",
        "Rhenium",
        name="Rhenium (mine production, Re content)",
        unit="t Re",
        mining=("mine production (recovered from Mo/Cu processing), rhenium content",),
        refining=None,
        price=Price("rhenium metal pellets, 99.99% (Argus)", "dollars per kilogram"),
    ),
    Mineral(
        "silicon",
        "Silicon",
        name="Silicon (ferrosilicon and silicon metal, Si content)",
        unit="t Si",
        mining=None,
        refining=(
            "ferrosilicon plant production, silicon content",
            "silicon metal plant production",
            "ferrosilicon + silicon metal production, silicon content",
        ),
        price=Price(
            "ferrosilicon, 75% Si (Platts mean import price)",
            "cents per pound of contained silicon",
        ),
        note="silicon metal (gross weight, at least 98.5% Si) is counted as Si content",
    ),
    Mineral(
        "silver",
        "Silver",
        name="Silver (mine production)",
        unit="t Ag",
        mining=("mine production, silver content",),
        refining=None,
        price=Price("bullion, Engelhard industrial quotation (Platts)", "dollars per troy ounce"),
    ),
    Mineral(
        "tantalum",
        "Tantalum",
        name="Tantalum (mine production, Ta content)",
        unit="t Ta",
        mining=("mine production, tantalum content",),
        refining=None,
        price=Price(
            "tantalite, annual average, per kg Ta2O5 content (CRU 2021; IREM 2022-24; Asian "
            "Metal 2025)",
            "dollars per kilogram of Ta2O5",
            1 / TA_IN_TA2O5,
            "Ta2O5 price / 0.819 Ta in Ta2O5",
        ),
    ),
    Mineral(
        "tellurium",
        "Tellurium",
        name="Tellurium (refinery production)",
        unit="t Te",
        mining=None,
        refining=("refinery production, tellurium content",),
        price=Price(
            "United States, 99.95% min, FOB U.S. warehouse (Argus)", "dollars per kilogram"
        ),
    ),
    Mineral(
        "tin",
        "Tin",
        name="Tin (mine production, Sn content)",
        unit="t Sn",
        mining=("mine production, tin content",),
        refining=None,
        price=Price("New York dealer (Platts)", "cents per pound"),
    ),
    Mineral(
        "titanium",
        "Titanium",
        name="Titanium: ilmenite and rutile (TiO2 content) mined, sponge metal",
        unit="t titanium sponge (mining stage: t TiO2 in ilmenite and rutile)",
        mining=("ilmenite mine production, TiO2 content", "rutile mine production, TiO2 content"),
        refining=("titanium sponge metal production",),
        price=Price(
            "titanium sponge, landed duty-paid value of U.S. imports", "dollars per kilogram"
        ),
        yield_=TI_IN_TIO2,
        mining_value_share=0.10,
        note="yield 0.599 t Ti per t TiO2 (titanium's mass share of TiO2; losses ignored); the "
        "mineral sands carry 10% of the sponge price (about USD 800 per t TiO2)",
    ),
    Mineral(
        "tungsten",
        "Tungsten",
        name="Tungsten (mine production, W content)",
        unit="t W",
        mining=("mine production, tungsten content",),
        refining=None,
        price=Price(
            "tungsten concentrate, average in-warehouse Rotterdam (1 mtu WO3 = 7.93 kg W)",
            "dollars per dry metric ton unit of WO3",
        ),
    ),
    Mineral(
        "uranium",
        "Uranium",
        name="Uranium (mine production, t U; World Nuclear Association)",
        unit="t U",
        mining=("uranium production from mines (tU)",),
        refining=None,
        price=None,
    ),
    Mineral(
        "vanadium",
        "Vanadium",
        name="Vanadium (mine production, V content)",
        unit="t V",
        mining=("mine production, vanadium content",),
        refining=None,
        price=Price(
            "vanadium pentoxide, Chinese annual average, 98% V2O5 (Argus)",
            "dollars per pound",
            1 / V_IN_V2O5,
            "V2O5 price / 0.560 V in V2O5",
        ),
    ),
    Mineral(
        "zinc",
        "Zinc",
        name="Zinc (mine production, Zn content)",
        unit="t Zn",
        mining=("mine production, zinc content",),
        refining=None,
        price=Price("North American SHG zinc (LME cash + premium; Platts)", "cents per pound"),
    ),
    Mineral(
        "zirconium",
        "Zirconium",
        name="Zirconium mineral concentrates (gross weight)",
        unit="t zircon",
        mining=("zirconium mineral concentrates mine production (gross weight)",),
        refining=None,
        price=Price(
            "zircon, unit value of U.S. imports (landed duty-paid)", "dollars per metric ton"
        ),
    ),
)

#: Minerals of the 2025 US list (critical_minerals_list.csv) the instance does not carry.
EXCLUDED = {
    "Boron": "each country reports a different product (crude ore, ulexite, boric oxide, "
    "refined borates); USGS gives no world total and says not to sum them",
    "Germanium": "country production withheld by USGS in both MCS 2025 and MCS 2026",
    "Cesium": "no country production gathered (SOURCES.md gaps)",
    "Rubidium": "no country production gathered (SOURCES.md gaps)",
    "Scandium": "no country production gathered (SOURCES.md gaps)",
    "Hafnium": "no country production gathered (SOURCES.md gaps)",
    "Iridium": "USGS publishes no country production for it (PGMs other than Pt and Pd)",
    "Rhodium": "USGS publishes no country production for it (PGMs other than Pt and Pd)",
    "Ruthenium": "USGS publishes no country production for it (PGMs other than Pt and Pd)",
    "Metallurgical coal": "not covered by MCS; no production data gathered",
}
#: USGS series of a carried mineral that the instance does not read, and why.
SERIES_NOT_USED = {
    "magnesite mine production (gross weight)": "magnesite feeds magnesia (refractories); "
    "primary magnesium metal is mostly made from dolomite, so it is not the metal's ore",
    "alumina refinery production (calcined equivalent)": "alumina is the intermediate between "
    "the two stages carried (bauxite, primary aluminum)",
}
#: Individual rare-earth elements: USGS publishes total REO only, carried as ``rare-earths``.
RARE_EARTH_ELEMENTS = (
    "Cerium Dysprosium Erbium Europium Gadolinium Holmium Lanthanum Lutetium Neodymium "
    "Praseodymium Samarium Terbium Thulium Ytterbium Yttrium"
).split()

# --------------------------------------------------------------------------------------------
# Countries: USGS name -> ISO alpha-3, reference point (capital, degrees), landlocked
# --------------------------------------------------------------------------------------------

COUNTRIES: dict[str, tuple[str, float, float, bool]] = {
    "Algeria": ("DZA", 36.75, 3.06, False),
    "Argentina": ("ARG", -34.6, -58.38, False),
    "Armenia": ("ARM", 40.18, 44.51, True),
    "Australia": ("AUS", -35.28, 149.13, False),
    "Austria": ("AUT", 48.21, 16.37, True),
    "Bahrain": ("BHR", 26.23, 50.59, False),
    "Belarus": ("BLR", 53.9, 27.57, True),
    "Belgium": ("BEL", 50.85, 4.35, False),
    "Bhutan": ("BTN", 27.47, 89.64, True),
    "Bolivia": ("BOL", -16.5, -68.15, True),
    "Brazil": ("BRA", -15.79, -47.88, False),
    "Bulgaria": ("BGR", 42.7, 23.32, False),
    "Burma": ("MMR", 19.76, 96.08, False),
    "Burundi": ("BDI", -3.43, 29.93, True),
    "Canada": ("CAN", 45.42, -75.7, False),
    "Chile": ("CHL", -33.45, -70.67, False),
    "China": ("CHN", 39.9, 116.41, False),
    "Congo (Kinshasa)": ("COD", -4.32, 15.31, False),
    "Cuba": ("CUB", 23.11, -82.37, False),
    "Côte d’Ivoire": ("CIV", 6.83, -5.29, False),
    "Egypt": ("EGY", 30.04, 31.24, False),
    "Ethiopia": ("ETH", 9.03, 38.74, True),
    "Finland": ("FIN", 60.17, 24.94, False),
    "France": ("FRA", 48.86, 2.35, False),
    "Gabon": ("GAB", 0.42, 9.47, False),
    "Germany": ("DEU", 52.52, 13.4, False),
    "Ghana": ("GHA", 5.6, -0.19, False),
    "Greece": ("GRC", 37.98, 23.73, False),
    "Greenland": ("GRL", 64.18, -51.72, False),
    "Guatemala": ("GTM", 14.63, -90.51, False),
    "Guinea": ("GIN", 9.64, -13.58, False),
    "Iceland": ("ISL", 64.15, -21.94, False),
    "India": ("IND", 28.61, 77.21, False),
    "Indonesia": ("IDN", -6.21, 106.85, False),
    "Iran": ("IRN", 35.69, 51.39, False),
    "Ireland": ("IRL", 53.35, -6.26, False),
    "Israel": ("ISR", 31.77, 35.21, False),
    "Jamaica": ("JAM", 18.0, -76.79, False),
    "Japan": ("JPN", 35.68, 139.69, False),
    "Jordan": ("JOR", 31.95, 35.93, False),
    "Kazakhstan": ("KAZ", 51.17, 71.45, True),
    "Kenya": ("KEN", -1.29, 36.82, False),
    "Korea, North": ("PRK", 39.04, 125.76, False),
    "Korea, Republic of": ("KOR", 37.57, 126.98, False),
    "Kyrgyzstan": ("KGZ", 42.87, 74.59, True),
    "Laos": ("LAO", 17.98, 102.63, True),
    "Madagascar": ("MDG", -18.88, 47.51, False),
    "Malaysia": ("MYS", 3.14, 101.69, False),
    "Mali": ("MLI", 12.64, -8.0, True),
    "Mexico": ("MEX", 19.43, -99.13, False),
    "Mongolia": ("MNG", 47.89, 106.91, True),
    "Morocco": ("MAR", 34.02, -6.83, False),
    "Mozambique": ("MOZ", -25.97, 32.57, False),
    "Namibia": ("NAM", -22.56, 17.08, False),
    "New Caledonia": ("NCL", -22.28, 166.46, False),
    "Niger": ("NER", 13.51, 2.11, True),
    "Nigeria": ("NGA", 9.08, 7.4, False),
    "Norway": ("NOR", 59.91, 10.75, False),
    "Pakistan": ("PAK", 33.68, 73.05, False),
    "Papua New Guinea": ("PNG", -9.44, 147.18, False),
    "Peru": ("PER", -12.05, -77.04, False),
    "Philippines": ("PHL", 14.6, 120.98, False),
    "Poland": ("POL", 52.23, 21.01, False),
    "Portugal": ("PRT", 38.72, -9.14, False),
    "Russia": ("RUS", 55.76, 37.62, False),
    "Rwanda": ("RWA", -1.94, 30.06, True),
    "Saudi Arabia": ("SAU", 24.71, 46.68, False),
    "Senegal": ("SEN", 14.72, -17.47, False),
    "Sierra Leone": ("SLE", 8.48, -13.23, False),
    "Slovakia": ("SVK", 48.15, 17.11, True),
    "South Africa": ("ZAF", -25.75, 28.19, False),
    "Spain": ("ESP", 40.42, -3.7, False),
    "Sri Lanka": ("LKA", 6.93, 79.85, False),
    "Sweden": ("SWE", 59.33, 18.07, False),
    "Sweden (concentrate)": ("SWE", 59.33, 18.07, False),
    "Syria": ("SYR", 33.51, 36.28, False),
    "Tajikistan": ("TJK", 38.56, 68.79, True),
    "Tanzania": ("TZA", -6.16, 35.75, False),
    "Thailand": ("THA", 13.76, 100.5, False),
    "Togo": ("TGO", 6.13, 1.22, False),
    "Tunisia": ("TUN", 36.81, 10.18, False),
    "Turkey": ("TUR", 39.93, 32.86, False),
    "Uganda": ("UGA", 0.35, 32.58, True),
    "Ukraine": ("UKR", 50.45, 30.52, False),
    "United Arab Emirates": ("ARE", 24.45, 54.38, False),
    "United Kingdom": ("GBR", 51.51, -0.13, False),
    "United States": ("USA", 38.9, -77.04, False),
    "Uzbekistan": ("UZB", 41.3, 69.24, True),
    "Vietnam": ("VNM", 21.03, 105.85, False),
    "Zambia": ("ZMB", -15.39, 28.32, True),
    "Zimbabwe": ("ZWE", -17.83, 31.05, True),
}
#: Each country's export route when it is not "by sea from the reference point": (gateway port
#: coordinates, USD per tonne to reach it). Landlocked countries without an entry pay
#: OVERLAND_LEG from their reference point.
ROUTES = {"KAZ": (TRANS_CASPIAN_GATEWAY, TRANS_CASPIAN_LEG)}

#: Groups the bundled models name (models/*.yaml): US and FTA (partner-share), EU (eu-crma
#: exemption), FEOC (partner-share and resilient exclusions).
GROUPS = {
    "US": {"USA"},
    # US free-trade-agreement partners as listed for 26 U.S.C. 30D (Treasury Notice 2023-29),
    # plus Japan (critical minerals agreement of 28 March 2023)
    "FTA": set(
        "AUS BHR CAN CHL COL CRI DOM SLV GTM HND ISR JOR KOR MEX MAR NIC OMN PAN PER SGP "
        "JPN".split()
    ),
    "EU": set(
        "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL "
        "PRT ROU SVK SVN ESP SWE".split()
    ),
    # covered nations of the foreign-entity-of-concern test (DOE interpretation, 2024)
    "FEOC": {"CHN", "RUS", "PRK", "IRN"},
}


# --------------------------------------------------------------------------------------------
# What varies between the instances built with these rules
# --------------------------------------------------------------------------------------------


@dataclass
class Config:
    """What one instance built by these rules chooses: its name, minerals, vintages, closures."""

    name: str
    description: str
    minerals: tuple[str, ...] | None = None  # None: every mineral of MINERALS
    #: (edition, year) in order of preference: a stage takes every row of the first vintage in
    #: which any of its series has rows (the edition is "MCS 2025", "MCS 2026" or "WNA").
    vintage: tuple[tuple[str, str], ...] = (("MCS 2025", "2024"), ("WNA", "2024"))
    #: a mineral's own vintage, replacing ``vintage`` for it
    vintage_of: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    price_year: str = "2024"
    #: minerals for which China sells the US buyer nothing: China's offers get capacity 0
    china_closed: dict[str, str] = field(default_factory=dict)
    #: a country whose output of a mineral must be present and equal kazakhstan_production.csv
    crosscheck_country: str | None = None
    #: why a mineral of the 2025 list outside ``minerals`` is not carried
    out_of_scope: str = "not in this instance's scope"


USGS_2024 = Config(
    name="usgs-2024",
    description=(
        "A US importer of every critical mineral with USGS country figures (36), buying 1% of "
        "world output through mining and refining, from USGS Mineral Commodity Summaries 2025 "
        "(2024 estimates; uranium from the World Nuclear Association). Production, world totals "
        "and prices are data; capacities (5% of each country's output), stage prices, yields, "
        "freight and tariffs are stated rules and assumptions (README.md, build.py)."
    ),
)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One source row: its file, its 1-based line number below the header, its cells."""

    file: str
    line: int
    cells: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.cells[key]


def read_table(folder: Path, name: str) -> list[Row]:
    with open(folder / name, encoding="utf-8", newline="") as handle:
        return [Row(name, i, r) for i, r in enumerate(csv.DictReader(handle), 1)]


def edition(row: Row) -> str:
    """The vintage label of a row: mine_production.csv says it; refining_share.csv names its
    source, the MCS 2025 data release or the MCS 2026 chapters."""
    if "edition" in row.cells:
        return row["edition"]
    source = row["source"]
    for year in ("2025", "2026"):
        if f"Mineral Commodity Summaries {year}" in source:
            return f"MCS {year}"
    return "other"


def is_world(country: str) -> bool:
    return country.startswith("World total")


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


@dataclass
class Stage:
    """One stage of one mineral as read from the data."""

    products: tuple[str, ...]
    file: str
    vintage: tuple[str, str]
    unit: str
    tonnes_per_unit: float
    world: float  # tonnes
    production: dict[str, float]  # ISO3 -> tonnes (positive only)
    rows: list[Row]  # every row read for the stage (countries, aggregates, totals)


@dataclass
class Built:
    config: Config
    minerals: list[Mineral]
    stages: dict[tuple[str, str], Stage]  # (mineral, "mining"|"refining") -> Stage
    prices: dict[str, tuple[float, Row | None]]  # mineral -> (USD per delivered t, row)
    tables: dict[str, list[dict[str, str]]]
    unused: list[tuple[Row, str]]


def read_stage(
    rows: list[Row], mineral: Mineral, products: tuple[str, ...], vintages
) -> Stage | None:
    """The rows of the first vintage in which any of ``products`` has rows."""
    mine = [r for r in rows if r["mineral"] == mineral.usgs and _product(r) in products]
    for vintage in vintages:
        chosen = [r for r in mine if (edition(r), r["year"]) == vintage]
        if not chosen:
            continue
        units = sorted({r["unit"] for r in chosen})
        if len({tonnes_per(u) for u in units}) != 1:  # e.g. kg in one series, t in another
            raise ValueError(f"{mineral.id}: mixed units {units} in {products}")
        per = tonnes_per(units[0])
        world = 0.0
        production: dict[str, float] = defaultdict(float)
        for product in sorted({_product(r) for r in chosen}):
            totals = [r for r in chosen if _product(r) == product and is_world(r["country"])]
            if len(totals) != 1:
                raise ValueError(f"{mineral.id} {product} {vintage}: {len(totals)} world totals")
            world += float(_quantity(totals[0])) * per
        for r in chosen:
            country = r["country"]
            if is_world(country) or country == "Other countries":
                continue
            if country not in COUNTRIES:
                raise ValueError(f"unknown country '{country}': add it to COUNTRIES")
            production[COUNTRIES[country][0]] += float(_quantity(r)) * per
        return Stage(
            products=products,
            file=chosen[0].file,
            vintage=vintage,
            unit=" + ".join(units),
            tonnes_per_unit=per,
            world=world,
            production={c: q for c, q in sorted(production.items()) if q > 0},
            rows=chosen,
        )
    return None


def _product(row: Row) -> str:
    return row.cells.get("product") or row["stage"]


def _quantity(row: Row) -> str:
    return row.cells.get("production") or row["share_or_quantity"]


def read_price(rows: list[Row], mineral: Mineral, year: str) -> tuple[float, Row | None]:
    """USD per tonne of the delivered unit, and the prices.csv row it comes from."""
    if mineral.price is None:  # uranium
        return URANIUM_USD_PER_LB_U3O8 * LB_PER_T / U_IN_U3O8, None
    price = mineral.price
    found = [
        r
        for r in rows
        if r["mineral"] == mineral.usgs
        and r["product"] == price.product
        and r["unit"] == price.unit
        and r["year"] == year
    ]
    if len(found) != 1:
        raise ValueError(f"{mineral.id}: {len(found)} price rows for '{price.product}' in {year}")
    return float(found[0]["price"]) * PRICE_UNIT_TO_USD_PER_T[price.unit] * price.factor, found[0]


def build(config: Config, source: Path) -> Built:
    mine_rows = read_table(source, "mine_production.csv")
    refining_rows = read_table(source, "refining_share.csv")
    price_rows = read_table(source, "prices.csv")
    chosen = [m for m in MINERALS if config.minerals is None or m.id in config.minerals]
    if config.minerals is not None and len(chosen) != len(config.minerals):
        raise ValueError(f"unknown minerals in {config.minerals}")

    stages: dict[tuple[str, str], Stage] = {}
    prices = {}
    for mineral in chosen:
        vintages = config.vintage_of.get(mineral.id, config.vintage)
        for stage, products, rows in (
            ("mining", mineral.mining, mine_rows),
            ("refining", mineral.refining, refining_rows),
        ):
            if products is None:
                continue
            read = read_stage(rows, mineral, products, vintages)
            if read is None:
                raise ValueError(f"{mineral.id}: no {stage} rows in vintages {vintages}")
            stages[mineral.id, stage] = read
        prices[mineral.id] = read_price(price_rows, mineral, config.price_year)

    if config.crosscheck_country is not None:
        _crosscheck(config, source, chosen, stages)

    tables = _tables(config, chosen, stages, prices)
    unused = _unused(config, chosen, stages, prices, mine_rows, refining_rows, price_rows)
    return Built(config, chosen, stages, prices, tables, unused)


def _delivered(mineral: Mineral, stages) -> Stage:
    return stages.get((mineral.id, "refining")) or stages[mineral.id, "mining"]


def stage_prices(mineral: Mineral, price: float) -> tuple[float, float]:
    """(mining price per mining unit, refining price per refining unit).

    A two-stage mineral splits the delivered price P: the mine is paid s·P per delivered unit,
    i.e. s·P·y per unit of its own output (y: delivered units per mined unit), the refiner
    (1 − s)·P. A one-stage mineral is paid in full at its data stage; its pass-through stage
    costs nothing.
    """
    if mineral.two_stage:
        share = mineral.mining_value_share
        return share * price * mineral.yield_, (1 - share) * price
    if mineral.mining is not None:
        return price, 0.0
    return 0.0, price


def freight(origin: str, destination: str) -> float:
    """USD per tonne between two countries: each end's overland leg, then sea freight over the
    great-circle distance between their gateways (their reference points unless ROUTES says)."""
    total = FREIGHT_FIXED
    points = []
    for iso in (origin, destination):
        lat, lon, landlocked = _place(iso)
        if iso in ROUTES:
            (lat, lon), leg = ROUTES[iso]
            total += leg
        elif landlocked:
            total += OVERLAND_LEG
        points.append((lat, lon))
    km = round(great_circle_km(*points[0], *points[1]))
    return round(total + FREIGHT_PER_1000_KM * km / 1000, 2)


def _place(iso: str) -> tuple[float, float, bool]:
    for code, lat, lon, landlocked in COUNTRIES.values():
        if code == iso:
            return lat, lon, landlocked
    raise KeyError(iso)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of radius 6,371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _tables(config: Config, minerals, stages, prices) -> dict[str, list[dict[str, str]]]:
    supply, yields, transport, tariffs, demand = [], [], [], [], []
    used_countries: set[str] = set()
    mineral_rows = []
    for mineral in minerals:
        price = prices[mineral.id][0]
        delivered = _delivered(mineral, stages)
        mineral_rows.append({"mineral": mineral.id, "name": mineral.name, "unit": mineral.unit})
        p_mining, p_refining = stage_prices(mineral, price)
        closed = mineral.id in config.china_closed
        for stage, p in (("mining", p_mining), ("refining", p_refining)):
            data = stages.get((mineral.id, stage))
            # a pass-through stage sits in the countries of the data stage, uncapped, free
            countries = (data or delivered).production
            for country, quantity in countries.items():
                row = {"mineral": mineral.id, "stage": stage, "country": country, "price": num(p)}
                if data is not None:
                    row["capacity"] = num(CAPACITY_SHARE * quantity)
                if (closed and country == "CHN") or country in SANCTIONED:
                    row["capacity"] = "0"
                supply.append(row)
                used_countries.add(country)
        if mineral.two_stage:
            yields.append(
                {"mineral": mineral.id, "stage": "refining", "yield": num(mineral.yield_)}
            )
            for origin in stages[mineral.id, "mining"].production:
                for destination in stages[mineral.id, "refining"].production:
                    if origin != destination and destination != BUYER_COUNTRY:
                        transport.append(
                            {
                                "from": origin,
                                "to": destination,
                                "mineral": mineral.id,
                                "cost": num(freight(origin, destination)),
                            }
                        )
        if "CHN" in delivered.production or (
            mineral.two_stage and "CHN" in stages[mineral.id, "mining"].production
        ):
            tariffs.append(
                {
                    "mineral": mineral.id,
                    "origin": "CHN",
                    "destination": BUYER_COUNTRY,
                    "per_unit": num(CHINA_TARIFF * price),
                }
            )
        demand.append(
            {
                "mineral": mineral.id,
                "site": BUYER_SITE,
                "quantity": num(DEMAND_SHARE * delivered.world),
                "penalty": num(PENALTY_MULTIPLE * price),
            }
        )
    used_countries.add(BUYER_COUNTRY)
    general = [
        {"from": c, "to": BUYER_COUNTRY, "mineral": "", "cost": num(freight(c, BUYER_COUNTRY))}
        for c in sorted(used_countries - {BUYER_COUNTRY})
    ]
    general.append(
        {"from": BUYER_COUNTRY, "to": BUYER_COUNTRY, "mineral": "", "cost": num(US_INLAND_LEG)}
    )
    country_rows = []
    for iso in sorted(used_countries):
        tags = [g for g in ("US", "FTA", "EU", "FEOC") if iso in GROUPS[g]]
        country_rows.append({"country": iso, "name": _name(iso), "groups": ";".join(tags)})
    return {
        "minerals": mineral_rows,
        "countries": country_rows,
        "supply": supply,
        "yields": yields,
        "transport": general + transport,
        "tariffs": tariffs,
        "sites": [{"site": BUYER_SITE, "country": BUYER_COUNTRY}],
        "demand": demand,
    }


def _name(iso: str) -> str:
    for name, (code, *_rest) in COUNTRIES.items():
        if code == iso:
            return name
    raise KeyError(iso)


def num(x: float) -> str:
    """A number as the CSV shows it: integers without a decimal point, else 10 significant
    digits (the build's output must not depend on float noise in the last bits)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


# --------------------------------------------------------------------------------------------
# What was not used, and why
# --------------------------------------------------------------------------------------------


def _in_vintage_of(row: Row, config: Config) -> bool:
    """The row is of a vintage its own mineral's stages are read from."""
    ids = {m.usgs: m.id for m in MINERALS}
    vintages = config.vintage_of.get(ids.get(row["mineral"], ""), config.vintage)
    return (edition(row), row["year"]) in vintages


def _unused(config, minerals, stages, prices, mine_rows, refining_rows, price_rows):
    """Every row of the build's vintages (and price year) that did not become a number of the
    instance, with the reason. Rows of other editions and years are not read at all."""
    used: set[tuple[str, int]] = set()
    reason: dict[tuple[str, int], str] = {}
    by_usgs = {m.usgs: m for m in minerals}
    all_usgs = {m.usgs for m in MINERALS}
    for stage in stages.values():
        for r in stage.rows:
            key = (r.file, r.line)
            country = r["country"]
            if is_world(country):
                used.add(key)  # the world total sets the demand
            elif country == "Other countries":
                reason[key] = "aggregate of unnamed countries: not an offer"
            elif float(_quantity(r)) == 0:
                reason[key] = "zero production: no offer"
            else:
                used.add(key)
    for _, row in prices.values():
        if row is not None:
            used.add((row.file, row.line))
    out = []
    for rows in (mine_rows, refining_rows):
        for r in rows:
            key = (r.file, r.line)
            if key in used:
                continue
            if not _in_vintage_of(r, config):
                continue
            if config.minerals is not None and r["mineral"] not in by_usgs:
                continue  # outside the instance's scope
            if key in reason:
                out.append((r, reason[key]))
                continue
            out.append((r, _why_not(r, by_usgs, all_usgs, stages, config)))
    for r in price_rows:
        if r["year"] != config.price_year or (r.file, r.line) in used:
            continue
        if config.minerals is not None and r["mineral"] not in by_usgs:
            continue  # outside the instance's scope
        chosen = by_usgs.get(r["mineral"])
        if r["mineral"] not in all_usgs:
            why = EXCLUDED.get(r["mineral"], "no country production for this mineral")
        elif chosen is not None and chosen.price and chosen.price.product == r["product"]:
            why = "the same price in another unit"
        else:
            why = "another price series of the mineral is used (README)"
        out.append((r, why))
    return out


def _why_not(row: Row, by_usgs, all_usgs, stages, config) -> str:
    mineral = row["mineral"]
    product = _product(row)
    if mineral == "Boron":
        return EXCLUDED["Boron"]
    if mineral not in all_usgs:
        return "mineral not carried (README)"
    if mineral not in by_usgs:
        return "mineral not in this instance"
    m = by_usgs[mineral]
    if "-- CAPACITY" in product:
        return "capacity row: the buyer's capacity rule uses production"
    if "SHARE OF WORLD" in product:
        return "share derived from quantities: the quantities are used"
    if "SHARE (IEA)" in product:
        return "IEA share (secondary, unverified)"
    for stage_name in ("mining", "refining"):
        stage = stages.get((m.id, stage_name))
        if stage is not None and product in stage.products and edition(row) != stage.vintage[0]:
            return f"{stage_name} read from {stage.vintage[0]} {stage.vintage[1]} for this mineral"
        if stage is not None and product in stage.products and row["year"] != stage.vintage[1]:
            return f"{stage_name} read from {stage.vintage[0]} {stage.vintage[1]} for this mineral"
    if row.file == "mine_production.csv" and m.refining is not None and product in m.refining:
        return "the same series is read from refining_share.csv"
    if row.file == "mine_production.csv" and row.cells.get("stage") == "smelter/refinery":
        return "the same series is read from refining_share.csv"
    if product in SERIES_NOT_USED:
        return SERIES_NOT_USED[product]
    raise ValueError(f"no reason recorded for not using {row.file} row {row.line}: {product}")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

COLUMNS = {
    "minerals": ["mineral", "name", "unit"],
    "countries": ["country", "name", "groups"],
    "supply": ["mineral", "stage", "country", "capacity", "price"],
    "yields": ["mineral", "stage", "yield"],
    "transport": ["from", "to", "mineral", "cost"],
    "tariffs": ["mineral", "origin", "destination", "per_unit"],
    "sites": ["site", "country"],
    "demand": ["mineral", "site", "quantity", "penalty"],
}


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue()


def instance_yaml(config: Config) -> str:
    lines = [
        "# Generated by build.py: edit the constants there (or the Config) and rebuild.",
        f"name: {config.name}",
        "description: >-",
        *_wrap(config.description, "  "),
        "currency: USD",
        "unit: t",
        "stages: [mining, refining]",
    ]
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str, width: int = 96) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + line)
    return lines


def outputs(built: Built, source: Path) -> dict[str, str]:
    """File name -> text of everything the build writes."""
    files = {"instance.yaml": instance_yaml(built.config)}
    for table, columns in COLUMNS.items():
        files[f"{table}.csv"] = csv_text(columns, built.tables[table])
    files["BUILD.md"] = build_report(built, source)
    return files


def build_report(built: Built, source: Path) -> str:
    c = built.config
    lines = [
        f"# {c.name}: what the build read, and what it did not use",
        "",
        "Generated by `build.py` (do not edit: change the constants or the Config and rebuild).",
        "",
        "## Rules and assumptions",
        "",
        "| constant | value |",
        "|---|---|",
        f"| vintage (edition, year), first with rows | {_vintages(c.vintage)} |",
    ]
    for mineral, vintages in sorted(c.vintage_of.items()):
        lines.append(f"| vintage of {mineral} | {_vintages(vintages)} |")
    lines += [
        f"| price year | {c.price_year} |",
        f"| demand | {DEMAND_SHARE:g} × world output of the delivered stage |",
        f"| capacity offered to the buyer | {CAPACITY_SHARE:g} × the country's output |",
        f"| penalty per unit of unmet demand | {PENALTY_MULTIPLE:g} × reference price |",
        f"| freight (USD/t) | {FREIGHT_FIXED:g} + {FREIGHT_PER_1000_KM:g} per 1,000 km "
        f"great-circle; landlocked +{OVERLAND_LEG:g} per end; Kazakhstan +{TRANS_CASPIAN_LEG:g} "
        "(Trans-Caspian route to Poti) |",
        f"| US inland leg (USD/t) | {US_INLAND_LEG:g} |",
        f"| tariff on Chinese material into the US | {CHINA_TARIFF:g} × reference price |",
        f"| uranium price | USD {URANIUM_USD_PER_LB_U3O8:g} per lb U3O8 (assumption, no USGS "
        "price) |",
    ]
    for iso, why in sorted(SANCTIONED.items()):
        lines.append(f"| {iso} sells the buyer nothing (capacity 0) | {why} |")
    if c.china_closed:
        lines.append(
            "| China sells the buyer nothing of | "
            + "; ".join(f"{m} ({why})" for m, why in sorted(c.china_closed.items()))
            + " |"
        )
    lines += [
        "",
        "## Minerals",
        "",
        "Quantities in tonnes (USGS units converted: thousand t × 1,000, kg ÷ 1,000). Price: USD "
        "per tonne of the delivered unit.",
        "",
        "| mineral | stage | USGS series | vintage | USGS unit | countries | world (t) | "
        "demand (t) | price (USD/t) | price series |",
        "|---|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for m in built.minerals:
        price, row = built.prices[m.id]
        delivered = _delivered(m, built.stages)
        series = (
            f"{row['product']} ({row['unit']}, {row['year']}: {row['price']})"
            if row is not None
            else f"assumption: USD {URANIUM_USD_PER_LB_U3O8:g}/lb U3O8"
        )
        if m.price is not None and m.price.note:
            series += f"; {m.price.note}"
        for stage_name in ("mining", "refining"):
            stage = built.stages.get((m.id, stage_name))
            if stage is None:
                lines.append(f"| {m.id} | {stage_name} | pass-through (no data) | | | | | | | |")
                continue
            is_delivered = stage is delivered
            lines.append(
                f"| {m.id} | {stage_name} | {' + '.join(sorted({_product(r) for r in stage.rows}))}"
                f" | {stage.vintage[0]} {stage.vintage[1]} | {stage.unit} | "
                f"{len(stage.production)} | {num(stage.world)} | "
                + (
                    f"{num(DEMAND_SHARE * stage.world)} | {num(price)} | {series} |"
                    if is_delivered
                    else "| | |"
                )
            )
    lines += ["", "Two-stage minerals (yield, mining value share):", ""]
    for m in built.minerals:
        if m.two_stage:
            lines.append(f"- {m.id}: {m.note}")
    for m in built.minerals:
        if m.note and not m.two_stage:
            lines.append(f"- {m.id}: {m.note}")
    lines += [
        "",
        "## Source rows of these vintages not used",
        "",
        "Every row of the vintages above (and every price row of the price year) that is not a "
        "number of the instance"
        + (", for the minerals in scope" if c.minerals is not None else "")
        + ". Rows of other editions and years are not read.",
        "",
        "| file | mineral | series | year | reason | rows | countries |",
        "|---|---|---|---|---|---:|---|",
    ]
    groups: dict[tuple[str, str, str, str, str], list[str]] = defaultdict(list)
    for row, why in built.unused:
        what = row.cells.get("product") or row.cells.get("stage")
        groups[row.file, row["mineral"], what, row["year"], why].append(
            row.cells.get("country", "")
        )
    for (file, mineral, what, year, why), countries in sorted(groups.items()):
        shown = ", ".join(c for c in countries if c)
        lines.append(
            f"| {file} | {mineral} | {what} | {year} | {why} | {len(countries)} | {shown} |"
        )
    lines += ["", "## Minerals of the 2025 US list not carried", ""]
    carried = {m.usgs for m in built.minerals}
    listed = read_table(source, "critical_minerals_list.csv")
    for r in listed:
        name = r["mineral"]
        if r["on_2025_list"] != "yes" or _carried(name, carried):
            continue
        lines.append(f"- {name}: {_not_carried(name, c)}")
    return "\n".join(lines) + "\n"


def _carried(name: str, carried: set[str]) -> bool:
    if name == "Graphite":
        name = "Graphite (natural)"
    return name in carried or (name in RARE_EARTH_ELEMENTS and "Rare earths" in carried)


def _not_carried(name: str, config: Config) -> str:
    if name in EXCLUDED:
        return EXCLUDED[name]
    if name in RARE_EARTH_ELEMENTS:
        return f"USGS publishes total rare-earth oxide only; {config.out_of_scope}"
    if config.minerals is not None:
        return config.out_of_scope
    raise ValueError(f"{name} is on the 2025 list but neither carried nor excluded")


def _vintages(vintages) -> str:
    return ", ".join(f"{e} {y}" for e, y in vintages)


def _crosscheck(config: Config, source: Path, minerals, stages) -> None:
    """The country's production read from the main tables equals kazakhstan_production.csv."""
    iso = COUNTRIES[config.crosscheck_country][0]
    rows = read_table(source, "kazakhstan_production.csv")
    for m in minerals:
        for stage_name in ("mining", "refining"):
            stage = stages.get((m.id, stage_name))
            if stage is None or iso not in stage.production:
                continue
            found = [
                float(r["quantity"]) * tonnes_per(r["unit"])
                for r in rows
                if r["mineral"] == m.usgs
                and r["product"] in stage.products
                and (r["edition"], r["year"].split(".")[0]) == stage.vintage
            ]
            if not found or not math.isclose(sum(found), stage.production[iso], rel_tol=1e-12):
                raise ValueError(
                    f"{m.id} {stage_name}: {stage.production[iso]} t in the main tables, "
                    f"{found} in kazakhstan_production.csv"
                )


def update_source(source: Path, configs: list[Config]) -> None:
    """Copy into DEFAULT_SOURCE the rows the builds of ``configs`` read (their vintages and price
    years), the whole list of critical minerals and Kazakhstan's table, and SOURCES.md."""
    DEFAULT_SOURCE.mkdir(exist_ok=True)
    for name in SOURCE_FILES:
        with open(source / name, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = [Row(name, i, r) for i, r in enumerate(reader, 1)]
        if name in ("mine_production.csv", "refining_share.csv"):
            rows = [r for r in rows if any(_in_vintage_of(r, c) for c in configs)]
        elif name == "prices.csv":
            rows = [r for r in rows if any(r["year"] == c.price_year for c in configs)]
        (DEFAULT_SOURCE / name).write_text(
            csv_text(list(header), [r.cells for r in rows]), encoding="utf-8"
        )
    (DEFAULT_SOURCE / "SOURCES.md").write_text(
        (source / "SOURCES.md").read_text(encoding="utf-8"), encoding="utf-8"
    )


def write(files: dict[str, str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None, config: Config = USGS_2024, out: Path = HERE) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder of the USGS CSVs (default: the copy in instances/usgs-2024/source)",
    )
    parser.add_argument("--out", type=Path, default=out, help="folder to write the instance to")
    parser.add_argument(
        "--update-source",
        action="store_true",
        help="first copy the rows the builds read from --source into instances/usgs-2024/source",
    )
    args = parser.parse_args(argv)
    if args.update_source:
        update_source(args.source, all_configs())
    built = build(config, args.source)
    write(outputs(built, args.source), args.out)
    supply = built.tables["supply"]
    print(
        f"{config.name}: {len(built.minerals)} minerals, {len(built.tables['countries'])} "
        f"countries, {len(supply)} offers, {len(built.tables['transport'])} transport rows, "
        f"{len(built.unused)} source rows not used (BUILD.md) -> {args.out}"
    )
    return 0


def all_configs() -> list[Config]:
    """Every Config built from source/ (so --update-source keeps the rows each one needs)."""
    configs = [USGS_2024]
    kz = HERE.parent / "kazakhstan-partnership" / "build.py"
    if kz.is_file():
        configs.append(load_module(kz, "kazakhstan_build").CONFIG)
    return configs


def load_module(path: Path, name: str):
    """Import a build script by path (instance folders are not packages)."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    sys.exit(main())
