"""Deterministic demo data for the sandbox: Nordic demo companies in the API's read shape.

The store calls :func:`generate` once per ``(DATA_VERSION, seed)``, writes every record
into SQLite and caches the file. Everything here is a pure function of the seed: no
wall-clock time, no ``hash()`` of strings (it is salted per process), no iteration over
sets. Every company, and every entity inside it, draws from its own random stream, so
generating a subset of the companies yields exactly the records a full run yields for
them.

Conventions of the records
--------------------------
* Read shape of the real API (facts file, section 3): camelCase names, nested references
  ``{id, description}`` and ``{number, name}``, ``errorInfo: None`` where the DTO has it,
  and no ``metadata`` (the server adds it to each answer).
* ``lastModifiedDateTime`` / ``createdDateTime`` are local wall-clock times with
  milliseconds and no offset (``"2024-03-05T14:22:10.533"``); dates are midnight
  (``"2024-05-01T00:00:00"``); periods are ``"YYYYMM"``.
* Money is computed in integer cents and shown as floats with at most two decimals, so
  every total adds up exactly. A document's ``amount`` is its total *including* VAT, as
  in the API: line amounts add up to ``detailTotal``, the ``taxDetails`` add up to
  ``vatTotal``, and ``amount = detailTotal + vatTotal``.
* Small reference objects (a class, terms, an account or subaccount reference, a
  country) are shared between records rather than copied: the records are meant to be
  serialised, not edited in place.

The companies
-------------
``COMPANIES[0]`` reproduces the knowledge-base articles (08 paging, 14 attributes,
17 VAT, 20 supplier ledger) and is frozen in early 2020, when those articles were
written; ``COMPANIES[1]`` is large enough for paging and finance analysis; two Finnish
companies share one tenant (so a token for it needs ``ipp-company-id``); a small Danish
company has a tenant of its own.
"""

from __future__ import annotations

import gc
import hashlib
import random
import re
import unicodedata
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path

__all__ = ["DATA_VERSION", "DEFAULT_SEED", "DemoCompany", "DemoClient", "COMPANIES",
           "CLIENTS", "generate"]

def _sources_digest() -> int:
    """32-bit digest of what else shapes the data: the ``_demo`` package, the filler
    and the surface. The store keys its cached template on this module's source and
    ``DATA_VERSION`` only, so the version carries the rest."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=4)
    for path in [*sorted((here / "_demo").glob("*.py")), here / "_fabricate.py",
                 here.parent / "_data" / "surface.json"]:
        if path.exists():
            digest.update(path.read_bytes())
    return int.from_bytes(digest.digest(), "big")


#: Bump the leading number whenever the generated data changes; the store's cache
#: file name includes it. The rest follows the sources of the ``_demo`` package.
DATA_VERSION: int = 2 * 10**10 + _sources_digest()

#: Seed used when the sandbox is started without one.
DEFAULT_SEED: int = 2020_03_01


# --------------------------------------------------------------------------- public


@dataclass(frozen=True)
class DemoCompany:
    """One demo company (an ERP *context*).

    Attributes
    ----------
    company_id
        Numeric context id (7 digits), sent as ``ipp-company-id``.
    name, country, currency, organization_number
        What ``GET resources/v1/context[/{id}]`` shows about the company.
    tenant_id
        Visma Connect tenant id (GUID text, derived from the name, so stable).
    role
        One short phrase telling users what the company is for.
    """

    company_id: int
    name: str
    tenant_id: str
    country: str
    currency: str
    organization_number: str
    role: str


@dataclass(frozen=True)
class DemoClient:
    """A registered API client of the sandbox's sign-in service.

    Attributes
    ----------
    kind
        ``"production"`` or ``"test"``: the throttling budget (article 12: 15,000 and
        500 calls per hour and company).
    tenant_ids
        Tenants whose companies the client may be issued tokens for.
    """

    client_id: str
    client_secret: str = field(repr=False)
    kind: str
    tenant_ids: tuple[str, ...]


_NAMESPACE = uuid.UUID("8f6d5a52-3c1b-4f0e-9d57-6a1c0b9e2f47")


def _guid(*parts: object) -> str:
    """A GUID that depends only on ``parts`` (UUID version 5)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _mix(*parts: object) -> int:
    """Stable 64-bit seed from any printable parts (never Python's salted ``hash``)."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_mix(*parts))


# --------------------------------------------------------------------------- identifiers


def _digits(rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(10) for _ in range(n)]


def _luhn_digit(digits: list[int]) -> int:
    """Check digit of the Luhn (mod 10) scheme: Swedish org. numbers, KID, OCR."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def _org_number(rng: random.Random, country: str) -> str:
    """A syntactically valid company registration number of ``country``."""
    while True:
        if country == "NO":  # 9 digits, mod 11 with weights 3 2 7 6 5 4 3 2
            body = [rng.choice((8, 9))] + _digits(rng, 7)
            rest = sum(w * d for w, d in zip((3, 2, 7, 6, 5, 4, 3, 2), body)) % 11
            check = 0 if rest == 0 else 11 - rest
            if check < 10:
                return "".join(map(str, body + [check]))
        elif country == "SE":  # aktiebolag: 55xxxx-xxxx, Luhn over the first nine
            body = [5, rng.choice((5, 5, 5, 9))] + _digits(rng, 7)
            text = "".join(map(str, body + [_luhn_digit(body)]))
            return f"{text[:6]}-{text[6:]}"
        elif country == "FI":  # Y-tunnus: 7 digits, mod 11 with weights 7 9 10 5 8 4 2
            body = [rng.choice((0, 1, 2, 3))] + _digits(rng, 6)
            rest = sum(w * d for w, d in zip((7, 9, 10, 5, 8, 4, 2), body)) % 11
            if rest != 1:
                check = 0 if rest == 0 else 11 - rest
                return "".join(map(str, body)) + f"-{check}"
        else:  # DK CVR: 8 digits whose weighted sum (2 7 6 5 4 3 2 1) is divisible by 11
            body = [rng.randrange(1, 10)] + _digits(rng, 6)
            check = -sum(w * d for w, d in zip((2, 7, 6, 5, 4, 3, 2), body)) % 11
            if check < 10:
                return "".join(map(str, body + [check]))


def _vat_number(country: str, org: str) -> str:
    """The VAT registration id the ERP shows for a company registered in ``country``."""
    plain = org.replace("-", "")
    if country == "NO":
        return f"NO{plain}MVA"
    if country == "SE":
        return f"SE{plain}01"
    return f"{country}{plain}"


def _payment_ref(rng: random.Random, seed_digits: str) -> str:
    """A customer payment reference (KID / OCR style): digits plus a Luhn check digit."""
    body = [int(c) for c in seed_digits] + _digits(rng, 2)
    return "".join(map(str, body)) + str(_luhn_digit(body))


def _iban(country: str, bban: str) -> str:
    """IBAN with a correct ISO 7064 mod-97 check, grouped by four for display."""
    rearranged = bban + "".join(str(ord(c) - 55) for c in country) + "00"
    check = 98 - int(rearranged) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _bank_account(rng: random.Random, country: str) -> tuple[str, str, str]:
    """(detail description, value, accountUsedForPayment) for a supplier's bank details."""
    if country == "NO":  # BBAN 4+2+5, mod 11 check with weights 5 4 3 2 7 6 5 4 3 2
        while True:
            body = [rng.randrange(1, 10)] + _digits(rng, 9)
            rest = sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), body)) % 11
            check = 0 if rest == 0 else 11 - rest
            if check < 10:
                t = "".join(map(str, body + [check]))
                return "Kontonummer", f"{t[:4]}.{t[4:6]}.{t[6:]}", "BBAN"
    if country == "SE":  # bankgiro: 7 or 8 digits with a Luhn check digit
        body = [rng.randrange(1, 10)] + _digits(rng, 5)
        t = "".join(map(str, body + [_luhn_digit(body)]))
        return "Bankgironummer", f"{t[:3]}-{t[3:]}", "BANKGIRO"
    digits = "".join(map(str, _digits(rng, 14 if country == "FI" else 14)))
    return "IBAN", _iban(country, digits), "IBAN"


def _slug(text: str) -> str:
    """ASCII lower-case letters and digits of ``text`` (for e-mail and web names)."""
    folded = (text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
              .replace("ä", "a").replace("ö", "o").replace("&", "og"))
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", folded)


# --------------------------------------------------------------------------- calendar
#
# Days are proleptic ordinals (``date.toordinal``) and times of day are milliseconds, so
# the hot loops do integer arithmetic; the text forms are cached per day.

_DAY_TEXT: dict[int, str] = {}


def _o(y: int, m: int, d: int) -> int:
    return date(y, m, d).toordinal()


def _day(o: int) -> str:
    text = _DAY_TEXT.get(o)
    if text is None:
        text = _DAY_TEXT[o] = date.fromordinal(o).isoformat()
    return text


def _date(o: int) -> str:
    """Midnight of day ``o`` as the API writes dates."""
    return _day(o) + "T00:00:00"


def _stamp(o: int, ms: int) -> str:
    """Wall-clock timestamp of day ``o`` plus ``ms`` milliseconds, no offset."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, f = divmod(rest, 1000)
    return f"{_day(o)}T{h:02d}:{m:02d}:{s:02d}.{f:03d}"


def _period(o: int) -> str:
    text = _day(o)
    return text[:4] + text[5:7]


def _weekday(o: int) -> int:
    """Monday 0 ... Sunday 6 (ordinal 1 was a Monday)."""
    return (o + 6) % 7


def _workday(o: int) -> int:
    """Day ``o`` moved back to the Friday before when it falls on a weekend."""
    wd = (o + 6) % 7
    return o - (wd - 4) if wd > 4 else o


def _office_ms(rng: random.Random) -> int:
    """A moment of the working day (07:30 to 17:00) in milliseconds."""
    return rng.randrange(27_000_000, 61_200_000)


def _cents(value: float) -> int:
    return int(round(value * 100))


def _money(cents: int) -> float:
    return cents / 100


# --------------------------------------------------------------------------- locales


@dataclass(frozen=True)
class _Locale:
    """Names and places of one country, enough to invent believable partners.

    ``cities`` rows are ``(postal code, city, county id, county name)``; the county is
    what the ERP's address ``county`` shows (a municipality in Norway, a region
    elsewhere). Postal codes vary in their last digit around the listed one.
    """

    country: str
    lang: str
    currency: str
    first: tuple[str, ...]
    last: tuple[str, ...]
    prefixes: tuple[str, ...]
    trades: tuple[str, ...]
    legal: tuple[tuple[str, int], ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str, str, str], ...]
    tld: str
    mailbox: tuple[str, str]  # local part of a company's general and invoice address


_NO = _Locale(
    "NO", "no", "NOK",
    first=("Ola", "Kari", "Per", "Ingrid", "Lars", "Anne", "Erik", "Marit", "Jon", "Silje",
           "Knut", "Hilde", "Magnus", "Nora", "Sindre", "Ida", "Espen", "Tone", "Håkon",
           "Liv", "Anders", "Camilla", "Trond", "Hanne", "Bjørn", "Mari", "Even", "Sofie",
           "Geir", "Eli"),
    last=("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
          "Kristiansen", "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg",
          "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen",
          "Halvorsen", "Henriksen", "Lund", "Sørensen", "Moen", "Gundersen", "Iversen",
          "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen",
          "Bakken", "Mathisen", "Lie", "Aasen", "Rønning"),
    prefixes=("Fjord", "Nord", "Vest", "Berg", "Aker", "Nidar", "Polar", "Tind", "Lyng",
              "Havbris", "Furu", "Bjørke", "Elve", "Kyst", "Sol", "Norr", "Fonn", "Brim",
              "Skog", "Stein", "Viken", "Vidde", "Glitre", "Isbre", "Midnatt", "Fyr",
              "Bølge", "Molte", "Storm", "Hav"),
    trades=("Bygg", "Elektro", "Transport", "Regnskap", "Maskin", "Rør", "Data", "Handel",
            "Eiendom", "Mat", "Fisk", "Trevare", "Rådgivning", "Marine", "Bil", "Design",
            "Catering", "Renhold", "Maling", "Logistikk", "Verksted", "Tekstil", "Helse",
            "Energi", "Media", "Sikkerhet", "Interiør", "Agentur", "Import",
            "Entreprenør"),
    legal=(("AS", 90), ("ANS", 4), ("DA", 3), ("ASA", 3)),
    streets=("Storgata", "Kirkegata", "Industriveien", "Havnegata", "Sjøgata", "Parkveien",
             "Skolegata", "Fjordveien", "Strandveien", "Nygata", "Kongens gate",
             "Dronningens gate", "Torggata", "Markveien", "Bjørkeveien", "Granveien",
             "Ringveien", "Stasjonsveien", "Verkstedveien", "Brugata"),
    cities=(("0150", "OSLO", "0301", "OSLO"), ("5003", "BERGEN", "4601", "BERGEN"),
            ("7010", "TRONDHEIM", "5001", "TRONDHEIM"),
            ("4006", "STAVANGER", "1103", "STAVANGER"), ("9008", "TROMSØ", "5501", "TROMSØ"),
            ("4610", "KRISTIANSAND S", "4204", "KRISTIANSAND"),
            ("3015", "DRAMMEN", "3301", "DRAMMEN"),
            ("1606", "FREDRIKSTAD", "3107", "FREDRIKSTAD"), ("8006", "BODØ", "1804", "BODØ"),
            ("6002", "ÅLESUND", "1508", "ÅLESUND"), ("4306", "SANDNES", "1108", "SANDNES"),
            ("3110", "TØNSBERG", "3905", "TØNSBERG"), ("2317", "HAMAR", "3403", "HAMAR"),
            ("2609", "LILLEHAMMER", "3405", "LILLEHAMMER"), ("6413", "MOLDE", "1506", "MOLDE"),
            ("4836", "ARENDAL", "4203", "ARENDAL"), ("3724", "SKIEN", "4003", "SKIEN"),
            ("2815", "GJØVIK", "3407", "GJØVIK"), ("1338", "SANDVIKA", "3201", "BÆRUM"),
            ("2000", "LILLESTRØM", "3205", "LILLESTRØM"), ("1530", "MOSS", "3103", "MOSS"),
            ("5501", "HAUGESUND", "1106", "HAUGESUND")),
    tld="no", mailbox=("post", "faktura"),
)

_SE = _Locale(
    "SE", "sv", "SEK",
    first=("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara",
           "Mikael", "Emma", "Per", "Lena", "Fredrik", "Elin", "Magnus", "Sofia", "Henrik",
           "Ida", "Jonas", "Linnea", "Oskar", "Maja", "Gustav", "Helena", "Nils",
           "Cecilia", "Viktor", "Ulla", "Björn"),
    last=("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
          "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson",
          "Hansson", "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson",
          "Olofsson", "Lindström", "Lindqvist", "Lindgren", "Berg", "Axelsson",
          "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund",
          "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Wallin",
          "Engström", "Danielsson"),
    prefixes=("Norr", "Väst", "Ost", "Syd", "Fjäll", "Skär", "Älv", "Sjö", "Skog", "Berg",
              "Ljung", "Björk", "Gran", "Ek", "Sten", "Havs", "Kust", "Dal", "Ström", "Vik",
              "Ängs", "Löv", "Tall", "Rönn", "Klipp", "Myr", "Hed", "Udd", "Sol", "Malm"),
    trades=("Bygg", "El", "Transport", "Redovisning", "Maskin", "VVS", "Data", "Handel",
            "Fastigheter", "Livs", "Fisk", "Snickeri", "Konsult", "Marin", "Bil", "Design",
            "Catering", "Städ", "Måleri", "Logistik", "Verkstad", "Textil", "Vård",
            "Energi", "Media", "Säkerhet", "Inredning", "Agentur", "Import",
            "Entreprenad"),
    legal=(("AB", 94), ("HB", 4), ("KB", 2)),
    streets=("Storgatan", "Kyrkogatan", "Industrivägen", "Hamngatan", "Sjögatan",
             "Parkvägen", "Skolgatan", "Drottninggatan", "Kungsgatan", "Strandvägen",
             "Nygatan", "Torggatan", "Järnvägsgatan", "Björkvägen", "Granvägen",
             "Ringvägen", "Stationsvägen", "Verkstadsgatan", "Fabriksgatan", "Ågatan"),
    cities=(("111 20", "STOCKHOLM", "01", "Stockholms län"),
            ("411 05", "GÖTEBORG", "14", "Västra Götalands län"),
            ("211 19", "MALMÖ", "12", "Skåne län"),
            ("753 20", "UPPSALA", "03", "Uppsala län"),
            ("722 10", "VÄSTERÅS", "19", "Västmanlands län"),
            ("702 10", "ÖREBRO", "18", "Örebro län"),
            ("581 02", "LINKÖPING", "05", "Östergötlands län"),
            ("252 20", "HELSINGBORG", "12", "Skåne län"),
            ("553 20", "JÖNKÖPING", "06", "Jönköpings län"),
            ("602 24", "NORRKÖPING", "05", "Östergötlands län"),
            ("222 21", "LUND", "12", "Skåne län"),
            ("901 05", "UMEÅ", "24", "Västerbottens län"),
            ("802 50", "GÄVLE", "21", "Gävleborgs län"),
            ("503 30", "BORÅS", "14", "Västra Götalands län"),
            ("151 30", "SÖDERTÄLJE", "01", "Stockholms län"),
            ("302 43", "HALMSTAD", "13", "Hallands län"),
            ("352 30", "VÄXJÖ", "07", "Kronobergs län"),
            ("652 24", "KARLSTAD", "17", "Värmlands län"),
            ("851 70", "SUNDSVALL", "22", "Västernorrlands län"),
            ("972 32", "LULEÅ", "25", "Norrbottens län"),
            ("831 30", "ÖSTERSUND", "23", "Jämtlands län"),
            ("791 71", "FALUN", "20", "Dalarnas län")),
    tld="se", mailbox=("info", "faktura"),
)

_FI = _Locale(
    "FI", "fi", "EUR",
    first=("Mikko", "Anna", "Juha", "Laura", "Timo", "Sanna", "Jari", "Maria", "Antti",
           "Johanna", "Pekka", "Heidi", "Matti", "Kaisa", "Janne", "Elina", "Ville",
           "Riikka", "Sami", "Minna"),
    last=("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
          "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen",
          "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen"),
    prefixes=("Pohjan", "Järvi", "Koski", "Metsä", "Kallio", "Tunturi", "Saaren", "Lahden",
              "Revon", "Ilves", "Karhu", "Kuusi", "Koivu", "Aalto", "Ranta"),
    trades=("Rakennus", "Sähkö", "Kuljetus", "Tilitoimisto", "Kone", "LVI", "Data",
            "Kauppa", "Kiinteistöt", "Ruoka", "Kala", "Puuseppä", "Konsultointi", "Auto",
            "Design", "Siivous", "Maalaus", "Logistiikka", "Tekstiili", "Energia"),
    legal=(("Oy", 94), ("Ky", 4), ("Oyj", 2)),
    streets=("Mannerheimintie", "Hämeenkatu", "Satamakatu", "Teollisuustie", "Kauppakatu",
             "Puistotie", "Koulukatu", "Rantatie", "Asemakatu", "Kirkkokatu", "Koivukuja",
             "Tehdaskatu"),
    cities=(("00100", "HELSINKI", "01", "Uusimaa"), ("02100", "ESPOO", "01", "Uusimaa"),
            ("33100", "TAMPERE", "06", "Pirkanmaa"), ("01300", "VANTAA", "01", "Uusimaa"),
            ("90100", "OULU", "17", "Pohjois-Pohjanmaa"),
            ("20100", "TURKU", "02", "Varsinais-Suomi"),
            ("40100", "JYVÄSKYLÄ", "13", "Keski-Suomi"),
            ("15110", "LAHTI", "07", "Päijät-Häme"),
            ("70100", "KUOPIO", "11", "Pohjois-Savo"), ("28100", "PORI", "04", "Satakunta"),
            ("65100", "VAASA", "15", "Pohjanmaa"), ("96100", "ROVANIEMI", "19", "Lappi")),
    tld="fi", mailbox=("info", "laskutus"),
)

_DK = _Locale(
    "DK", "da", "DKK",
    first=("Mette", "Jens", "Anne", "Peter", "Hanne", "Lars", "Susanne", "Michael", "Lone",
           "Søren", "Camilla", "Henrik", "Louise", "Thomas", "Pia", "Rasmus", "Maria",
           "Mads", "Line", "Christian"),
    last=("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
          "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
          "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen"),
    prefixes=("Nord", "Vest", "Øst", "Syd", "Fjord", "Hav", "Strand", "Skov", "Lyng",
              "Bøge", "Eg", "Klit", "Vester", "Sønder", "Bakke"),
    trades=("Byg", "El", "Transport", "Revision", "Maskin", "VVS", "Data", "Handel",
            "Ejendomme", "Mad", "Fisk", "Snedkeri", "Rådgivning", "Marine", "Auto",
            "Design", "Rengøring", "Maler", "Logistik", "Energi"),
    legal=(("ApS", 70), ("A/S", 30)),
    streets=("Storegade", "Kirkegade", "Industrivej", "Havnegade", "Søndergade",
             "Vestergade", "Nørregade", "Strandvejen", "Parkvej", "Skolevej", "Torvet",
             "Stationsvej"),
    cities=(("1050", "København K", "1084", "Region Hovedstaden"),
            ("8000", "Aarhus C", "1082", "Region Midtjylland"),
            ("5000", "Odense C", "1083", "Region Syddanmark"),
            ("9000", "Aalborg", "1081", "Region Nordjylland"),
            ("6700", "Esbjerg", "1083", "Region Syddanmark"),
            ("8900", "Randers C", "1082", "Region Midtjylland"),
            ("6000", "Kolding", "1083", "Region Syddanmark"),
            ("7100", "Vejle", "1083", "Region Syddanmark"),
            ("4000", "Roskilde", "1085", "Region Sjælland"),
            ("7400", "Herning", "1082", "Region Midtjylland"),
            ("3400", "Hillerød", "1084", "Region Hovedstaden")),
    tld="dk", mailbox=("info", "faktura"),
)

_LOCALES = {loc.country: loc for loc in (_NO, _SE, _FI, _DK)}
_LANGS = ("no", "sv", "fi", "da")

# Short texts in the four company languages (Norwegian, Swedish, Finnish, Danish). One
# row per concept; _tx(key, lang) picks the column.
_T: dict[str, tuple[str, str, str, str]] = {
    # countries as the ERP's country list names them (upper case, as in article 20)
    "country.NO": ("NORGE", "NORGE", "NORJA", "NORGE"),
    "country.SE": ("SVERIGE", "SVERIGE", "RUOTSI", "SVERIGE"),
    "country.FI": ("FINLAND", "FINLAND", "SUOMI", "FINLAND"),
    "country.DK": ("DANMARK", "DANMARK", "TANSKA", "DANMARK"),
    "cur.NOK": ("Norske kroner", "Norska kronor", "Norjan kruunu", "Norske kroner"),
    "cur.SEK": ("Svenske kroner", "Svenska kronor", "Ruotsin kruunu", "Svenske kroner"),
    "cur.DKK": ("Danske kroner", "Danska kronor", "Tanskan kruunu", "Danske kroner"),
    "cur.EUR": ("Euro", "Euro", "Euro", "Euro"),
    "cur.USD": ("Amerikanske dollar", "Amerikanska dollar", "Yhdysvaltain dollari",
                "Amerikanske dollar"),
    "cur.GBP": ("Britiske pund", "Brittiska pund", "Englannin punta", "Britiske pund"),
    "location": ("Hovedlokasjon", "Huvudadress", "Päätoimipaikka", "Hovedlokation"),
    "branch": ("avd.", "filial", "toimipiste", "afd."),
    "bank": ("Bankoverføring", "Bankgiro", "Tilisiirto", "Bankoverførsel"),
    "nonproject": ("Ikke prosjekt", "Ej projekt", "Ei projektia", "Intet projekt"),
    # VAT zones: where the partner is and whether we sell or buy
    "zone.01": ("Innenlands salg", "Försäljning inom landet", "Kotimaan myynti",
                "Salg i Danmark"),
    "zone.02": ("Salg til utlandet", "Försäljning till utlandet", "Myynti ulkomaille",
                "Salg til udlandet"),
    "zone.11": ("Innenlands kjøp", "Inköp inom landet", "Kotimaan ostot", "Køb i Danmark"),
    "zone.12": ("Kjøp fra utlandet", "Inköp från utlandet", "Ostot ulkomailta",
                "Køb fra udlandet"),
    # VAT categories: what the item is
    "cat.01": ("Utenfor mva-loven", "Utanför momslagen", "Arvonlisäverolain ulkopuolella",
               "Uden for momsloven"),
    "cat.02": ("Fritatt for mva", "Undantaget från moms", "Verovapaa", "Momsfritaget"),
    "cat.03": ("Høy sats", "Normalskattesats", "Yleinen verokanta", "Standardsats"),
    "cat.04": ("Middels sats (næringsmidler)", "Reducerad skattesats (livsmedel)",
               "Alennettu verokanta (elintarvikkeet)", "Standardsats"),
    "cat.05": ("Lav sats (transport, overnatting)", "Reducerad skattesats (böcker, resor)",
               "Alennettu verokanta (kirjat, matkat)", "Standardsats"),
    "rate.03": ("høy sats", "normalskattesats", "yleinen verokanta", "standardsats"),
    "rate.04": ("middels sats", "reducerad skattesats 1", "alennettu verokanta 1",
                "standardsats"),
    "rate.05": ("lav sats", "reducerad skattesats 2", "alennettu verokanta 2",
                "standardsats"),
    "vat.outside_sales": ("Salg utenfor mva-loven", "Försäljning utanför momslagen",
                          "Arvonlisäveroton myynti", "Salg uden for momsloven"),
    "vat.exempt_sales": ("Fritatt salg", "Momsfri försäljning", "Verovapaa myynti",
                         "Momsfrit salg"),
    "vat.sales": ("Utgående mva, {}", "Utgående moms, {}", "Myynnin ALV, {}",
                  "Salgsmoms, {}"),
    "vat.export": ("Eksport av varer og tjenester", "Export av varor och tjänster",
                   "Vienti", "Eksport af varer og ydelser"),
    "vat.no_vat": ("Kjøp uten mva", "Inköp utan moms", "Ostot ilman arvonlisäveroa",
                   "Køb uden moms"),
    "vat.purchase": ("Inngående mva, {}", "Ingående moms, {}", "Oston ALV, {}",
                     "Købsmoms, {}"),
    "vat.import_zero": ("Innførsel uten mva", "Import utan moms", "Tuonti ilman ALV:tä",
                        "Import uden moms"),
    "vat.import": ("Innførsel, {}", "Import, {}", "Tuonnin ALV, {}", "Importmoms, {}"),
    # classes
    "cclass.1": ("Innenlandske bedriftskunder", "Företagskunder Sverige",
                 "Kotimaiset yritysasiakkaat", "Erhvervskunder Danmark"),
    "cclass.2": ("Utenlandske kunder", "Utländska kunder", "Ulkomaiset asiakkaat",
                 "Udenlandske kunder"),
    "cclass.3": ("Offentlig sektor", "Offentlig sektor", "Julkinen sektori",
                 "Offentlig sektor"),
    "cclass.4": ("Privatkunder", "Privatkunder", "Yksityisasiakkaat", "Privatkunder"),
    "sclass.1": ("Innenlandske leverandører", "Leverantörer Sverige",
                 "Kotimaiset toimittajat", "Leverandører Danmark"),
    "sclass.2": ("Utenlandske leverandører", "Utländska leverantörer",
                 "Ulkomaiset toimittajat", "Udenlandske leverandører"),
    "sclass.3": ("Offentlige etater", "Myndigheter", "Viranomaiset", "Myndigheder"),
    "terms": ("{} dager netto", "{} dagar netto", "{} päivää netto", "Netto {} dage"),
    # subaccount segments
    "seg.1": ("Avdeling", "Avdelning", "Osasto", "Afdeling"),
    "seg.2": ("Produktområde", "Produktområde", "Tuotealue", "Produktområde"),
    "dept.00": ("Felles", "Gemensamt", "Yhteinen", "Fælles"),
    "dept.10": ("Salg", "Försäljning", "Myynti", "Salg"),
    "dept.20": ("Innkjøp", "Inköp", "Osto", "Indkøb"),
    "dept.30": ("Lager og logistikk", "Lager och logistik", "Varasto ja logistiikka",
                "Lager og logistik"),
    "dept.40": ("Administrasjon", "Administration", "Hallinto", "Administration"),
    "area.000": ("Ingen", "Inget", "Ei tuotealuetta", "Intet"),
    "area.100": ("Varer", "Varor", "Tuotteet", "Varer"),
    "area.200": ("Tjenester", "Tjänster", "Palvelut", "Ydelser"),
    "area.300": ("Prosjekter", "Projekt", "Projektit", "Projekter"),
    # warehouses and units
    "wh.1": ("Hovedlager", "Centrallager", "Keskusvarasto", "Hovedlager"),
    "wh.2": ("Lager", "Lager", "Varasto", "Lager"),
    "wh.3": ("Utleveringslager", "Utlämningslager", "Jakeluvarasto", "Udleveringslager"),
    "loc.recv": ("Varemottak", "Godsmottagning", "Vastaanotto", "Varemodtagelse"),
    "loc.ship": ("Utlevering", "Utleverans", "Lähetys", "Forsendelse"),
    "loc.rma": ("Retur", "Retur", "Palautukset", "Retur"),
    "uom.piece": ("Stykk", "Styck", "Kappale", "Stk."),
    "uom.kg": ("Kilogram", "Kilogram", "Kilogramma", "Kilogram"),
    "uom.litre": ("Liter", "Liter", "Litra", "Liter"),
    "uom.hour": ("Time", "Timme", "Tunti", "Time"),
    "uom.pallet": ("Pall", "Pall", "Lava", "Palle"),
    "uom.box": ("Eske", "Kartong", "Laatikko", "Karton"),
    "uom.metre": ("Meter", "Meter", "Metri", "Meter"),
    # attribute descriptions
    "attr.COLOR": ("Farge", "Färg", "Väri", "Farve"),
    "attr.SIZE": ("Størrelse", "Storlek", "Koko", "Størrelse"),
    "attr.SEGMENT": ("Kundesegment", "Kundsegment", "Asiakassegmentti", "Kundesegment"),
    "attr.PREFERRED": ("Foretrukket leverandør", "Föredragen leverantör",
                       "Ensisijainen toimittaja", "Foretrukken leverandør"),
    "color.RED": ("Rød", "Röd", "Punainen", "Rød"),
    "color.BLUE": ("Blå", "Blå", "Sininen", "Blå"),
    "color.GREEN": ("Grønn", "Grön", "Vihreä", "Grøn"),
    "color.BLACK": ("Sort", "Svart", "Musta", "Sort"),
    "color.WHITE": ("Hvit", "Vit", "Valkoinen", "Hvid"),
    "color.GREY": ("Grå", "Grå", "Harmaa", "Grå"),
    "size.S": ("Liten", "Liten", "Pieni", "Lille"),
    "size.M": ("Medium", "Medium", "Keskikoko", "Mellem"),
    "size.L": ("Stor", "Stor", "Suuri", "Stor"),
    "size.XL": ("Ekstra stor", "Extra stor", "Erittäin suuri", "Ekstra stor"),
    "seg.RETAIL": ("Detaljhandel", "Detaljhandel", "Vähittäiskauppa", "Detailhandel"),
    "seg.WHOLESALE": ("Engros", "Grossist", "Tukkukauppa", "Engros"),
    "seg.PUBLIC": ("Offentlig", "Offentlig", "Julkinen", "Offentlig"),
    # documents
    "inv.goods": ("Varer levert uke {}", "Varor levererade vecka {}",
                  "Toimitetut tuotteet viikko {}", "Varer leveret uge {}"),
    "inv.service": ("Tjenester {}", "Tjänster {}", "Palvelut {}", "Ydelser {}"),
    "inv.order": ("Ordre {}", "Order {}", "Tilaus {}", "Ordre {}"),
    "debit": ("Tilleggsfaktura", "Tilläggsfaktura", "Lisälasku", "Tillægsfaktura"),
    "credit": ("Kreditnota til faktura {}", "Kreditfaktura till faktura {}",
               "Hyvityslasku laskulle {}", "Kreditnota til faktura {}"),
    "po": ("Innkjøp {}", "Inköp {}", "Hankinta {}", "Indkøb {}"),
    "po.restock": ("Påfyll av lager", "Lagerpåfyllnad", "Varastotäydennys",
                   "Lageropfyldning"),
    "pay": ("Betaling {}", "Betalning {}", "Maksu {}", "Betaling {}"),
    "hold50": ("Til kontroll: venter på varemottak", "Till kontroll: väntar på inleverans",
               "Tarkastettavana: odottaa vastaanottoa", "Til kontrol: afventer modtagelse"),
}

_MONTHS = {
    "no": "januar februar mars april mai juni juli august september oktober november "
          "desember",
    "sv": "januari februari mars april maj juni juli augusti september oktober november "
          "december",
    "fi": "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu "
          "lokakuu marraskuu joulukuu",
    "da": "januar februar marts april maj juni juli august september oktober november "
          "december",
}
_MONTH_NAMES = {lang: tuple(text.split()) for lang, text in _MONTHS.items()}


def _month_label(o: int, lang: str) -> str:
    d = date.fromordinal(o)
    return f"{_MONTH_NAMES[lang][d.month - 1]} {d.year}"


# --------------------------------------------------------------------------- VAT
#
# Each company gets the same VAT *structure*, filled with its own country's ids and rates:
#
#   zones (where the partner is, and the direction):  01 domestic sales, 02 sales abroad,
#                                                     11 domestic purchases, 12 imports
#   categories (what the item is):                    01 outside the VAT act, 02 exempt,
#                                                     03 standard, 04/05 reduced rates
#
# The ERP picks for a document line the VAT id that lists both the partner's zone and the
# item's category (article 17). Each VAT id therefore covers a rectangle of zones x
# categories, and the rectangles do not overlap: every pair leads to exactly one id.

# category -> ((first day, rate %), ...): the rate revisions the ERP keeps per VAT id
_RATES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    # Norway's low rate was lowered to 6 % from April 2020 to September 2021.
    "NO": {"03": (("2005-01-01", 25.0),), "04": (("2012-01-01", 15.0),),
           "05": (("2016-01-01", 10.0), ("2018-01-01", 12.0), ("2020-04-01", 6.0),
                  ("2021-10-01", 12.0))},
    "SE": {"03": (("1990-07-01", 25.0),), "04": (("1996-01-01", 12.0),),
           "05": (("1996-01-01", 6.0),)},
    # Finland raised its standard rate to 25.5 % on 1 September 2024.
    "FI": {"03": (("2013-01-01", 24.0), ("2024-09-01", 25.5)),
           "04": (("2013-01-01", 14.0),), "05": (("2013-01-01", 10.0),)},
    "DK": {"03": (("1992-01-01", 25.0),)},
}

# role -> VAT id, per country. Roles: see _vat_role. Norway's ids follow the standard
# SAF-T codes its ERP users know (3 = output VAT standard rate, 1 = input VAT ...).
_VAT_IDS: dict[str, dict[str, str]] = {
    "NO": {"outside_sales": "6", "exempt_sales": "5", "export": "52", "no_vat": "0",
           "import_zero": "85", "sales.03": "3", "sales.04": "31", "sales.05": "33",
           "purchase.03": "1", "purchase.04": "11", "purchase.05": "13",
           "import.03": "81", "import.04": "83", "import.05": "88"},
    "SE": {"outside_sales": "UTM", "exempt_sales": "MF", "export": "EXP", "no_vat": "IF",
           "import_zero": "IMPF", "sales.03": "MP1", "sales.04": "MP2", "sales.05": "MP3",
           "purchase.03": "IP1", "purchase.04": "IP2", "purchase.05": "IP3",
           "import.03": "IMP1", "import.04": "IMP2", "import.05": "IMP3"},
    "FI": {"outside_sales": "EV", "exempt_sales": "VV", "export": "VI", "no_vat": "OV",
           "import_zero": "TUV", "sales.03": "MY1", "sales.04": "MY2", "sales.05": "MY3",
           "purchase.03": "OS1", "purchase.04": "OS2", "purchase.05": "OS3",
           "import.03": "TU1", "import.04": "TU2", "import.05": "TU3"},
    "DK": {"outside_sales": "SU", "exempt_sales": "SF", "export": "SEX", "no_vat": "KF",
           "import_zero": "KIF", "sales.03": "S25", "purchase.03": "K25",
           "import.03": "KIMP"},
}

_ZONES = ("01", "02", "11", "12")


def _vat_role(zone: str, category: str) -> str:
    """Which kind of VAT applies where a partner's zone meets an item's category."""
    zero = category in ("01", "02")
    if zone == "01":
        return "outside_sales" if category == "01" else (
            "exempt_sales" if category == "02" else f"sales.{category}")
    if zone == "02":
        return "outside_sales" if category == "01" else "export"
    if zone == "11":
        return "no_vat" if zero else f"purchase.{category}"
    return "import_zero" if zero else f"import.{category}"


# --------------------------------------------------------------------------- accounts

# Where past years' results and the opening balance of the ledger go.
_EQUITY = {"NO": "2050", "SE": "2091", "FI": "2250", "DK": "6500"}
# The fixed-asset register's accounts: the assets, their accumulated depreciation, and
# the depreciation expense.
_FIXED_ASSET_ACCOUNTS = {
    "NO": {"fixed_assets": "1250", "accumulated_depreciation": "1259",
           "depreciation": "6010"},
    "SE": {"fixed_assets": "1220", "accumulated_depreciation": "1229",
           "depreciation": "7832"},
    "FI": {"fixed_assets": "1160", "accumulated_depreciation": "1169",
           "depreciation": "6800"},
    "DK": {"fixed_assets": "5200", "accumulated_depreciation": "5210",
           "depreciation": "4100"},
}

_ACCOUNT_TYPES = {"equity": "Liability", "bank": "Asset", "stock": "Asset", "receivables": "Asset",
                  "fixed_assets": "Asset", "accumulated_depreciation": "Asset",
                  "input_vat": "Asset", "output_vat": "Liability", "payables": "Liability",
                  "sales_rated": "Income", "sales_exempt": "Income", "sales_export": "Income",
                  "fees_income": "Income"}  # everything else is an Expense

# key -> account number per country (Norwegian NS 4102, Swedish BAS, and simple Finnish
# and Danish charts in the same spirit)
_CHARTS: dict[str, dict[str, str]] = {
    "NO": {"bank": "1920", "stock": "1460", "receivables": "1500", "input_vat": "2710",
           "output_vat": "2700", "payables": "2400", "sales_rated": "3000",
           "sales_exempt": "3100", "sales_export": "3200", "fees_income": "3900",
           "goods": "4300", "freight": "6100", "rent": "6300", "utilities": "6340",
           "office": "6800", "it": "6420", "telecom": "6900", "consulting": "6790",
           "travel": "7140", "insurance": "7500", "wages": "5000"},
    "SE": {"bank": "1930", "stock": "1460", "receivables": "1510", "input_vat": "2640",
           "output_vat": "2610", "payables": "2440", "sales_rated": "3001",
           "sales_exempt": "3004", "sales_export": "3105", "fees_income": "3590",
           "goods": "4010", "freight": "5710", "rent": "5010", "utilities": "5020",
           "office": "6110", "it": "5420", "telecom": "6212", "consulting": "6550",
           "travel": "5800", "insurance": "6310", "wages": "7010"},
    "FI": {"bank": "1910", "stock": "1500", "receivables": "1700", "input_vat": "1763",
           "output_vat": "2939", "payables": "2870", "sales_rated": "3000",
           "sales_exempt": "3010", "sales_export": "3050", "fees_income": "3900",
           "goods": "4000", "freight": "4500", "rent": "7000", "utilities": "7010",
           "office": "7600", "it": "7700", "telecom": "7750", "consulting": "7800",
           "travel": "7400", "insurance": "7900", "wages": "5000"},
    "DK": {"bank": "5820", "stock": "5500", "receivables": "5600", "input_vat": "7010",
           "output_vat": "7000", "payables": "6800", "sales_rated": "1010",
           "sales_exempt": "1020", "sales_export": "1030", "fees_income": "1090",
           "goods": "1310", "freight": "1330", "rent": "3410", "utilities": "3420",
           "office": "3610", "it": "3620", "telecom": "3630", "consulting": "3650",
           "travel": "2750", "insurance": "3640", "wages": "2210"},
}

_T.update({
    "acct.equity": ("Annen egenkapital", "Balanserad vinst eller förlust",
                    "Edellisten tilikausien voitto", "Overført resultat"),
    "acct.bank": ("Bankinnskudd", "Företagskonto", "Pankkitili", "Bank"),
    "acct.stock": ("Varelager", "Lager av handelsvaror", "Varasto", "Varelager"),
    "acct.receivables": ("Kundefordringer", "Kundfordringar", "Myyntisaamiset", "Debitorer"),
    "acct.input_vat": ("Inngående merverdiavgift", "Ingående moms",
                       "Arvonlisäverosaamiset", "Købsmoms"),
    "acct.output_vat": ("Utgående merverdiavgift", "Utgående moms", "Arvonlisäverovelka",
                        "Salgsmoms"),
    "acct.payables": ("Leverandørgjeld", "Leverantörsskulder", "Ostovelat", "Kreditorer"),
    "acct.sales_rated": ("Salgsinntekt, avgiftspliktig", "Försäljning, momspliktig",
                         "Myynti, arvonlisäverollinen", "Salg af varer og ydelser m/moms"),
    "acct.sales_exempt": ("Salgsinntekt, avgiftsfri", "Försäljning, momsfri",
                          "Myynti, veroton", "Salg af varer og ydelser u/moms"),
    "acct.sales_export": ("Salgsinntekt utenfor avgiftsområdet", "Försäljning till utlandet",
                          "Vientimyynti", "Salg til udlandet"),
    "acct.fees_income": ("Gebyrer og andre inntekter", "Fakturerade avgifter",
                         "Laskutetut maksut", "Gebyrer"),
    "acct.goods": ("Innkjøp av varer for videresalg", "Inköp av varor", "Ostot", "Varekøb"),
    "acct.freight": ("Frakt og transportkostnader", "Frakter och transporter",
                     "Rahdit ja kuljetukset", "Fragt"),
    "acct.rent": ("Leie lokaler", "Lokalhyra", "Vuokrat", "Husleje"),
    "acct.utilities": ("Lys og varme", "El och värme", "Sähkö ja lämpö", "El og varme"),
    "acct.office": ("Kontorrekvisita", "Kontorsmaterial", "Toimistotarvikkeet",
                    "Kontorartikler"),
    "acct.it": ("Programvare og lisenser", "Programvaror och licenser",
                "Ohjelmistot ja lisenssit", "Software og licenser"),
    "acct.telecom": ("Telefon og internett", "Telefon och internet", "Puhelin ja internet",
                     "Telefon og internet"),
    "acct.consulting": ("Fremmede tjenester", "Konsultarvoden", "Ostetut palvelut",
                        "Konsulentydelser"),
    "acct.travel": ("Reisekostnader", "Resekostnader", "Matkakulut", "Rejseudgifter"),
    "acct.insurance": ("Forsikringspremie", "Företagsförsäkringar", "Vakuutukset",
                       "Forsikringer"),
    "acct.wages": ("Lønn til ansatte", "Löner", "Palkat", "Lønninger"),
    "acct.fixed_assets": ("Inventar og maskiner", "Inventarier och verktyg",
                          "Koneet ja kalusto", "Driftsmidler og inventar"),
    "acct.accumulated_depreciation": (
        "Akkumulerte avskrivninger", "Ackumulerade avskrivningar på inventarier",
        "Kertyneet poistot", "Akkumulerede afskrivninger"),
    "acct.depreciation": ("Avskrivning på driftsmidler", "Avskrivningar på inventarier",
                          "Suunnitelman mukaiset poistot", "Afskrivninger"),
})


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class _ItemClass:
    """A family of items: how they are numbered, typed, taxed and priced (in NOK)."""

    id: str
    prefix: str
    type: str
    stock: bool
    category: str
    price: tuple[int, int]
    unit: str  # key of _UNITS
    nouns: tuple[tuple[str, ...], ...]  # per language
    variants: tuple[str, ...]
    description: tuple[str, str, str, str]


def _words(*rows: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w.strip() for w in row.split(",")) for row in rows)


_ITEM_CLASSES = (
    _ItemClass("10", "A", "FinishedGoodItem", True, "03", (149, 1499), "piece", _words(
        "T-skjorte, Genser, Softshelljakke, Regnjakke, Arbeidsbukse, Lue, Skjerf, Hansker, "
        "Ullsokker, Fleecejakke",
        "T-shirt, Tröja, Softshelljacka, Regnjacka, Arbetsbyxa, Mössa, Halsduk, Handskar, "
        "Ullstrumpor, Fleecejacka",
        "T-paita, Neule, Softshell-takki, Sadetakki, Työhousut, Pipo, Kaulahuivi, Käsineet, "
        "Villasukat, Fleecetakki",
        "T-shirt, Sweater, Softshelljakke, Regnjakke, Arbejdsbukser, Hue, Halstørklæde, "
        "Handsker, Uldsokker, Fleecejakke"),
        (), ("Klær", "Kläder", "Vaatteet", "Tøj")),
    _ItemClass("20", "B", "FinishedGoodItem", True, "03", (49, 4999), "box", _words(
        "Terrasseskruer, Konstruksjonsvirke, Gipsplate, Isolasjonsplate, Utendørsmaling, "
        "Monteringslim, Fugemasse, Vinkelbeslag, Spiker, Sparkel",
        "Trallskruv, Konstruktionsvirke, Gipsskiva, Isoleringsskiva, Fasadfärg, "
        "Monteringslim, Fogmassa, Vinkelbeslag, Spik, Spackel",
        "Terassiruuvi, Rakennepuu, Kipsilevy, Eristelevy, Ulkomaali, Asennusliima, "
        "Saumausmassa, Kulmarauta, Naula, Tasoite",
        "Terrasseskruer, Konstruktionstræ, Gipsplade, Isoleringsplade, Udendørsmaling, "
        "Montagelim, Fugemasse, Vinkelbeslag, Søm, Spartelmasse"),
        ("Basic", "Pro", "Eco", "Plus", "Premium", "XL"),
        ("Byggevarer", "Byggvaror", "Rakennustarvikkeet", "Byggematerialer")),
    _ItemClass("30", "E", "FinishedGoodItem", True, "03", (299, 19999), "piece", _words(
        "Bærbar PC, Skjerm, Tastatur, Mus, Hodetelefoner, Dokkingstasjon, Nettbrett, "
        "Skriver, Høyttaler, Webkamera",
        "Bärbar dator, Bildskärm, Tangentbord, Mus, Hörlurar, Dockningsstation, Surfplatta, "
        "Skrivare, Högtalare, Webbkamera",
        "Kannettava tietokone, Näyttö, Näppäimistö, Hiiri, Kuulokkeet, Telakointiasema, "
        "Tabletti, Tulostin, Kaiutin, Verkkokamera",
        "Bærbar computer, Skærm, Tastatur, Mus, Høretelefoner, Dockingstation, Tablet, "
        "Printer, Højttaler, Webkamera"),
        ("X100", "X200", "S10", "Pro 14", "Pro 16", "Mini"),
        ("Elektronikk", "Elektronik", "Elektroniikka", "Elektronik")),
    _ItemClass("40", "F", "FinishedGoodItem", True, "04", (19, 399), "kg", _words(
        "Kaffe, Te, Sjokolade, Knekkebrød, Havregryn, Honning, Syltetøy, Tørrfisk, Brunost, "
        "Müsli",
        "Kaffe, Te, Choklad, Knäckebröd, Havregryn, Honung, Sylt, Lingonsylt, Hårdost, "
        "Müsli",
        "Kahvi, Tee, Suklaa, Näkkileipä, Kaurahiutaleet, Hunaja, Hillo, Ruisleipä, Juusto, "
        "Mysli",
        "Kaffe, Te, Chokolade, Knækbrød, Havregryn, Honning, Marmelade, Rugbrød, Ost, "
        "Müsli"),
        ("250 g", "500 g", "1 kg", "6-pk", "12-pk"),
        ("Næringsmidler", "Livsmedel", "Elintarvikkeet", "Fødevarer")),
    # Books: zero-rated (exempt) in Norway, reduced rate in Sweden and Finland, standard
    # in Denmark -- _Company._category maps the class category per country.
    _ItemClass("50", "M", "FinishedGoodItem", True, "05", (99, 699), "piece", _words(
        "Kokebok, Reisehåndbok, Fagbok regnskap, Roman, Barnebok, Atlas",
        "Kokbok, Reseguide, Fackbok redovisning, Roman, Barnbok, Atlas",
        "Keittokirja, Matkaopas, Kirjanpidon oppikirja, Romaani, Lastenkirja, Kartasto",
        "Kogebog, Rejseguide, Fagbog regnskab, Roman, Børnebog, Atlas"),
        ("2024", "2025", "2026"), ("Bøker", "Böcker", "Kirjat", "Bøger")),
    _ItemClass("60", "S", "ServiceItem", False, "03", (650, 1650), "hour", _words(
        "Konsulenttime, Installasjon, Serviceavtale, Opplæring, Prosjektledelse, Support, "
        "Montering, Rådgivning",
        "Konsulttimme, Installation, Serviceavtal, Utbildning, Projektledning, Support, "
        "Montering, Rådgivning",
        "Konsultointitunti, Asennus, Huoltosopimus, Koulutus, Projektinhallinta, Tuki, "
        "Asennustyö, Neuvonta",
        "Konsulenttime, Installation, Serviceaftale, Undervisning, Projektledelse, Support, "
        "Montering, Rådgivning"),
        ("", "Senior", "Junior"), ("Tjenester", "Tjänster", "Palvelut", "Ydelser")),
    # Fees: the reminder fee is outside the VAT act; freight, invoice fee and packaging
    # follow the goods they go with (standard rate).
    _ItemClass("70", "G", "ChargeItem", False, "03", (35, 95), "piece", _words(
        "Purregebyr, Fraktgebyr, Fakturagebyr, Emballasje",
        "Påminnelseavgift, Fraktavgift, Fakturaavgift, Emballage",
        "Muistutusmaksu, Rahtimaksu, Laskutuslisä, Pakkaus",
        "Rykkergebyr, Fragtgebyr, Fakturagebyr, Emballage"),
        ("",), ("Gebyrer", "Avgifter", "Maksut", "Gebyrer")),
)

# key -> unit code per language, (base unit, factor to the base unit)
_UNITS: dict[str, tuple[tuple[str, str, str, str], float]] = {
    "piece": (("STK", "ST", "KPL", "STK"), 1.0),
    "kg": (("KG", "KG", "KG", "KG"), 1.0),
    "litre": (("L", "L", "L", "L"), 1.0),
    "hour": (("TIME", "TIM", "H", "TIME"), 1.0),
    "pallet": (("PALL", "PALL", "LAVA", "PALLE"), 48.0),
    "box": (("ESKE", "KRT", "LTK", "KRT"), 12.0),
    "metre": (("M", "M", "M", "M"), 1.0),
}


# --------------------------------------------------------------------------- suppliers
#
# What a supplier sells us decides its invoices: goods suppliers deliver against purchase
# orders; the others bill expenses, some every month (rent, power, licences, telecom),
# some once a year (insurance), the rest whenever work is done.

_KINDS = ("goods", "consulting", "freight", "office", "travel", "it", "rent", "utilities",
          "telecom", "insurance")
_KIND_WEIGHTS = (46, 16, 10, 9, 7, 4, 2, 2, 2, 2)
_RECURRING = {"rent": 1, "utilities": 1, "it": 1, "telecom": 1, "insurance": 12}
_KIND_CATEGORY = {"rent": "02", "insurance": "02", "travel": "05"}  # others standard
# price range of one expense invoice line (NOK, before VAT)
_KIND_AMOUNT = {"consulting": (4_000, 180_000), "freight": (400, 25_000),
                "office": (250, 9_000), "travel": (900, 28_000), "it": (1_500, 60_000),
                "rent": (18_000, 220_000), "utilities": (2_500, 45_000),
                "telecom": (800, 15_000), "insurance": (12_000, 240_000),
                "goods": (1_000, 80_000)}

_T.update({
    "sup.goods": ("Varekjøp", "Varuinköp", "Tavaraostot", "Varekøb"),
    "sup.consulting": ("Konsulentbistand", "Konsulttjänster", "Konsultointipalvelut",
                       "Konsulentbistand"),
    "sup.freight": ("Frakt og transport", "Frakt och transport", "Rahti ja kuljetus",
                    "Fragt og transport"),
    "sup.office": ("Kontorrekvisita", "Kontorsmaterial", "Toimistotarvikkeet",
                   "Kontorartikler"),
    "sup.travel": ("Reise og overnatting", "Resor och logi", "Matkat ja majoitus",
                   "Rejser og ophold"),
    "sup.it": ("Programvarelisenser {}", "Programlicenser {}", "Ohjelmistolisenssit {}",
               "Softwarelicenser {}"),
    "sup.rent": ("Husleie {}", "Hyra {}", "Vuokra {}", "Husleje {}"),
    "sup.utilities": ("Strøm {}", "El {}", "Sähkö {}", "El {}"),
    "sup.telecom": ("Mobil og bredbånd {}", "Mobil och bredband {}",
                    "Mobiili ja laajakaista {}", "Mobil og bredbånd {}"),
    "sup.insurance": ("Forsikringspremie {}", "Försäkringspremie {}", "Vakuutusmaksu {}",
                      "Forsikringspræmie {}"),
    "trade.consulting": ("Rådgivning", "Konsult", "Konsultointi", "Rådgivning"),
    "trade.freight": ("Transport", "Transport", "Kuljetus", "Transport"),
    "trade.office": ("Kontor", "Kontor", "Toimisto", "Kontor"),
    "trade.travel": ("Reiser", "Resor", "Matkat", "Rejser"),
    "trade.it": ("Data", "Data", "Data", "Data"),
    "trade.rent": ("Eiendom", "Fastigheter", "Kiinteistöt", "Ejendomme"),
    "trade.utilities": ("Energi", "Energi", "Energia", "Energi"),
    "trade.telecom": ("Telekom", "Telekom", "Tele", "Telekom"),
    "trade.insurance": ("Forsikring", "Försäkring", "Vakuutus", "Forsikring"),
    "taxagency": ("Skatteetaten", "Skatteverket", "Verohallinto", "Skattestyrelsen"),
})

_PROJECT_NAMES = {
    "no": ("Nytt lager {}", "Ombygging butikk {}", "Utrulling kassasystem {}",
           "Messestand {}", "Rammeavtale {}", "Kontorflytting {}"),
    "sv": ("Nytt lager {}", "Ombyggnad butik {}", "Utrullning kassasystem {}",
           "Mässmonter {}", "Ramavtal {}", "Kontorsflytt {}"),
    "fi": ("Uusi varasto {}", "Myymälän uudistus {}", "Kassajärjestelmän käyttöönotto {}",
           "Messuosasto {}", "Puitesopimus {}", "Toimistomuutto {}"),
    "da": ("Nyt lager {}", "Ombygning butik {}", "Udrulning kassesystem {}",
           "Messestand {}", "Rammeaftale {}", "Kontorflytning {}"),
}


# --------------------------------------------------------------------------- companies


def _company(company_id: int, name: str, country: str, currency: str, role: str,
             tenant: str | None = None) -> DemoCompany:
    return DemoCompany(company_id, name, _guid("tenant", tenant or name), country, currency,
                       _org_number(_rng("organization", name), country), role)


COMPANIES: tuple[DemoCompany, ...] = (
    _company(2310401, "Nordlys Handel AS", "NO", "NOK", "article examples (08, 14, 17, 20)"),
    _company(3480712, "Skagerrak Trading AB", "SE", "SEK",
             "large data set for paging and finance analysis"),
    _company(4127803, "Kaleva Oy", "FI", "EUR",
             "two companies in one tenant: ipp-company-id needed", tenant="Kaleva"),
    _company(4127804, "Kaleva Palvelut Oy", "FI", "EUR",
             "second company of the Kaleva tenant", tenant="Kaleva"),
    _company(5206915, "Limfjord Design ApS", "DK", "DKK", "small Danish company"),
)

_ALL_TENANTS = tuple(dict.fromkeys(c.tenant_id for c in COMPANIES))

#: Build groups (see ``vnkit.sandbox._store.company_groups``). The four small companies,
#: all the first notebooks use, are generated before a sandbox answers (a few
#: seconds); the large one, nine tenths of the records, when a request first names it.
#: A user who never opens it never waits for it, and the cache stays small.
GROUPS: tuple[tuple[int, ...], ...] = (
    tuple(c.company_id for c in COMPANIES if c.company_id != 3480712), (3480712,))

CLIENTS: tuple[DemoClient, ...] = (
    # The demo service client: a production-type client approved in every tenant.
    DemoClient("isv_vnkit_demo", "vnkit-demo-secret", "production", _ALL_TENANTS),
    # A test-type client (smaller hourly budget), for the throttling notebook.
    DemoClient("isv_vnkit_demo_test", "vnkit-demo-test-secret", "test", _ALL_TENANTS),
)


@dataclass(frozen=True)
class _Plan:
    """How much of what one company holds, and the period its documents cover."""

    company: DemoCompany
    customers: int
    suppliers: int
    items: int
    invoices: int
    debit_notes: int
    credit_notes: int
    supplier_invoices: int  # expense invoices plus one per received purchase order
    purchase_orders: int
    projects: int
    first_day: int  # first document date
    as_of: int  # "today" of the company: nothing happens after it
    partners_since: int  # earliest creation of a customer or supplier
    item_mix: tuple[int, ...]  # weights of item classes 10..50 (60/70 are fixed lists)
    services: int  # service items (class 60)
    branches: tuple[str, ...]  # cities (from the locale) of the branches, main first
    warehouses: int
    money: float  # price level relative to NOK
    pay_run_days: int  # supplier payment runs every n days (on Thursdays)
    ar_start: int = 1
    ap_start: int = 1
    po_start: int = 1
    po_width: int = 6
    article: bool = False
    # First day the general ledger shows document by document (an opening balance
    # carries what came before); None: from the first document on.
    books_from: int | None = None

    @property
    def locale(self) -> _Locale:
        return _LOCALES[self.company.country]


_PLANS: dict[int, _Plan] = {p.company.company_id: p for p in (
    _Plan(COMPANIES[0], customers=350, suppliers=60, items=80, invoices=1200,
          debit_notes=60, credit_notes=60, supplier_invoices=400, purchase_orders=120,
          projects=5, first_day=_o(2018, 1, 2), as_of=_o(2020, 3, 10),
          partners_since=_o(2016, 9, 1), item_mix=(30, 25, 20, 15, 10), services=6,
          branches=("OSLO", "BERGEN"), warehouses=3, money=1.0, pay_run_days=28,
          po_start=25601, po_width=5, article=True),
    _Plan(COMPANIES[1], customers=20_000, suppliers=2_000, items=1_500, invoices=50_000,
          debit_notes=250, credit_notes=600, supplier_invoices=12_000,
          purchase_orders=3_000, projects=40, first_day=_o(2023, 1, 2),
          as_of=_o(2026, 11, 13), partners_since=_o(2012, 1, 2),
          item_mix=(30, 22, 22, 18, 8), services=16,
          branches=("GÖTEBORG", "STOCKHOLM", "MALMÖ"), warehouses=3, money=1.0,
          pay_run_days=14, ar_start=100_001, books_from=_o(2026, 1, 1)),
    _Plan(COMPANIES[2], customers=80, suppliers=30, items=60, invoices=200, debit_notes=5,
          credit_notes=8, supplier_invoices=120, purchase_orders=25, projects=3,
          first_day=_o(2025, 1, 2), as_of=_o(2026, 11, 13), partners_since=_o(2018, 3, 1),
          item_mix=(10, 40, 30, 10, 10), services=6, branches=("HELSINKI",),
          warehouses=2, money=0.09, pay_run_days=14),
    _Plan(COMPANIES[3], customers=80, suppliers=30, items=30, invoices=200, debit_notes=4,
          credit_notes=6, supplier_invoices=100, purchase_orders=14, projects=4,
          first_day=_o(2025, 1, 2), as_of=_o(2026, 11, 13), partners_since=_o(2019, 5, 1),
          item_mix=(0, 20, 60, 0, 20), services=14, branches=("TAMPERE",), warehouses=1,
          money=0.09, pay_run_days=14),
    _Plan(COMPANIES[4], customers=60, suppliers=25, items=50, invoices=150, debit_notes=4,
          credit_notes=6, supplier_invoices=90, purchase_orders=15, projects=2,
          first_day=_o(2025, 1, 2), as_of=_o(2026, 11, 13), partners_since=_o(2017, 8, 1),
          item_mix=(45, 15, 20, 10, 10), services=6, branches=("Aalborg",), warehouses=2,
          money=0.65, pay_run_days=14),
)}


# --------------------------------------------------------------------------- builder


class _Partner:
    """What documents need to know about a customer or supplier (kept after it is yielded)."""

    __slots__ = ("index", "number", "name", "ref", "status", "cls", "zone", "zone_ref",
                 "terms_days", "terms_ref", "start", "end", "weight", "profile", "kind",
                 "address", "contact", "invoice_address", "invoice_contact", "location",
                 "internal_id", "country", "items", "einvoice")

    # declared for the type checker only: an annotation without a value makes no class
    # attribute, so it does not clash with ``__slots__``
    index: int
    number: str
    name: str
    ref: dict
    status: str
    cls: str
    zone: str
    zone_ref: dict
    terms_days: int
    terms_ref: dict
    start: int  # day ordinal
    end: int  # day ordinal
    weight: float
    profile: str | None  # customers only: how they pay; None for suppliers
    kind: str | None  # suppliers only: what they sell; None for the tax agency
    address: dict
    contact: dict
    invoice_address: dict
    invoice_contact: dict
    location: dict
    internal_id: int
    country: str
    items: list[_Item] | None  # suppliers only: what they can deliver, once chosen
    einvoice: bool


class _Item:
    """What document lines need to know about an inventory item."""

    __slots__ = ("number", "description", "type", "category", "price", "cost", "sales_unit",
                 "purchase_unit", "cls", "area", "stock", "sells", "buys", "ref", "weight")

    # declared for the type checker only (see _Partner)
    number: str
    description: str
    type: str
    category: str
    price: int  # cents
    cost: int  # cents
    sales_unit: str
    purchase_unit: str
    cls: str
    area: str
    stock: bool
    sells: bool
    buys: bool
    ref: dict
    weight: float


_ARTICLE_QUIET_UNTIL = _o(2020, 2, 28)  # article 08: all but ten customers before March 2020
_AMOUNT_EXPONENT = 2.2  # skew of random amounts towards the low end of a range
_SKEW = (0.7, 1000.0)  # supplier weights: a few big suppliers get most invoices


class _Company:
    """Builds every record of one company. ``records()`` yields ``(entity, record)``.

    Random streams are per topic (``self.rng("customer")`` ...), so the records of one
    entity do not change when another entity's generation changes.
    """

    def __init__(self, plan: _Plan, seed: int) -> None:
        self.p = plan
        self.loc = plan.locale
        self.lang = self.loc.lang
        self.li = _LANGS.index(self.lang)
        self.seed = seed
        self.cid = plan.company.company_id
        self.country = plan.company.country
        self.base = plan.company.currency
        self._ids = {"address": 0, "contact": 0, "baccount": 100}
        self.countries = {c: {"id": c, "name": self.t(f"country.{c}")} for c in _LOCALES}
        self._counties: dict[tuple[str, str], dict] = {}
        self.setup_day = plan.partners_since - 120
        # Supplier numbers are decided up front because VAT ids name the tax agency (a
        # supplier). Article 20 creates supplier 50002, so that number stays free.
        numbers = [50_000 + i for i in range(plan.suppliers + (1 if plan.article else 0))]
        if plan.article:
            numbers.remove(50_002)
        self.supplier_numbers = [str(n) for n in numbers]
        self.tax_agency = {"number": self.supplier_numbers[1], "name": self.t("taxagency")}

    # -- small helpers ---------------------------------------------------------------

    def rng(self, topic: str) -> random.Random:
        return _rng(self.seed, self.cid, topic)

    def t(self, key: str) -> str:
        return _T[key][self.li]

    def _next(self, what: str) -> int:
        self._ids[what] += 1
        return self._ids[what]

    def _stamp_between(self, rng: random.Random, first: int, last: int) -> tuple[int, int]:
        """A (day, ms) moment on a working day between two days (inclusive)."""
        day = _workday(first + rng.randrange(max(1, last - first + 1)))
        return max(day, first), _office_ms(rng)

    def address(self, rng: random.Random, loc: _Locale, city: tuple | None = None) -> dict:
        pc, name, county_id, county_name = city or rng.choice(loc.cities)
        county = self._counties.get((county_id, county_name))
        if county is None:
            county = self._counties[(county_id, county_name)] = {"id": county_id,
                                                                  "name": county_name}
        return {"addressId": self._next("address"),
                "addressLine1": f"{rng.choice(loc.streets)} {rng.randrange(1, 140)}",
                "addressLine2": None, "addressLine3": None,
                "postalCode": pc[:-1] + str(rng.randrange(10)), "city": name,
                "country": self.countries[loc.country], "county": county}

    def phone(self, rng: random.Random, country: str) -> str:
        d = "".join(str(rng.randrange(10)) for _ in range(8))
        if country == "NO":
            return f"+47 {rng.choice('2345679')}{d[0]} {d[1:3]} {d[3:5]} {d[5:7]}"
        if country == "SE":
            area = rng.choice(("8", "31", "40", "18", "13", "90"))
            return f"+46 {area} {d[:3]} {d[3:5]} {d[5:7]}"
        if country == "FI":
            return f"+358 {rng.choice(('9', '2', '3', '40', '50', '44'))} {d[:3]} {d[3:7]}"
        return f"+45 {d[:2]} {d[2:4]} {d[4:6]} {d[6:8]}"

    def contact(self, rng: random.Random, loc: _Locale, name: str, person: str | None,
                email: str | None, web: str | None) -> dict:
        return {"contactId": self._next("contact"), "name": name, "attention": person,
                "email": email, "web": web, "phone1": self.phone(rng, loc.country),
                "phone2": None, "fax": None}

    def company_name(self, rng: random.Random, loc: _Locale, taken: set[str],
                     trade: str | None = None) -> str:
        """A fictitious company name in the style of ``loc``, not yet in ``taken``."""
        legal_names = [n for n, _ in loc.legal]
        legal_weights = [w for _, w in loc.legal]
        for attempt in range(60):
            tr = trade or rng.choice(loc.trades)
            legal = rng.choices(legal_names, legal_weights)[0]
            prefix = rng.choice(loc.prefixes)
            joined = prefix + tr.lower() if tr[1:].islower() else f"{prefix} {tr}"
            style = rng.random()
            if style < 0.35:
                name = f"{joined} {legal}"
            elif style < 0.6:
                name = f"{rng.choice(loc.last)} {tr} {legal}"
            elif style < 0.7:
                name = f"{rng.choice(loc.last)} & {rng.choice(loc.last)} {legal}"
            else:
                name = f"{joined} {rng.choice(loc.cities)[1].title()} {legal}"
            if attempt > 30:  # a crowded name space: add a second word as firms do
                extra = rng.choice(("Nordic", "Partner", "Group", "Service", "Invest"))
                name = f"{joined} {extra} {rng.choice(loc.cities)[1].title()} {legal}"
            if name not in taken:
                taken.add(name)
                return name
        raise RuntimeError("name space exhausted")  # pragma: no cover - 60 tries suffice

    def rate_bp(self, vat: tuple, day: int) -> int:
        """VAT rate in basis points (25.5 % -> 2550) valid on ``day``."""
        rate = 0
        for start, bp in vat[2]:
            if start <= day:
                rate = bp
        return rate

    # -- the whole company -------------------------------------------------------------

    def records(self) -> Iterator[tuple[str, dict]]:
        yield from self._reference()
        yield from self._attributes()
        yield from self._customers()
        self._plan_projects()
        yield from self._suppliers()
        yield from self._inventory()
        yield from self._purchasing()
        yield from self._receivables()
        yield from self._projects()

    # -- reference data ------------------------------------------------------------------

    def _reference(self) -> Iterator[tuple[str, dict]]:
        p, rng, t = self.p, self.rng("reference"), self.t
        day0 = self.setup_day

        def stamp() -> str:
            return _stamp(*self._stamp_between(rng, day0, day0 + 30))

        # currency
        symbols = {"DKK": "kr", "EUR": "€", "GBP": "£", "NOK": "kr", "SEK": "kr", "USD": "$"}
        for cur, symbol in symbols.items():
            record = {"id": cur, "description": t(f"cur.{cur}"), "symbol": symbol,
                      "isBaseCurrency": cur == self.base, "decimalPrecision": 2,
                      "isUsedForAccounting": cur == self.base}
            if cur == self.base:
                self.currency = record
            yield "currency", record

        # accounts first: branches and VAT ids point at them
        chart = sorted(_CHARTS[self.country].items(), key=lambda kv: kv[1])
        # The equity account came with the general ledger (data version 2), the
        # fixed-asset accounts with the asset register: they are numbered after the
        # others so that the earlier accounts' internal ids stay what they were.
        ids = {key: 1000 + i for i, (key, _) in enumerate(chart)}
        later = [("equity", _EQUITY[self.country]),
                 *_FIXED_ASSET_ACCOUNTS[self.country].items()]
        for key, _ in later:
            ids[key] = 1000 + len(ids)
        chart = sorted([*chart, *later], key=lambda kv: kv[1])
        self.acct: dict[str, dict] = {}
        accounts = []
        for key, cd in chart:
            i = ids[key] - 1000
            kind = _ACCOUNT_TYPES.get(key, "Expense")
            desc = t(f"acct.{key}")
            self.acct[key] = {"type": kind, "number": cd, "description": desc,
                              "externalCode1": None, "externalCode2": None}
            accounts.append({
                "accountID": 1000 + i, "accountCD": cd, "accountGroupCD": None,
                "accountClass": None, "type": kind, "active": True, "description": desc,
                "useDefaultSub": False, "postOption": "Summary", "currency": None,
                "taxCategory": None, "cashAccount": key == "bank",
                "publicCode1": cd if self.country == "NO" else None,
                "externalCode1": None, "externalCode2": None, "analysisCode": None,
                "lastModifiedDateTime": stamp()})

        # branch
        cities = {c[1]: c for c in self.loc.cities}
        company = p.company
        self.branches = []
        self.vat_number = _vat_number(self.country, company.organization_number)
        for i, city in enumerate(p.branches):
            name = company.name if i == 0 else f"{company.name} {t('branch')} {city.title()}"
            address = self.address(rng, self.loc, cities[city])
            web = f"www.{_slug(company.name.rsplit(' ', 1)[0])}.{self.loc.tld}"
            contact = self.contact(rng, self.loc, name, None,
                                   f"{self.loc.mailbox[0]}@{web[4:]}", web)
            self.branches.append({"number": str(i + 1), "name": name})
            yield "branch", {
                "number": str(i + 1), "name": name, "organizationId": i + 1,
                "isMainBranch": i == 0, "mainAddress": address, "mainContact": contact,
                "deliveryAddress": address, "deliveryContact": contact,
                "corporateId": company.organization_number,
                "vatRegistrationId": self.vat_number,
                "defaultCountry": self.countries[self.country], "industryCode": None,
                "currency": {"id": self.base, "description": t(f"cur.{self.base}")},
                "vatZone": None, "lastModifiedDateTime": stamp(), "ledger": None,
                "bankSettings": None}
        self.branch = self.branches[0]
        yield from (("account", a) for a in accounts)

        # subaccounts: department (2 characters) - product area (3 characters)
        self.sub: dict[tuple[str, str], dict] = {}
        n = 0
        for dept in ("00", "10", "20", "30", "40"):
            for area in ("000", "100", "200", "300"):
                n += 1
                dd, ad = t(f"dept.{dept}"), t(f"area.{area}")
                ref = {"subaccountNumber": f"{dept}-{area}", "subaccountId": n,
                       "description": f"{dd} / {ad}", "lastModifiedDateTime": stamp(),
                       "active": True, "segments": [
                           {"segmentId": 1, "segmentDescription": t("seg.1"),
                            "segmentValue": dept, "segmentValueDescription": dd},
                           {"segmentId": 2, "segmentDescription": t("seg.2"),
                            "segmentValue": area, "segmentValueDescription": ad}]}
                self.sub[(dept, area)] = ref
                yield "subaccount", {**ref, "errorInfo": None}

        yield from self._vat(stamp)

        # credit terms: net days
        self.terms: dict[int, dict] = {}
        for days in (10, 14, 20, 30, 45, 60):
            desc = t("terms").format(days)
            self.terms[days] = {"id": str(days), "description": desc}
            changed = stamp()
            yield "creditTerm", {
                "termsId": str(days), "description": desc, "visibleTo": "AL", "dueDateType": "N",
                "moveDueDateIfOnTheWeekend": "1", "dueDay1": days, "discountType": "N",
                "discountDay": 0, "discountPercent": 0.0, "delayDays": 0,
                "calculationType": "G", "instalmentType": "S", "numberOfInstalments": 1,
                "createdDateTime": changed, "lastModifiedDateTime": changed}

        # units of measure, converted to the piece
        self.unit = {key: codes[self.li] for key, (codes, _) in _UNITS.items()}
        piece = self.unit["piece"]
        for key, (codes, factor) in sorted(_UNITS.items(), key=lambda kv: kv[1][0][self.li]):
            yield "unitofmeasure", {
                "unit": codes[self.li], "description": t(f"uom.{key}"),
                "fromUnit": codes[self.li], "toUnit": piece, "unitMultDiv": "Multiply",
                "unitRate": factor, "supplementaryMeasureUnit": None}

        # warehouses (article 20 receives into warehouse 2)
        self.warehouses = []
        for i in range(1, p.warehouses + 1):
            city = p.branches[min(i - 1, len(p.branches) - 1)]
            desc = f"{t('wh.1' if i == 1 else 'wh.2' if i == 2 else 'wh.3')} {city.title()}"
            self.warehouses.append({"id": str(i), "description": desc})
            locations = [{"locationId": code, "description": t(f"loc.{key}"), "active": True}
                         for code, key in (("R1", "recv"), ("S1", "ship"), ("RMA", "rma"))]
            address = self.address(rng, self.loc, cities[city])
            contact = self.contact(rng, self.loc, desc, None, None, None)
            if i == 1:  # where purchase orders have their goods delivered
                self.wh_address, self.wh_contact = address, contact
            yield "warehouse", {
                "warehouseID": str(i),
                "branch": self.branches[min(i - 1, len(self.branches) - 1)],
                "replenishmentClass": None, "active": True, "lockSitePICountEntry": False,
                "description": desc, "locationEntry": "ValidateAndAddNew",
                "avgDefaultCost": "AverageCost", "fifoDefaultCost": "AverageCost",
                "receiptLocation": {"id": "R1", "description": t("loc.recv")},
                "shipLocation": {"id": "S1", "description": t("loc.ship")},
                "returnLocation": {"id": "RMA", "description": t("loc.rma")},
                "dropShipLocation": None, "contact": contact, "address": address,
                "locations": locations, "lastModifiedDateTime": stamp()}

        self.payment_method = {"id": "BANK", "description": t("bank")}
        self.location = {"id": "MAIN", "name": t("location")}

    def _vat(self, stamp) -> Iterator[tuple[str, dict]]:
        """VAT zones, categories and ids (see the comment above _RATES)."""
        t, country = self.t, self.country
        rates, ids = _RATES[country], _VAT_IDS[country]
        self.categories = ("01", "02", *sorted(rates))
        cat_desc = {c: t(f"cat.{c}") for c in self.categories}
        self.zone_ref = {}
        for z in _ZONES:
            self.zone_ref[z] = {"id": z, "description": t(f"zone.{z}"),
                                "defaultVatCategory": "03",
                                "defaultTaxCategory": {"number": "03",
                                                       "description": cat_desc["03"]}}
            yield "vatZone", {**self.zone_ref[z], "errorInfo": None}

        matrix = {(z, c): _vat_role(z, c) for z in _ZONES for c in self.categories}
        roles: dict[str, tuple[list[str], list[str]]] = {}
        for (z, c), role in matrix.items():
            zones, cats = roles.setdefault(role, ([], []))
            if z not in zones:
                zones.append(z)
            if c not in cats:
                cats.append(c)
        # every role must cover a full rectangle, or two ids would meet on one pair
        for role, (zones, cats) in roles.items():
            assert all(matrix[(z, c)] == role for z in zones for c in cats), role

        def revisions(role: str) -> tuple[tuple[str, float], ...]:
            if "." in role:
                return rates[role.split(".")[1]]
            return (("2000-01-01", 0.0),)

        def description(role: str) -> str:
            head, _, cat = role.partition(".")
            text = t(f"vat.{head}")
            return text.format(t(f"rate.{cat}")) if cat else text

        self.vat_of: dict[tuple[str, str], tuple] = {}
        vat_rows = []
        for role, (zones, cats) in roles.items():
            vat_id = ids[role]
            revs = revisions(role)
            rated = "." in role
            ref = {"id": vat_id, "description": description(role)}
            entry = (vat_id, ref,
                     tuple((date.fromisoformat(s).toordinal(), int(round(r * 100)))
                           for s, r in revs), rated)
            for z in zones:
                for c in cats:
                    self.vat_of[(z, c)] = entry
            vat_rows.append((vat_id, role, zones, cats, revs))

        kind = {"sales": "Vat", "purchase": "Vat", "import": "ReverseVat"}
        xml = {"03": "VatTypeHigh", "04": "VatTypeMedium", "05": "VatTypeLow"}
        for vat_id, role, zones, cats, revs in sorted(vat_rows):
            head, _, cat = role.partition(".")
            yield "vat", {
                "vatCategoryId": cats[0], "vatId": vat_id, "description": description(role),
                "type": kind.get(head, "ExemptVat"), "deductibleVat": False,
                "reverseVat": head == "import", "statisticalVat": False, "pendingVat": False,
                "includeinVatExemptTotal": not cat, "includeinVatTotal": bool(cat),
                "enterFromVatInvoice": False, "calculateOn": "DocumentAmount",
                "cashDiscount": "ToTaxableAmount", "vatAgencyId": self.tax_agency,
                "notValidAfter": None, "euReportCode": None, "documentText": None,
                "defaultNonStockItem": None,
                "vismaXmlVatType": xml.get(cat, "VatTypeExempt"),
                "lastModifiedDateTime": stamp(),
                "glAccounts": {"vatPayableAccount": self.acct["output_vat"],
                               "vatClaimableAccount": self.acct["input_vat"]},
                "schedules": [{"startDate": s + "T00:00:00", "vatRate": r,
                               "minTaxableAmt": 0.0, "maxTaxableAmt": 0.0,
                               "reportingGroup": None, "deductibleVatRate": 0.0,
                               "groupType": None} for s, r in revs],
                "categories": [{"vatCategoryId": c, "description": cat_desc[c],
                                "active": True, "excludeListedTaxes": False} for c in cats],
                "zones": [self.zone_ref[z] for z in zones]}

        for c in self.categories:
            lines = []
            for vat_id, role, _zones, cats, revs in sorted(vat_rows):
                if c in cats:
                    head = role.partition(".")[0]
                    lines.append({
                        "vatId": vat_id, "description": description(role),
                        "type": kind.get(head, "ExemptVat"), "calculateOn": "DocumentAmount",
                        "cashDiscount": "ToTaxableAmount",
                        "vatRates": [{"revisionID": str(k + 1), "vatRate": r,
                                      "startDate": s + "T00:00:00"}
                                     for k, (s, r) in enumerate(revs)]})
            created = stamp()
            yield "vatCategory", {
                "vatCategoryId": c, "description": cat_desc[c], "active": True,
                "excludeListedTaxes": False, "createdDateTime": created,
                "lastModifiedDateTime": created, "vatCategoryLines": lines}
        self.cat_ref = {c: {"id": c, "description": cat_desc[c]} for c in self.categories}

    # -- attributes and classes -----------------------------------------------------------

    def _attributes(self) -> Iterator[tuple[str, dict]]:
        t, rng = self.t, self.rng("attribute")
        combo = {
            "COLOR": [(v, t(f"color.{v}")) for v in
                      ("RED", "BLUE", "GREEN", "BLACK", "WHITE", "GREY")],
            "SIZE": [(v, t(f"size.{v}")) for v in ("S", "M", "L", "XL")],
            "SEGMENT": [(v, t(f"seg.{v}")) for v in ("RETAIL", "WHOLESALE", "PUBLIC")],
        }
        defs = [("COLOR", t("attr.COLOR"), "Combo"), ("SIZE", t("attr.SIZE"), "Combo"),
                ("SEGMENT", t("attr.SEGMENT"), "Combo"),
                ("PREFERRED", t("attr.PREFERRED"), "Checkbox")]
        if self.p.article:
            # Article 14's ids, verbatim, including its placeholder ids. Dates are stored
            # as "YYYY-MM-DD", the form the article filters with.
            values = [(f"ValueID{i}", f"Verdi {i}") for i in (1, 2, 3)]
            combo.update({"AttributeID": values, "AttributeID1": values,
                          "AttributeID2": values})
            defs += [("ACTIVE", "Aktiv i nettbutikk", "Checkbox"),
                     ("AttributeID", "Flervalg (eksempel)", "MultiSelectCombo"),
                     ("AttributeID1", "Eksempelattributt 1", "Combo"),
                     ("AttributeID2", "Eksempelattributt 2", "Combo"),
                     ("DATETEST", "Testdato", "Datetime"), ("DATETIME", "Dato", "Datetime"),
                     ("TEST", "Testfelt", "Text"), ("TEXT", "Lang tekst", "Text")]
        self.attr_desc = {a: d for a, d, _ in defs}
        self.attr_combo = combo
        self.class_attrs: dict[str, dict] = {}
        for attribute_id, desc, control in sorted(defs):
            details = [{"valueId": v, "description": d, "sortOrder": k + 1, "disabled": False}
                       for k, (v, d) in enumerate(combo.get(attribute_id, ()))]
            self.class_attrs[attribute_id] = {
                "attributeId": attribute_id, "description": desc, "sortOrder": 0,
                "required": False, "attributeType": control, "defaultValue": None,
                "details": [{"valueId": d["valueId"], "description": d["description"]}
                            for d in details]}
            created = self._stamp_between(rng, self.setup_day, self.setup_day + 20)
            yield "attribute", {
                "attributeID": attribute_id, "description": desc, "controlType": control,
                "internal": False, "entryMask": None, "regExp": None, "details": details,
                "createdDateTime": _stamp(*created),
                "lastModifiedDateTime": _stamp(created[0] + rng.randrange(0, 400),
                                               _office_ms(rng)),
                "errorInfo": None}

        def attrs(*ids: str) -> list[dict]:
            return [{**self.class_attrs[a], "sortOrder": k + 1} for k, a in enumerate(ids)]

        customer_attrs = ("SEGMENT", "DATETEST", "TEST") if self.p.article else ("SEGMENT",)
        for cls, zone, ids in (("1", "01", customer_attrs), ("2", "02", ("SEGMENT",)),
                               ("3", "01", ("SEGMENT",)), ("4", "01", ())):
            yield "customer/customerClass", {"id": cls, "description": t(f"cclass.{cls}"),
                                    "taxZoneId": zone, "requiredTaxzoneId": True,
                                    "paymentMethodId": "BANK", "attributes": attrs(*ids)}
        for cls in ("1", "2", "3"):
            yield "supplier/supplierClass", {"id": cls, "description": t(f"sclass.{cls}"),
                                    "attributes": attrs("PREFERRED") if cls != "3" else []}
        self.item_class_ref = {}
        classes = [(c.id, c.description[self.li], c.type) for c in _ITEM_CLASSES]
        if self.p.article:
            classes.append(("90", "Testartikler (API-eksempler)", "NonStockItem"))
        for cid, desc, kind in classes:
            item_ids = {"10": ("COLOR", "SIZE"), "90": ("ACTIVE", "AttributeID", "AttributeID1",
                                                    "AttributeID2", "DATETIME", "TEST",
                                                    "TEXT")}.get(cid, ())
            self.item_class_ref[cid] = {"id": cid, "description": desc, "type": kind,
                                        "attributes": []}
            yield "inventory/itemClass", {"id": cid, "description": desc, "type": kind,
                                "attributes": attrs(*item_ids)}

    def attribute(self, attribute_id: str, value: str) -> dict:
        return {"id": attribute_id, "value": value,
                "description": self.attr_desc[attribute_id]}

    # -- customers -----------------------------------------------------------------------

    def _customer_statuses(self, rng: random.Random, n: int) -> list[str]:
        if self.p.article:
            # article 08: exactly 30 of the 350 customers are Active
            statuses = (["Active"] * 30 + ["Inactive"] * 150 + ["OneTime"] * 90
                        + ["OnHold"] * 45 + ["CreditHold"] * 35)
            assert len(statuses) == n
            rng.shuffle(statuses)
            return statuses
        return rng.choices(("Active", "Inactive", "OnHold", "CreditHold", "OneTime"),
                           (85, 8, 3, 2, 2), k=n)

    def _article_customers(self, rng: random.Random, classes: list[str]
                           ) -> tuple[dict[int, str], dict[int, tuple[int, int]],
                                      dict[int, tuple[str, str]]]:
        """What articles 08 and 14 need from the article company's customers.

        Returns names for some customers, (day, ms) of their last change for others, and
        (DATETEST, TEST) attribute values for a third group, each keyed by position.
        """
        n = len(classes)
        special_names: dict[int, str] = {}
        late: dict[int, tuple[int, int]] = {}
        article_attrs: dict[int, tuple[str, str]] = {}
        business = [i for i in range(n) if classes[i] == "1"]
        # article 08's name filter: exactly twelve names contain "Norwegian"
        for i, word in zip(rng.sample(business, 12), (
                "Seafood", "Timber", "Salmon Export", "Outdoor", "Crystal",
                "Energy Solutions", "Wool", "Design House", "Fjord Tours",
                "Coastal Shipping", "Furniture", "Mountain Gear")):
            special_names[i] = f"Norwegian {word} AS"
        # article 08's figure: ten customers changed in March 2020, five of them on
        # or after the 6th; everybody else was last changed before March
        picks = rng.sample(range(n), 10)
        for k, i in enumerate(sorted(picks)):
            first, last = ((_o(2020, 3, 2), _o(2020, 3, 5)) if k % 2 == 0
                           else (_o(2020, 3, 6), _o(2020, 3, 9)))
            late[i] = (first + rng.randrange(last - first + 1), _office_ms(rng))
        # article 14: DATETEST + TEST on some business customers, three of them with
        # exactly the article's values and a few that match only one of the two
        tagged = rng.sample(business, 40)
        for k, i in enumerate(tagged):
            if k < 3:
                article_attrs[i] = ("2019-01-01", "testvalue")
            elif k < 6:
                article_attrs[i] = ("2019-01-01", rng.choice(("sample", "testvalue2")))
            elif k < 9:
                article_attrs[i] = (_day(_o(2018, 6, 1) + rng.randrange(500)),
                                    "testvalue")
            else:
                article_attrs[i] = (_day(_o(2018, 1, 1) + rng.randrange(700)),
                                    rng.choice(("sample", "demo", "othervalue")))
        return special_names, late, article_attrs

    def _customers(self) -> Iterator[tuple[str, dict]]:
        p, rng, t = self.p, self.rng("customer"), self.t
        n = p.customers
        last_created = _o(2020, 2, 20) if p.article else p.as_of - 3
        span = last_created - p.partners_since
        # numbers grow with the creation date, as an automatic number series does
        created = sorted((p.partners_since + int(span * rng.random() ** 0.8),
                          _office_ms(rng)) for _ in range(n))
        statuses = self._customer_statuses(rng, n)
        classes = []
        for status in statuses:
            if status == "OneTime":
                classes.append("4" if rng.random() < 0.7 else "1")
            else:
                classes.append(rng.choices("1234", (78, 6, 6, 10))[0])
        special_names, late, article_attrs = (
            self._article_customers(rng, classes) if p.article else ({}, {}, {}))
        taken: set[str] = set(special_names.values())
        foreign = [loc for c, loc in _LOCALES.items() if c != self.country]
        terms_for = {"1": ((30, 14, 20, 10, 45), (60, 20, 10, 5, 5)),
                     "2": ((30, 45, 60), (50, 30, 20)), "3": ((30,), (1,)),
                     "4": ((10, 14), (60, 40))}
        self.customers: list[_Partner] = []
        for i in range(n):
            status, cls = statuses[i], classes[i]
            loc = rng.choice(foreign) if cls == "2" else self.loc
            zone = "02" if cls == "2" else "01"
            c_day, c_ms = created[i]
            if p.article:
                if i in late:
                    m_day, m_ms = late[i]
                else:
                    first = max(c_day, _o(2017, 1, 2))
                    m_day = first + int((_ARTICLE_QUIET_UNTIL - first) * rng.random())
                    m_ms = _office_ms(rng)
            else:
                skew = 0.7 if status == "Inactive" else 0.4
                m_day = c_day + int((p.as_of - c_day) * rng.random() ** skew)
                m_ms = _office_ms(rng)
            if (m_day, m_ms) < (c_day, c_ms):
                m_ms = c_ms + rng.randrange(1, 600_000)
            private = cls == "4"
            first_name, last_name = rng.choice(loc.first), rng.choice(loc.last)
            person = f"{first_name} {last_name}"
            if private:
                name = person
                while name in taken:
                    name = f"{rng.choice(loc.first)} {first_name[0]}. {last_name}"
                taken.add(name)
                email = f"{_slug(first_name)}.{_slug(last_name)}@example.com"
                web = org = vat = None
            else:
                name = special_names.get(i) or self.company_name(rng, loc, taken)
                domain = f"{_slug(name.rsplit(' ', 1)[0])}.{loc.tld}"
                email, web = f"{loc.mailbox[0]}@{domain}", f"www.{domain}"
                org = _org_number(rng, loc.country)
                vat = _vat_number(loc.country, org)
            address = self.address(rng, loc)
            contact = self.contact(rng, loc, name, None if private else person, email, web)
            if not private and rng.random() < 0.5:
                inv_contact = {**contact, "contactId": self._next("contact"),
                               "email": f"{loc.mailbox[1]}@{email.split('@')[1]}"}
            else:
                inv_contact = contact
            delivery = self.address(rng, loc) if rng.random() < 0.15 else address
            days_options, days_weights = terms_for[cls]
            days = rng.choices(days_options, days_weights)[0]
            segment = ("PUBLIC" if cls == "3" else "RETAIL" if private
                       else rng.choice(("RETAIL", "WHOLESALE")))
            attributes = [] if private else [self.attribute("SEGMENT", segment)]
            if i in article_attrs:
                when, text = article_attrs[i]
                attributes += [self.attribute("DATETEST", when), self.attribute("TEST", text)]
            verification = "Disabled"
            limit = 0.0
            if not private and rng.random() < 0.35:
                verification = rng.choice(("CreditLimit", "LimitAndDaysPastDue"))
                limit = float(rng.choice((50, 100, 250, 500, 1000, 2000)) * 1000 * p.money)
            e_invoice = not private and (cls == "3" or rng.random() < 0.35)
            by_email = not e_invoice and rng.random() < 0.8
            internal = self._next("baccount")
            number = str(10_000 + i)
            ref = {"number": number, "name": name}
            location = {"countryId": loc.country, **self.location}
            record = {
                "internalId": internal, "number": number, "name": name, "status": status,
                "mainAddress": address, "mainContact": contact, "accountReference": None,
                "parentRecord": None,
                "customerClass": {"id": cls, "description": t(f"cclass.{cls}")},
                "creditTerms": self.terms[days], "currencyId": self.base,
                "creditVerification": verification, "creditLimit": limit,
                "creditDaysPastDue": 30 if verification == "LimitAndDaysPastDue" else 0,
                "invoiceAddress": address, "invoiceContact": inv_contact,
                "printInvoices": not (e_invoice or by_email), "acceptAutoInvoices": e_invoice,
                "sendInvoicesByEmail": by_email, "printStatements": False,
                "sendStatementsByEmail": by_email, "printMultiCurrencyStatements": False,
                "statementType": "OpenItem", "deliveryAddress": delivery,
                "deliveryContact": contact, "vatRegistrationId": vat, "corporateId": org,
                "gln": None, "vatZone": self.zone_ref[zone], "location": location,
                "attributes": attributes, "lastModifiedDateTime": _stamp(m_day, m_ms),
                "createdDateTime": _stamp(c_day, c_ms), "priceClass": None,
                "directDebitLines": [], "invoiceToDefaultLocation": True,
                "eInvoiceContract": None, "paymentMethods": [],
                "defaultPaymentMethodId": "BANK", "errorInfo": None}
            yield "customer", record

            c = _Partner()
            c.index, c.number, c.name, c.ref, c.status, c.cls = i, number, name, ref, status, cls
            c.zone, c.zone_ref = zone, self.zone_ref[zone]
            c.terms_days, c.terms_ref = days, self.terms[days]
            c.start = c_day
            c.end = (min(m_day, p.as_of) if status == "Inactive"
                     else min(c_day + 45, p.as_of) if status == "OneTime" else p.as_of)
            c.weight = (min(rng.paretovariate(1.3), 40.0)
                        * {"OneTime": 0.15, "Inactive": 0.6}.get(status, 1.0))
            c.profile = ("bad" if status == "CreditHold" else "slow" if status == "OnHold"
                         else "prompt" if cls == "3"
                         else rng.choices(("prompt", "normal", "slow", "bad"),
                                          (55, 30, 12, 3))[0])
            c.address, c.contact = address, contact
            c.invoice_address, c.invoice_contact = address, inv_contact
            c.location, c.internal_id, c.country = location, internal, loc.country
            c.einvoice = e_invoice
            self.customers.append(c)
        self.customer_by_number = {c.number: c for c in self.customers}

    # -- projects (planned here, yielded last with their totals) ----------------------------

    def _plan_projects(self) -> None:
        p, rng = self.p, self.rng("project")
        self.project_x = {"id": "X", "description": self.t("nonproject")}
        self.project_list: list[dict] = []
        ids = ([str(10 * (k + 1)) for k in range(p.projects)] if p.article
               else [str(1001 + k) for k in range(p.projects)])
        candidates = [c for c in self.customers if c.status == "Active" and c.cls != "4"]
        templates = _PROJECT_NAMES[self.lang]
        biggest = max(candidates, key=lambda c: c.weight) if candidates else None
        used: set[str] = set()
        for pid in ids:
            start = p.first_day - 200 + rng.randrange(max(1, p.as_of - p.first_day + 100))
            end = start + rng.randrange(120, 700)
            if p.article and pid == "20":
                # article 20 reads documents of project 20: keep it running all along
                start, end = p.first_day + 90, p.as_of + 300
            customer = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
            if p.article and pid == "20":
                customer = biggest  # plenty of invoices to attach debit notes to
            description = rng.choice(templates).format(rng.choice(self.loc.cities)[1].title())
            while description in used:
                description = rng.choice(templates).format(
                    rng.choice(self.loc.cities)[1].title())
            used.add(description)
            self.project_list.append({
                "id": pid, "description": description,
                "customer": customer, "start": start, "end": end,
                "income": 0, "expenses": 0})
        self.project_by_id = {pr["id"]: pr for pr in self.project_list}
        self.projects_of: dict[int, list[dict]] = {}
        for pr in self.project_list:
            if pr["customer"] is not None:
                self.projects_of.setdefault(pr["customer"].index, []).append(pr)

    def _projects(self) -> Iterator[tuple[str, dict]]:
        p, rng, t = self.p, self.rng("project-records"), self.t
        for pr in self.project_list:
            start, end = pr["start"], pr["end"]
            status = "Completed" if end < p.as_of else "Active"
            if status == "Active" and rng.random() < 0.1:
                status = "OnHold"
            customer = pr["customer"]
            yield "project", {
                "internalId": 500 + int(pr["id"]) % 1000, "projectID": pr["id"],
                "customer": customer.ref if customer else None, "hold": status == "OnHold",
                "status": status, "template": None, "description": pr["description"],
                "assets": 0.0, "liability": 0.0, "income": _money(pr["income"]),
                "expenses": _money(pr["expenses"]), "startDate": _date(start),
                "endDate": _date(end), "projectManager": None, "restrictEmployees": False,
                "restrictEquipment": False, "visibility": None,
                "defAccount": self.acct["sales_rated"], "defSub": self.sub[("10", "300")],
                "defAccrualAccount": None, "defAccrualSub": None, "billingPeriod": "Monthly",
                "nextBillingDate": None, "lastBillingDate": None,
                "customerLocation": customer.location if customer else None,
                "allocationRule": None, "billingRule": None, "rateTable": None,
                "autoAllocate": False, "automaticReleaseAr": False,
                "lastModifiedDateTime": _stamp(min(end, p.as_of), _office_ms(rng)),
                "tasks": [], "employees": [], "publicId": None, "systemTemplate": False,
                "attributes": [], "errorInfo": None}
        # the non-project code every document without a project carries
        yield "project", {
            "internalId": 1, "projectID": "X", "customer": None, "hold": False,
            "status": "Active", "template": None, "description": t("nonproject"),
            "assets": 0.0, "liability": 0.0, "income": 0.0, "expenses": 0.0,
            "startDate": _date(self.setup_day), "endDate": None, "projectManager": None,
            "restrictEmployees": False, "restrictEquipment": False, "visibility": None,
            "defAccount": None, "defSub": None, "defAccrualAccount": None,
            "defAccrualSub": None, "billingPeriod": "OnDemand", "nextBillingDate": None,
            "lastBillingDate": None, "customerLocation": None, "allocationRule": None,
            "billingRule": None, "rateTable": None, "autoAllocate": False,
            "automaticReleaseAr": False,
            "lastModifiedDateTime": _stamp(self.setup_day, 32_400_000),
            "tasks": [], "employees": [], "publicId": None, "systemTemplate": True,
            "attributes": [], "errorInfo": None}

    def project_for(self, rng: random.Random, day: int, customer: _Partner | None,
                    chance: float) -> dict | None:
        """A running project for a document on ``day`` (the customer's own first)."""
        if rng.random() < chance:
            own = self.projects_of.get(customer.index, ()) if customer else ()
            running = [pr for pr in own if pr["start"] <= day <= pr["end"]]
            if not running and customer is None:
                running = [pr for pr in self.project_list if pr["start"] <= day <= pr["end"]]
            if running:
                pr = rng.choice(running)
                return pr
        return None

    # -- suppliers -----------------------------------------------------------------------

    def _supplier_kinds(self, rng: random.Random, n: int) -> list[str]:
        """Kinds for suppliers 2.. (0 is article 20's goods supplier, 1 the tax agency)."""
        fixed = {"rent": max(1, n // 150), "utilities": max(1, n // 300),
                 "telecom": max(1, n // 400), "it": max(1, n // 60),
                 "insurance": max(1, n // 200)}
        kinds = [k for k, count in fixed.items() for _ in range(count)]
        free = [k for k in _KINDS if k not in fixed]
        weights = [w for k, w in zip(_KINDS, _KIND_WEIGHTS) if k not in fixed]
        kinds += rng.choices(free, weights, k=max(0, n - 2 - len(kinds)))
        rng.shuffle(kinds)
        return kinds

    def _suppliers(self) -> Iterator[tuple[str, dict]]:
        p, rng, t = self.p, self.rng("supplier"), self.t
        numbers = self.supplier_numbers
        n = len(numbers)
        last_created = _o(2019, 12, 31) if p.article else p.as_of - 30
        span = last_created - p.partners_since
        created = sorted((p.partners_since + int(span * rng.random() ** 1.3), _office_ms(rng))
                         for _ in range(n))
        kinds = ["goods", None] + self._supplier_kinds(rng, n)
        recent: set[int] = set()
        if p.article:
            # article 20 lists suppliers changed on or after 2020-01-14: a quarter of them
            recent = set(rng.sample(range(n), 15))
        taken: set[str] = set()
        foreign = [loc for c, loc in _LOCALES.items() if c != self.country]
        languages = {"no": "nb-NO", "sv": "sv-SE", "fi": "fi-FI", "da": "da-DK"}
        self.suppliers: list[_Partner] = []
        for i, number in enumerate(numbers):
            kind = kinds[i]
            is_foreign = kind in ("goods", "consulting", "it") and i > 1 and rng.random() < 0.12
            loc = rng.choice(foreign) if is_foreign else self.loc
            cls = "3" if kind is None else "2" if is_foreign else "1"
            zone = "12" if is_foreign else "11"
            status = ("Active" if i < 2 or kind in _RECURRING
                      else rng.choices(("Active", "Inactive", "OnHold", "HoldPayments",
                                        "OneTime"), (85, 8, 3, 2, 2))[0])
            c_day, c_ms = created[i]
            if p.article:
                if i in recent:
                    # the first of them exactly on the article's date, early morning
                    m_day = _o(2020, 1, 14) + (0 if i == min(recent) else rng.randrange(55))
                    m_ms = 27_900_000 if i == min(recent) else _office_ms(rng)
                else:
                    first = max(c_day, _o(2017, 1, 2))
                    m_day = first + int((_o(2020, 1, 13) - first) * rng.random())
                    m_ms = _office_ms(rng)
            else:
                m_day = c_day + int((p.as_of - c_day) * rng.random() ** 0.5)
                m_ms = _office_ms(rng)
            if (m_day, m_ms) < (c_day, c_ms):
                m_ms = c_ms + rng.randrange(1, 600_000)
            if kind is None:
                name = self.t("taxagency")
                taken.add(name)
            else:
                trade = None if kind == "goods" else _T[f"trade.{kind}"][_LANGS.index(loc.lang)]
                name = self.company_name(rng, loc, taken, trade)
            domain = f"{_slug(name.rsplit(' ', 1)[0])}.{loc.tld}"
            person = f"{rng.choice(loc.first)} {rng.choice(loc.last)}"
            address = self.address(rng, loc)
            contact = self.contact(rng, loc, name, person, f"{loc.mailbox[0]}@{domain}",
                                   f"www.{domain}")
            org = _org_number(rng, loc.country)
            detail, account, used = _bank_account(rng, loc.country)
            days = 30 if kind is None else rng.choice((10, 14, 20, 30, 30, 30, 45))
            internal = self._next("baccount")
            location = {"countryId": loc.country, **self.location}
            ref = {"number": number, "name": name}
            attributes = ([] if kind is None else
                          [self.attribute("PREFERRED", "1" if rng.random() < 0.25 else "0")])
            yield "supplier", {
                "internalId": internal, "number": number, "name": name, "status": status,
                "mainAddress": address, "mainContact": contact, "accountReference": None,
                "parentRecord": None,
                "supplierClass": {"id": cls, "description": t(f"sclass.{cls}")},
                "creditTerms": self.terms[days], "documentLanguage": languages[loc.lang],
                "currencyId": self.base, "remitAddress": address, "remitContact": contact,
                "paymentMethod": self.payment_method, "cashAccount": self.acct["bank"]["number"],
                "chargeBearer": "Shared", "accountUsedForPayment": used,
                "paymentBy": "DueDate", "paymentLeadTime": 0, "paySeparately": False,
                "supplierAddress": address, "supplierContact": contact, "location": location,
                "vatRegistrationId": _vat_number(loc.country, org), "corporateId": org,
                "vatZone": self.zone_ref[zone], "attributes": attributes,
                "lastModifiedDateTime": _stamp(m_day, m_ms),
                "supplierPaymentMethodDetails": [
                    {"paymentMethodDetailDescription": detail,
                     "paymentMethodDetailValue": account}],
                "note": None, "errorInfo": None}
            s = _Partner()
            s.index, s.number, s.name, s.ref, s.status, s.cls = i, number, name, ref, status, cls
            s.zone, s.zone_ref = zone, self.zone_ref[zone]
            s.terms_days, s.terms_ref = days, self.terms[days]
            s.start = c_day
            s.end = min(m_day, p.as_of) if status == "Inactive" else p.as_of
            s.weight = (min(rng.paretovariate(_SKEW[0]), _SKEW[1])
                        * (0.2 if status == "OneTime" else 1))
            s.kind, s.profile = kind, None
            s.address, s.contact, s.location = address, contact, location
            s.invoice_address, s.invoice_contact = address, contact
            s.internal_id, s.country = internal, loc.country
            s.items = None
            self.suppliers.append(s)

    # -- inventory -----------------------------------------------------------------------

    def _category(self, cls: _ItemClass) -> str:
        """The class's VAT category in this country (books differ, Denmark has one rate)."""
        if cls.id == "50":
            return {"NO": "02", "DK": "03"}.get(self.country, cls.category)
        return cls.category if cls.category in self.categories else "03"

    def _inventory(self) -> Iterator[tuple[str, dict]]:
        p, rng, li = self.p, self.rng("inventory"), self.li
        brands = self.loc.prefixes[:8]
        colours = list(self.attr_combo["COLOR"])
        sizes = [v for v, _ in self.attr_combo["SIZE"]]
        goods_classes = _ITEM_CLASSES[:5]
        specs: list[tuple] = []  # (class, number, description, attributes, category)
        # the fixed lists: services and fees
        services, fees = _ITEM_CLASSES[5], _ITEM_CLASSES[6]
        combos = [(n, v) for n in services.nouns[li] for v in services.variants]
        for k, (noun, level) in enumerate(rng.sample(combos, min(p.services, len(combos)))):
            specs.append((services, f"S{1001 + k}", f"{noun} {level}".strip(), [],
                          self._category(services)))
        for k, noun in enumerate(fees.nouns[li]):
            specs.append((fees, f"G{1001 + k}", noun, [], "01" if k == 0 else "03"))
        test_items = self._article_items() if p.article else []
        goods = p.items - len(specs) - len(test_items)
        weights = p.item_mix
        counts = [goods * w // sum(weights) for w in weights]
        counts[0] += goods - sum(counts)
        for cls, count in zip(goods_classes, counts):
            seen: set[str] = set()
            k = 0
            while k < count:
                noun, brand = rng.choice(cls.nouns[li]), rng.choice(brands)
                attributes = []
                if cls.id == "10":
                    colour, colour_text = rng.choice(colours)
                    size = rng.choice(sizes)
                    desc = f"{noun} {brand} {colour_text.lower()} {size}"
                    attributes = [self.attribute("COLOR", colour), self.attribute("SIZE", size)]
                else:
                    desc = f"{noun} {brand} {rng.choice(cls.variants)}"
                if desc in seen:
                    continue
                seen.add(desc)
                k += 1
                specs.append((cls, f"{cls.prefix}{1000 + k}", desc, attributes,
                              self._category(cls)))

        test_numbers = {spec[1] for spec in test_items}
        self.items: list[_Item] = []
        records = []
        for inventory_id, (cls, number, desc, attributes, category) in enumerate(
                specs + test_items, start=1):
            low, high = cls.price
            price = _cents(max(1.0, (low + (high - low) * rng.random() ** 2.5) * p.money))
            price = price - price % 100 + (90 if price > 10_000 else 0)  # x9.90 style
            price = max(price, 100)
            cost = price * rng.randrange(45, 75) // 100
            status = ("Active" if number[0].isdigit() or number.startswith("test")
                      else rng.choices(("Active", "NoSales", "NoPurchases", "Inactive",
                                        "MarkedForDeletion"), (88, 3, 3, 4, 2))[0])
            c_day = p.partners_since + rng.randrange(max(1, p.first_day - p.partners_since))
            m_day = c_day + int((p.as_of - c_day) * rng.random() ** 0.6)
            if p.article:
                m_day = min(m_day, _o(2020, 2, 28))
            sales_unit = self.unit[cls.unit]
            purchase_unit = (self.unit["pallet"] if number == "teststock"
                             else self.unit["box"] if cls.id in ("20", "40") else sales_unit)
            class_id = "90" if number in test_numbers else cls.id
            warehouse = self.warehouses[0] if cls.stock else None
            item = _Item()
            item.number, item.description, item.type = number, desc, cls.type
            item.category, item.price, item.cost = category, price, cost
            item.sales_unit, item.purchase_unit, item.cls = sales_unit, purchase_unit, class_id
            item.area = "200" if cls.id == "60" else "000" if cls.id == "70" else "100"
            item.stock = cls.stock
            item.sells = status in ("Active", "NoPurchases")
            item.buys = status in ("Active", "NoSales") and cls.id not in ("60", "70")
            item.ref = {"number": number, "description": desc}
            item.weight = rng.paretovariate(1.5)
            self.items.append(item)
            records.append((number, {
                "inventoryId": inventory_id, "inventoryNumber": number, "status": status,
                "type": cls.type, "description": desc, "body": None,
                "itemClass": self.item_class_ref[class_id],
                "postingClass": {"id": cls.id, "description": cls.description[li]},
                "vatCode": self.cat_ref[category], "defaultPrice": _money(price),
                "pendingCost": 0.0, "pendingCostDate": None, "currentCost": _money(cost),
                "effectiveDate": _date(c_day), "lastCost": _money(cost),
                "lastModifiedDateTime": _stamp(m_day, _office_ms(rng)),
                "baseUnit": sales_unit, "salesUnit": sales_unit, "purchaseUnit": purchase_unit,
                "stockItem": cls.stock, "accountInformation": None,
                "costPriceStatistics": {"lastCost": _money(cost), "averageCost": _money(cost),
                                        "minCost": _money(cost * 95 // 100),
                                        "maxCost": _money(cost * 104 // 100)},
                "crossReferences": [], "attachments": [], "attributes": attributes,
                "warehouseDetails": [], "inventoryUnits": [],
                "defaultWarehouse": warehouse, "supplierDetails": [], "salesCategories": [],
                "recommendedPrice": _money(price * 5 // 4), "priceManagerId": None,
                "priceClass": None, "errorInfo": None}))
        records.sort(key=lambda r: r[0])
        for _, record in records:
            yield "inventory", record
        self.item_by_number = {it.number: it for it in self.items}

    def _article_items(self) -> list[tuple]:
        """Items articles 14 and 20 name, each carrying the attribute values they filter on."""
        a, fees, goods = self.attribute, _ITEM_CLASSES[6], _ITEM_CLASSES[1]
        label = ("Testartikler",) * 4
        nonstock = _ItemClass("90", "", "NonStockItem", False, "03", (1, 20), "piece",
                              fees.nouns, ("",), label)
        stock = _ItemClass("90", "", "FinishedGoodItem", True, "03", (900, 2400), "pallet",
                           goods.nouns, ("",), label)
        return [
            (nonstock, "6", "Diverse småvarer", [a("ACTIVE", "0"), a("TEST", "other")], "03"),
            (nonstock, "test*test", "Testvare med stjerne i nummeret",
             [a("TEXT", "long text to filter upon"), a("DATETIME", "2019-04-19"),
              a("ACTIVE", "1")], "03"),
            (nonstock, "testitem1", "Testvare for flere attributter",
             [a("AttributeID1", "ValueID1"), a("AttributeID2", "ValueID2"),
              a("TEST", "testvalue")], "03"),
            (nonstock, "testitem2", "Testvare for flervalg",
             [a("AttributeID", "ValueID1,ValueID2"), a("AttributeID1", "ValueID2"),
              a("DATETIME", "2019-05-02")], "03"),
            (nonstock, "testitem3", "Testvare med annen tekst",
             [a("AttributeID", "ValueID2,ValueID3"), a("TEXT", "long text"),
              a("ACTIVE", "0")], "03"),
            (stock, "teststock", "Testvare på lager (pall)",
             [a("TEST", "testvalue"), a("ACTIVE", "1"), a("DATETIME", "2019-04-19")], "03"),
        ]

    # -- shared document helpers ------------------------------------------------------------

    def _picker(self, partners: list[_Partner]) -> tuple[list[_Partner], list[float]]:
        """Partners active in the document period, with cumulative weights that make
        their share of documents proportional to weight x days active."""
        p = self.p
        active, cumulative, total = [], [], 0.0
        for partner in partners:
            first, last = max(partner.start, p.first_day), partner.end
            if last < first:
                continue
            total += partner.weight * (last - first + 1)
            active.append(partner)
            cumulative.append(total)
        return active, cumulative

    def _pick(self, rng: random.Random, pool: tuple[list[_Partner], list[float]]
              ) -> tuple[_Partner, int]:
        """A partner (by weight) and a working day inside its active window."""
        partners, cumulative = pool
        partner = partners[bisect_right(cumulative, rng.random() * cumulative[-1])]
        first, last = max(partner.start, self.p.first_day), partner.end
        day = _workday(first + rng.randrange(last - first + 1))
        return partner, max(day, first)

    def _taxes(self, zone: str, lines: list[tuple[str, int]], day: int
               ) -> tuple[list[dict], int, int, int]:
        """VAT of a document: ``lines`` are (category, amount in cents).

        Returns (tax detail rows, VAT total, taxable total, exempt total), VAT rounded
        half up per VAT id, the way the ERP sums a document.
        """
        groups: dict[str, list] = {}
        for category, amount in lines:
            entry = self.vat_of[(zone, category)]
            group = groups.get(entry[0])
            if group is None:
                groups[entry[0]] = [entry, amount]
            else:
                group[1] += amount
        details, vat_total, taxable, exempt = [], 0, 0, 0
        for record_id, (entry, amount) in enumerate(groups.values(), start=1):
            bp = self.rate_bp(entry, day)
            vat = (amount * bp + 5000) // 10000
            vat_total += vat
            if entry[3]:
                taxable += amount
            else:
                exempt += amount
            details.append({"taxId": entry[0], "recordId": record_id, "vatId": entry[1],
                            "vatRate": bp / 100, "taxableAmount": _money(amount),
                            "vatAmount": _money(vat)})
        return details, vat_total, taxable, exempt

    def _runs(self, k: int):
        """Functions giving the supplier payment run on/before and on/after a day:
        Thursdays, every ``k``-th week."""
        weeks = max(1, k // 7)

        def on_or_before(day: int) -> int:
            d = day - (_weekday(day) - 3) % 7
            while (d // 7) % weeks:
                d -= 7
            return d

        def on_or_after(day: int) -> int:
            d = day + (3 - _weekday(day)) % 7
            while (d // 7) % weeks:
                d += 7
            return d

        return on_or_before, on_or_after

    # -- purchasing -------------------------------------------------------------------------

    def _purchasing(self) -> Iterator[tuple[str, dict]]:
        p, rng = self.p, self.rng("purchaseorder")
        goods_suppliers = [s for s in self.suppliers if s.kind == "goods"]
        buyable: dict[str, list[_Item]] = {}
        for item in self.items:
            if item.buys:
                buyable.setdefault(item.cls, []).append(item)
        families = sorted(c for c in buyable if c != "90")
        for s in goods_suppliers:
            chosen = rng.sample(families, min(len(families), rng.choice((1, 1, 2))))
            s.items = [it for c in chosen for it in buyable[c]]
        if p.article:
            # article 20 orders and invoices items "teststock", "6" and "test*test" from 50000
            s0 = self.suppliers[0]
            # supplier 0 is the goods supplier of article 20: the loop above chose its items
            assert s0.items is not None
            s0.items = buyable.get("90", []) + s0.items
        pool = self._picker(goods_suppliers)
        drafts: list[list] = []  # [day, ms, supplier, status]
        for _ in range(p.purchase_orders):
            s, day = self._pick(rng, pool)
            drafts.append([day, _office_ms(rng), s, None])
        drafts.sort(key=lambda d: (d[0], d[1]))
        self._po_statuses(rng, drafts)

        employees = [{"id": _guid(self.cid, "employee", k),
                      "name": f"{rng.choice(self.loc.first)} {rng.choice(self.loc.last)}"}
                     for k in range(6)]
        invoice_drafts = []
        for k, (day, ms, s, status) in enumerate(drafts):
            number = str(p.po_start + k).zfill(p.po_width)
            record, receipt = self._purchase_order(rng, number, day, ms, s, status, employees)
            yield "purchaseorder", record
            if receipt is not None:
                inv_day = min(p.as_of, _workday(receipt + rng.randrange(0, 7)))
                invoice_drafts.append((max(inv_day, receipt), _office_ms(rng), s, "po", record))
        yield from self._supplier_invoices(invoice_drafts)

    def _po_statuses(self, rng: random.Random, drafts: list[list]) -> None:
        """Statuses by age, every status at least once, and article 20's orders."""
        p = self.p
        old = (("Closed", "Cancelled", "Voided", "Open"), (84, 8, 3, 5))
        middle = (("Closed", "Open", "Printed", "Cancelled", "PendingEmail"), (45, 35, 10, 5, 5))
        young = (("Open", "Hold", "Balanced", "PendingPrint", "PendingEmail", "Printed",
                  "Closed"), (25, 20, 15, 15, 10, 10, 5))
        for d in drafts:
            age = p.as_of - d[0]
            options, weights = old if age > 75 else middle if age > 20 else young
            d[3] = rng.choices(options, weights)[0]
        everything = ("Balanced", "Cancelled", "Closed", "Hold", "Open", "PendingEmail",
                      "PendingPrint", "Printed", "Voided")
        n = len(drafts)
        for status in everything:
            if any(d[3] == status for d in drafts):
                continue
            counts = {s: sum(1 for d in drafts if d[3] == s) for s in everything}
            # an old order for a final status, a recent one for a status still in progress
            window = (range(0, max(1, n // 2)) if status in ("Closed", "Cancelled", "Voided")
                      else range(n * 2 // 3, n))
            spare = [i for i in window if counts[drafts[i][3]] > 1] or [
                i for i in range(n) if counts[drafts[i][3]] > 1]
            drafts[rng.choice(spare)][3] = status
        if p.article:
            # article 20: order 25698 is supplier 50000's open order, and 50000 has
            # orders in every other status too
            s0 = self.suppliers[0]
            target = 25_698 - p.po_start
            drafts[target][2], drafts[target][3] = s0, "Open"
            for status in everything:
                if any(d[2] is s0 and d[3] == status for d in drafts):
                    continue
                candidates = [i for i, d in enumerate(drafts)
                              if d[3] == status and i != target and d[0] >= s0.start]
                drafts[rng.choice(candidates)][2] = s0

    def _purchase_order(self, rng: random.Random, number: str, day: int, ms: int,
                        s: _Partner, status: str, employees: list[dict]
                        ) -> tuple[dict, int | None]:
        """One purchase order; also the day its goods were received (if Closed)."""
        p = self.p
        items = s.items or [it for it in self.items if it.buys]
        if p.article and number == "25698":
            items = [self.item_by_number["teststock"], self.item_by_number["6"]]
        count = min(len(items), rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 12, 8))[0])
        chosen = rng.sample(items, count)
        promised = day + rng.randrange(7, 36)
        receipt = None
        if status == "Closed":
            receipt = min(p.as_of, max(day + 1, promised + rng.randrange(-3, 8)))
        lines, cats, line_total, open_qty, open_amount = [], [], 0, 0.0, 0
        warehouse = self.warehouses[min(1, len(self.warehouses) - 1)]
        # an order restocks what the invoices since the last order sold, so the order
        # size grows with the number of invoices per purchase order
        scale = max(1, round(p.invoices / p.purchase_orders / 2))
        for n, item in enumerate(chosen, start=1):
            qty = rng.choice((1, 2, 3, 5, 10, 12, 20, 24, 50, 100)) * scale
            unit_cost = item.cost * rng.randrange(95, 106) // 100
            amount = qty * unit_cost
            line_total += amount
            cats.append((item.category, amount))
            part = status == "Open" and p.as_of - day > 14 and rng.random() < 0.3
            received = qty if status == "Closed" else qty // 2 if part else 0
            if status not in ("Closed", "Cancelled", "Voided"):
                open_qty += qty - received
                open_amount += (qty - received) * unit_cost
            line_type = ("GoodsForInventory" if item.stock else
                         "Service" if item.type == "ServiceItem" else "NonStock")
            lines.append({
                "lineNbr": n, "branch": self.branch, "inventory": item.ref,
                "lineType": line_type, "warehouse": warehouse if item.stock else None,
                "lineDescription": item.description, "uom": item.purchase_unit,
                "orderQty": float(qty), "qtyOnReceipts": float(received),
                "unitCost": _money(unit_cost), "unitCostInBaseCurrency": _money(unit_cost),
                "extCost": _money(amount), "discountPercent": 0.0, "discountAmount": 0.0,
                "manualDiscount": False, "discountCode": None, "amount": _money(amount),
                "receivedAmt": _money(received * unit_cost), "alternateId": None,
                "minReceipt": 0.0, "maxReceipt": 100.0, "completeOn": 100.0,
                "receiptAction": "AcceptButWarn", "taxCategory": self.cat_ref[item.category],
                "account": self.acct["goods"], "sub": self.sub[("20", item.area)],
                "project": self.project_x, "projectTask": None,
                "requested": _date(promised), "promised": _date(promised),
                "completed": status == "Closed", "canceled": status == "Cancelled",
                "orderType": None, "orderNumber": None, "note": None})
        details, vat, _, exempt = self._taxes(s.zone, cats, day)
        if status == "Closed":
            assert receipt is not None  # a closed order got its receipt day above
            m_day, m_ms = receipt, _office_ms(rng)
        elif status in ("Cancelled", "Voided") or status == "Open" and rng.random() < 0.5:
            m_day, m_ms = min(p.as_of, day + rng.randrange(1, 30)), _office_ms(rng)
        else:
            m_day, m_ms = day, ms + rng.randrange(60_000, 3_600_000)
        if (m_day, m_ms) < (day, ms):
            m_day, m_ms = day, ms + 60_000
        printed = status in ("Printed", "Open", "Closed") and rng.random() < 0.5
        record = {
            "orderType": "RegularOrder" if rng.random() < 0.96 else "DropShip",
            "orderNbr": number, "status": status, "hold": status == "Hold",
            "date": _date(day), "promisedOn": _date(promised),
            "description": self.t("po.restock") if rng.random() < 0.5
            else self.t("po").format(_month_label(day, self.lang)),
            "supplier": {"internalId": s.internal_id, "number": s.number, "name": s.name},
            "location": self.location, "owner": rng.choice(employees),
            "currency": self.base, "exchangeRate": 1.0, "supplierRef": None,
            "lineTotal": _money(line_total), "lineTotalInBaseCurrency": _money(line_total),
            "vatExemptTotal": _money(exempt), "vatExemptTotalInBaseCurrency": _money(exempt),
            "taxTotal": _money(vat), "taxTotalInBaseCurrency": _money(vat),
            "orderTotal": _money(line_total + vat),
            "orderTotalInBaseCurrency": _money(line_total + vat),
            "controlTotal": _money(line_total + vat),
            "controlTotalInBaseCurrency": _money(line_total + vat),
            "branch": self.branch, "terms": s.terms_ref, "supplierVatZone": s.zone_ref,
            "shippingDestinationType": "CompanyLocation", "shipTo": None,
            "shippingLocation": None, "warehouse": warehouse,
            "shippingAddress": self.wh_address, "shippingContact": self.wh_contact,
            "remitAddress": s.address, "remitContact": s.contact,
            "fobPoint": None, "shipVia": None, "shipTerms": None,
            "printed": printed, "emailed": status in ("Open", "Closed") and not printed,
            "dontPrint": status == "PendingEmail", "dontEmail": status == "PendingPrint",
            "openQuantity": float(open_qty), "openBalance": _money(open_amount),
            "lines": lines, "taxDetails": details,
            "lastModifiedDateTime": _stamp(m_day, m_ms), "note": None, "errorInfo": None}
        return record, receipt

    def _expense_drafts(self, rng: random.Random, target: int) -> list[tuple]:
        """Invoices for expenses: monthly and yearly bills, then irregular ones."""
        p = self.p
        drafts = []
        for s in self.suppliers:
            every = _RECURRING.get(s.kind or "")
            if not every:
                continue
            first, last = max(s.start, p.first_day), s.end
            d = date.fromordinal(first)
            year, month = d.year, d.month
            offset = rng.randrange(0, 6)
            while True:
                day = _workday(_o(year, month, 1) + offset)
                if day > last:
                    break
                if day >= first:
                    drafts.append((day, _office_ms(rng), s, s.kind, None))
                month += every
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        irregular = [s for s in self.suppliers
                     if s.kind in ("goods", "consulting", "freight", "office", "travel")]
        pool = self._picker(irregular)
        for _ in range(max(0, target - len(drafts))):
            s, day = self._pick(rng, pool)
            drafts.append((day, _office_ms(rng), s, s.kind, None))
        return drafts

    def _supplier_invoices(self, po_drafts: list[tuple]) -> Iterator[tuple[str, dict]]:
        p, rng = self.p, self.rng("supplierInvoice")
        drafts = po_drafts + self._expense_drafts(rng, p.supplier_invoices - len(po_drafts))
        drafts.sort(key=lambda d: (d[0], d[1]))
        numbers = (n for n in range(p.ap_start, 10**6)
                   # article 20 posts a new supplier invoice with number 000357
                   if not (p.article and n == 357))
        before, after = self._runs(p.pay_run_days)
        fixed: dict[int, int] = {}
        references: dict[int, int] = {}
        paid = []
        for day, ms, s, kind, po in drafts:
            number = f"{next(numbers):06d}"
            if p.article and number == "000050":
                # article 20 updates supplier invoice 000050: a draft of supplier 50000
                s, kind, po = self.suppliers[0], "hold50", None
            record, pay = self._supplier_invoice(rng, number, day, ms, s, kind, po, fixed,
                                                 references, before, after)
            yield "supplierInvoice", record
            if pay is not None:
                paid.append((pay, s, record))
        yield from self._supplier_payments(paid)

    def _supplier_invoice(self, rng: random.Random, number: str, day: int, ms: int,
                          s: _Partner, kind: str, po: dict | None, fixed: dict[int, int],
                          references: dict[int, int], before, after
                          ) -> tuple[dict, int | None]:
        """One supplier invoice and the payment run that pays it (None: not paid yet).

        ``kind`` is "po" (billing a received purchase order), "hold50" (article 20's
        draft) or the supplier's expense kind; ``fixed`` keeps each recurring supplier's
        monthly amount and ``references`` its last invoice number.
        """
        p, t, lang = self.p, self.t, self.lang
        lines, cats, project = [], [], None
        if kind == "po":
            assert po is not None  # kind "po" is only drafted with its purchase order
            for n, line in enumerate(po["lines"], start=1):
                cost = _cents(line["amount"])
                item = self.item_by_number[line["inventory"]["number"]]
                cats.append((item.category, cost))
                lines.append(self._ap_line(n, item.number, line["lineDescription"],
                                           line["orderQty"], line["uom"], line["unitCost"],
                                           cost, self.acct["goods"], self.sub[("20", item.area)],
                                           s.zone, item.category, po["orderNbr"]))
            description = f"{t('sup.goods')} {po['orderNbr']}"
        elif kind == "hold50":
            item = self.item_by_number["teststock"]
            cost = 2 * item.cost
            cats.append((item.category, cost))
            lines.append(self._ap_line(1, item.number, item.description, 2.0,
                                       item.purchase_unit, _money(item.cost), cost,
                                       self.acct["goods"], self.sub[("20", "100")], s.zone,
                                       item.category, None))
            description = t("hold50")
        else:
            low, high = _KIND_AMOUNT[kind]
            money = p.money
            if kind in _RECURRING:
                base = fixed.get(s.index)
                if base is None:
                    base = fixed[s.index] = _cents((low + (high - low) * rng.random() ** 2)
                                                   * money)
                amount = base
                if kind == "utilities":  # more power in winter
                    month = int(_day(day)[5:7])
                    amount = base * (160 if month in (12, 1, 2) else
                                     70 if month in (6, 7, 8) else 100) // 100
                    amount = amount * rng.randrange(85, 116) // 100
                label = (_day(day)[:4] if kind == "insurance"
                         else _month_label(day, lang))
                parts = [(t(f"sup.{kind}").format(label), amount)]
            else:
                count = 1 if rng.random() < 0.75 or kind == "freight" else rng.randrange(2, 4)
                parts = []
                for _ in range(count):
                    amount = _cents((low + (high - low) * rng.random() ** _AMOUNT_EXPONENT)
                                    * money / count)
                    parts.append((t(f"sup.{kind}"), max(amount, 100)))
                if kind in ("consulting", "travel", "goods"):
                    chance = 0.3 if p.article else 0.08
                    project = self.project_for(rng, day, None, chance)
            account = self.acct[kind]
            dept = {"freight": "30", "goods": "20"}.get(kind, "40")
            area = "300" if project else "100" if kind in ("goods", "freight") else "000"
            category = _KIND_CATEGORY.get(kind, "03")
            if category not in self.categories:
                category = "03"
            for n, (text, amount) in enumerate(parts, start=1):
                cats.append((category, amount))
                lines.append(self._ap_line(n, None, text, 1.0, self.unit["piece"],
                                           _money(amount), amount, account,
                                           self.sub[(dept, area)], s.zone, category, None))
            description = parts[0][0]
        details, vat, _, _ = self._taxes(s.zone, cats, day)
        detail = sum(c for _, c in cats)
        total = detail + vat
        due = day + s.terms_days
        # when is it paid? at the last payment run before it falls due (after approval)
        pay = before(due - 1)
        if pay < day + 3:
            pay = after(day + 3)
        doc_type = "Invoice"
        if kind not in ("po", "hold50") and rng.random() < 0.02:
            # a credit note from the supplier, settled against later invoices
            doc_type = "DebitAdj"
            status = "Closed" if day < p.as_of - 30 else "Open"
            pay = None
        elif kind == "hold50":
            status, pay = "Hold", None
        elif day > p.as_of - 5 and rng.random() < 0.5:
            status, pay = rng.choice(("Hold", "Balanced", "Balanced", "Prebooked")), None
        elif rng.random() < 0.004:
            status, pay = "Voided", None
        elif (s.status == "HoldPayments" and day > p.as_of - 120) or rng.random() < 0.01:
            status, pay = "Open", None  # payments held, or the invoice is disputed
        elif pay < p.as_of - 1:
            status = "Closed"
        else:
            status = "Open"
            if pay > p.as_of:
                pay = None
        balance = 0 if status in ("Closed", "Voided") else total
        if status == "Closed":
            m_day = pay if pay is not None else min(p.as_of, day + rng.randrange(5, 30))
        elif status == "Voided":
            m_day = min(p.as_of, day + rng.randrange(1, 20))
        else:
            m_day = day
        m_ms = _office_ms(rng) if m_day != day else ms + rng.randrange(60_000, 7_200_000)
        if (m_day, m_ms) < (day, ms):
            m_day, m_ms = day, ms + 60_000
        if project is not None:
            project["expenses"] += detail
        ref = references.get(s.index)
        references[s.index] = ref = (rng.randrange(1000, 90_000) if ref is None
                                     else ref + rng.randrange(1, 40))
        payref = _payment_ref(rng, f"{ref}{int(s.number) % 1000:03d}")
        record = {
            "documentType": doc_type, "referenceNumber": number, "status": status,
            "approvalStatus": ("ApprovedInApproval" if status in ("Open", "Closed")
                               else "New"),
            "hold": status == "Hold", "supplier": s.ref, "date": _date(day),
            "origInvoiceDate": _date(day), "dueDate": _date(due), "cashDiscountDate": _date(day),
            "payDate": _date(pay) if pay else None, "postPeriod": _period(day),
            "financialPeriod": _period(day),
            "closedFinancialPeriod": _period(m_day) if status == "Closed" else None,
            "currencyId": self.base, "exchangeRate": 1.0, "amount": _money(total),
            "vatAmount": _money(vat), "balance": _money(balance),
            "balanceInCurrency": _money(balance), "vatTotal": _money(vat),
            "vatTotalInCurrency": _money(vat), "supplierReference": str(ref),
            "description": description, "paymentRefNo": payref,
            "creditTerms": s.terms_ref, "paymentMethod": self.payment_method,
            "location": s.location, "branchNumber": self.branch,
            "taxCalculationMode": "TaxSetting", "supplierTaxZone": s.zone_ref,
            "project": ({"id": project["id"], "description": project["description"]}
                        if project else self.project_x),
            "taxDetailLines": details, "invoiceLines": lines, "attachments": [],
            "createdDateTime": _stamp(day, ms), "lastModifiedDateTime": _stamp(m_day, m_ms),
            "note": None, "errorInfo": None}
        return record, pay

    def _ap_line(self, n, inventory, text, qty, uom, unit_cost, cost, account, sub, zone,
                 category, po_number) -> dict:
        vat = self.vat_of[(zone, category)]
        return {"lineNumber": n, "inventoryNumber": inventory, "transactionDescription": text,
                "quantity": qty, "uom": uom, "unitCost": unit_cost,
                "unitCostInCurrency": unit_cost, "cost": _money(cost),
                "costInCurrency": _money(cost), "account": account, "subaccount": sub,
                "vatCode": vat[1], "branchNumber": self.branch, "poNumber": po_number,
                "note": None}

    def _supplier_payments(self, paid: list[tuple]) -> Iterator[tuple[str, dict]]:
        """One payment per supplier and payment run, paying all its invoices due then."""
        p, rng, t = self.p, self.rng("supplierPayment"), self.t
        runs: dict[tuple[int, int], list[dict]] = {}
        for pay, s, invoice in paid:
            runs.setdefault((pay, s.index), []).append(invoice)
        payments: list[tuple[int, _Partner, list[dict] | None]] = [
            (pay, self.suppliers[index], invoices) for (pay, index), invoices in runs.items()]
        # a few prepayments to goods suppliers, not yet applied to an invoice
        goods = [s for s in self.suppliers if s.kind == "goods" and s.status == "Active"]
        for _ in range(max(1, len(payments) // 100)):
            s = rng.choice(goods)
            day = _workday(max(s.start, p.first_day) + rng.randrange(
                max(1, p.as_of - max(s.start, p.first_day))))
            payments.append((day, s, None))
        payments.sort(key=lambda x: (x[0], x[1].index))
        for k, (day, s, invoices) in enumerate(payments, start=1):
            ms = _office_ms(rng)
            released = day < p.as_of - 1
            lines: list[dict]
            if invoices is None:
                amount = _cents((5_000 + 60_000 * rng.random()) * p.money)
                kind, status, applied, unapplied, lines = "Prepayment", "Open", 0, amount, []
                released = True
            else:
                kind = "Payment"
                status = "Closed" if released else rng.choice(("Balanced", "PendingPrint"))
                lines = []
                amount = 0
                for inv in invoices:
                    value = _cents(inv["amount"])
                    amount += value
                    lines.append({
                        "docType": "Invoice", "invoiceRefNbr": inv["referenceNumber"],
                        "amountPaid": inv["amount"], "cashDiscountTaken": 0.0,
                        "date": inv["date"], "dueDate": inv["dueDate"],
                        "balance": 0.0 if released else inv["amount"],
                        "description": inv["description"], "currency": self.base,
                        "postPeriod": inv["postPeriod"],
                        "supplierRef": inv["supplierReference"]})
                applied, unapplied = amount, 0
            yield "supplierPayment", {
                "type": kind, "refNbr": f"{k:06d}", "status": status, "hold": False,
                "applicationDate": _date(day), "applicationPeriod": _period(day),
                "paymentRef": f"{_day(day).replace('-', '')}-{k % 1000:03d}",
                "supplier": s.ref, "location": {**self.location, "countryId": s.country},
                "paymentMethod": "BANK", "cashAccount": self.acct["bank"]["number"],
                "currency": self.currency,
                "description": t("pay").format(_day(day)),
                "paymentAmount": _money(amount), "financeCharges": 0.0,
                "unappliedBalance": _money(unapplied), "appliedAmount": _money(applied),
                "released": released,
                "lastModifiedDateTime": _stamp(day, ms), "paymentLines": lines,
                "errorInfo": None}

    # -- receivables ------------------------------------------------------------------------

    def _receivables(self) -> Iterator[tuple[str, dict]]:
        """Customer invoices, debit notes and credit notes from one number series."""
        p, rng = self.p, self.rng("customerinvoice")
        pool = self._picker(self.customers)
        drafts: list[list] = []  # [day, ms, kind, customer, original draft, project, reference]
        for _ in range(p.invoices):
            c, day = self._pick(rng, pool)
            drafts.append([day, _office_ms(rng), "inv", c, None, None, None])
        invoices = list(drafts)
        p20, p20_invoices = None, []
        if p.article:
            # article 20 lists customer debit notes of project 20: a dozen extra charges
            # to the project's customer while it runs
            p20 = self.project_by_id["20"]
            p20_invoices = [d for d in invoices if d[3] is p20["customer"]
                            and p20["start"] <= d[0] <= p20["end"] - 40]
        for kind, count, gap in (("debit", p.debit_notes, (3, 40)),
                                 ("credit", p.credit_notes, (2, 45))):
            made = 0
            while made < count:
                for_p20 = kind == "debit" and made < 12 and p20_invoices
                original = rng.choice(p20_invoices if for_p20 else invoices)
                day = _workday(original[0] + rng.randrange(*gap))
                if day > p.as_of or day <= original[0]:
                    continue
                drafts.append([day, _office_ms(rng), kind, original[3], original,
                               p20 if for_p20 else None, None])
                made += 1
        drafts.sort(key=lambda d: (d[0], d[1]))

        sellable = [it for it in self.items if it.sells and it.cls not in ("70", "90")]
        cumulative = list(accumulate(it.weight for it in sellable))
        fees = [it for it in self.items if it.cls == "70" and it.sells]
        notes = []
        for k, draft in enumerate(drafts):
            draft[6] = f"{p.ar_start + k:06d}"
            record = self._ar_document(rng, draft, sellable, cumulative, fees)
            if draft[2] == "inv":
                yield "customerinvoice", record
            else:
                notes.append(("customerDebitNote" if draft[2] == "debit"
                              else "customerCreditNote", record))
        for entity in ("customerDebitNote", "customerCreditNote"):
            yield from ((e, r) for e, r in notes if e == entity)

    def _ar_document(self, rng: random.Random, draft: list, sellable: list[_Item],
                     cumulative: list[float], fees: list[_Item]) -> dict:
        p, t, lang = self.p, self.t, self.lang
        day, ms, kind, c, original, project, number = draft
        if project is None and kind != "credit":
            project = self.project_for(rng, day, c, 0.6)
        elif kind == "credit" and original is not None:
            project = original[5]
        # lines
        if kind == "inv":
            count = rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
            top = cumulative[-1]
            chosen = {sellable[bisect_right(cumulative, rng.random() * top)].number: None
                      for _ in range(count)}
            items = [self.item_by_number[n] for n in chosen]
        elif kind == "debit":
            items = [rng.choice(fees[1:] or fees)]
        else:
            items = [sellable[bisect_right(cumulative, rng.random() * cumulative[-1])]]
        discount = 10 if c.cls == "1" and rng.random() < 0.15 else 0
        lines, cats, detail = [], [], 0
        area_for_project = "300" if project else None
        for n, item in enumerate(items, start=1):
            if item.type == "ServiceItem":
                q2 = rng.randrange(2, 81)  # half hours
            elif kind == "credit":
                q2 = 2 * rng.randrange(1, 4)
            else:
                q2 = 2 * rng.choice((1, 1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 50))
            price = item.price
            amount = (q2 * price * (100 - discount) + 100) // 200
            detail += amount
            cats.append((item.category, amount))
            entry = self.vat_of[(c.zone, item.category)]
            account = (self.acct["fees_income"] if item.cls == "70" else
                       self.acct["sales_export"] if c.zone == "02" else
                       self.acct["sales_rated"] if entry[3] else self.acct["sales_exempt"])
            lines.append({
                "lineNumber": n, "inventoryNumber": item.number,
                "description": item.description, "quantity": q2 / 2,
                "unitPrice": _money(price), "unitPriceInCurrency": _money(price),
                "manualAmount": False, "amount": _money(amount),
                "amountInCurrency": _money(amount), "account": account,
                "subaccount": self.sub[("10", area_for_project or item.area)],
                "vatCode": entry[1], "uom": item.sales_unit,
                "discountPercent": float(discount), "discountAmount": 0.0,
                "manualDiscount": discount > 0, "branchNumber": self.branch,
                "itemType": item.type, "note": None})
        details, vat, taxable, exempt = self._taxes(c.zone, cats, day)
        total = detail + vat
        due = day + c.terms_days

        # status: unreleased drafts at the end, otherwise paid according to the payer
        status, pay, balance = None, None, total
        m_day, m_ms = day, ms + rng.randrange(60_000, 5_400_000)
        if day > p.as_of - 6 and rng.random() < 0.4:
            status = rng.choices(("Hold", "Balanced", "PendingPrint", "PendingEmail"),
                                 (35, 35, 15, 15))[0]
        elif rng.random() < 0.004:
            status, balance = "Voided", 0
            m_day, m_ms = min(p.as_of, day + rng.randrange(1, 10)), _office_ms(rng)
        elif kind == "credit":
            # a credit note is applied to the customer's next payment or invoice
            pay = min(p.as_of, day + rng.randrange(0, 40))
            if pay < p.as_of - 3 or rng.random() < 0.3:
                status, balance = "Closed", 0
                m_day, m_ms = pay, _office_ms(rng)
            else:
                status, pay = "Open", None
        else:
            profile = c.profile
            if profile == "prompt":
                delay = rng.randrange(-5, 3)
            elif profile == "normal":
                delay = rng.randrange(-2, 16)
            elif profile == "slow":
                delay = rng.randrange(5, 71)
            else:
                delay = rng.randrange(30, 300) if rng.random() < 0.7 else 10_000
            pay = max(day + 1, due + delay)
            if pay <= p.as_of:
                status, balance = "Closed", 0
                m_day, m_ms = pay, _office_ms(rng)
            else:
                status, pay = "Open", None
                if p.as_of > due + 30 and rng.random() < 0.2:
                    # part-paid: the rest is still outstanding
                    balance = total * rng.randrange(20, 81) // 100
                    m_day = due + rng.randrange(1, p.as_of - due)
                    m_ms = _office_ms(rng)
        if (m_day, m_ms) < (day, ms):
            m_day, m_ms = day, ms + 60_000
        if m_ms >= 86_400_000:
            m_day, m_ms = m_day + 1, m_ms - 86_400_000 + 28_800_000

        if project is not None:
            project["income"] += -detail if kind == "credit" else detail
        if kind == "inv":
            text = (t("inv.service").format(_month_label(day, lang))
                    if items[0].type == "ServiceItem"
                    else t("inv.goods").format(date.fromordinal(day).isocalendar()[1]))
        elif kind == "debit":
            text = f"{t('debit')} {original[6]}"
        else:
            text = t("credit").format(original[6])
        customer_ref = str(rng.randrange(4500, 99_999)) if rng.random() < 0.4 else None
        return {
            "documentType": {"inv": "Invoice", "debit": "DebitNote",
                             "credit": "CreditNote"}[kind],
            "referenceNumber": number, "status": status, "hold": status == "Hold",
            "customer": c.ref, "documentDate": _date(day), "documentDueDate": _date(due),
            "cashDiscountDate": _date(day), "origInvoiceDate": _date(day),
            "postPeriod": _period(day), "financialPeriod": _period(day),
            "closedFinancialPeriod": _period(m_day) if status == "Closed" else None,
            "currencyId": self.base, "exchangeRate": 1.0, "amount": _money(total),
            "amountInCurrency": _money(total), "balance": _money(balance),
            "balanceInCurrency": _money(balance), "cashDiscount": 0.0,
            "cashDiscountInCurrency": 0.0, "detailTotal": _money(detail),
            "detailTotalInCurrency": _money(detail), "vatTaxableTotal": _money(taxable),
            "vatTaxableTotalInCurrency": _money(taxable), "vatExemptTotal": _money(exempt),
            "vatExemptTotalInCurrency": _money(exempt), "vatTotal": _money(vat),
            "vatTotalInCurrency": _money(vat), "discountTotal": 0.0,
            "discountTotalInCurrency": 0.0, "roundingDiff": 0.0,
            "creditTerms": c.terms_ref, "paymentMethod": self.payment_method,
            "customerRefNumber": customer_ref,
            "externalReference": f"{c.number}-{number}" if c.einvoice else None,
            "paymentReference": _payment_ref(rng, number),
            "invoiceText": text, "note": None, "location": c.location,
            "branchNumber": self.branch, "cashAccount": self.acct["bank"]["number"],
            "project": ({"id": project["id"], "description": project["description"]}
                        if project else self.project_x),
            "account": self.acct["receivables"], "subaccount": self.sub[("00", "000")],
            "contact": None, "customerVatZone": c.zone_ref,
            "invoiceAddress": c.invoice_address, "invoiceContact": c.invoice_contact,
            "sendToAutoInvoice": c.einvoice, "dontPrint": c.einvoice, "dontEmail": False,
            "attachments": [], "taxDetails": details, "invoiceLines": lines,
            "lastModifiedDateTime": _stamp(m_day, m_ms), "createdDateTime": _stamp(day, ms),
            "errorInfo": None}


# --------------------------------------------------------------------------- generate


def generate(seed: int = DEFAULT_SEED, *, companies: Iterable[int] | None = None
             ) -> Iterator[tuple[int, str, dict]]:
    """Yield every demo record as ``(company_id, entity_name, record)``.

    Parameters
    ----------
    seed
        Same seed, same records (byte for byte once serialised).
    companies
        Company ids to generate (default: all of :data:`COMPANIES`). A subset yields
        exactly the records a full run yields for those companies.

    Yields
    ------
    tuple
        ``entity_name`` is the resource's name as ``surface().resource_name`` spells
        it (``customer``, ``customer/customerClass``, ``journaltransaction`` ...);
        ``record`` is in the API's read shape without ``metadata``, with every field
        of the resource's read DTO. Records of resources listed only below a path
        parameter carry ``"_parent"``, the concrete list path they belong to
        (``"customer/10001/directdebit"``), for the store to strip. The records of one
        company and entity come in their list order (ascending key); entities may
        interleave.

    Raises
    ------
    ValueError
        If ``companies`` names a company that does not exist.
    """
    wanted = None if companies is None else {int(c) for c in companies}
    if wanted is not None:
        unknown = wanted - set(_PLANS)
        if unknown:
            raise ValueError(f"unknown demo company id(s): {sorted(unknown)}; "
                             f"known: {sorted(_PLANS)}")
    from ._demo import company_records

    # The records are trees without cycles, freed by reference counting alone; the
    # cyclic collector would only rescan the large company's live partners, items and
    # ledger postings over and over (about 40 % of the run). It is paused while this
    # generator runs and restored when it finishes or is closed.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for company in COMPANIES:
            if wanted is not None and company.company_id not in wanted:
                continue
            for entity, record in company_records(
                    _Company(_PLANS[company.company_id], seed)):
                yield company.company_id, entity, record
    finally:
        if collecting:
            gc.enable()
