"""Who the demo patients are: the published scleroderma case, the demo patient and a synthetic
cohort built to show a known picture (pure: plans only, nothing touches the database).

The synthetic cohort has two halves. A carpal tunnel half on D5W, saline or anaesthetic, as in
the published trials: D5W responds more often and its responses last; saline and anaesthetic
respond less often and their responses fade after a couple of months. A varied half spreads
across the other nerves of the catalogue on D5W. In both, responders respond and worseners
worsen. Some patients carry a clinic tag (their underlying condition), and bilateral or
multi-region patients an index region (the one they came for).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from webapp.demo.answers import Trajectory

SEED = 20251007
SCLERODERMA_CODE = "NT-CASE-001"
DEMO_PATIENT_CODE = "NT-DEMO-001"
# (code, first name, time zone, language): the demo patients who answer in French and Persian
DEMO_PATIENTS_ABROAD = (("NT-DEMO-002", "Camille", "Europe/Paris", "fr"),
                        ("NT-DEMO-003", "Darya", "Asia/Tehran", "fa"))
SCLERODERMA_REGIONS = (
    "median-forearm-left", "ulnar-elbow-left", "medial-antebrachial-cutaneous-forearm-left",
    "sciatic-gluteal-thigh-left", "common-fibular-fibular-head-left",
    "superficial-fibular-lower-leg-left", "dorsal-cutaneous-foot-dorsum-foot-right",
)
SCLERODERMA_NOTES = (
    "All seven nerves released with D5W 3-5 mL; 15% dextrose at forearm trigger points.",
    "Less burning in both hands. Nerves glide more freely; same plan.",
    "Sleeping through the night again. Fascia thinner on ultrasound.",
    "Left foot numbness now occasional. Same plan.",
    "Grips without pain; glide free at elbow and forearm.",
    "Nearly symptom-free; echotexture near normal.",
    "Last session: near-complete resolution. Follow-up at 1, 3, 6 and 12 months.",
)
ZONES = ("Europe/London", "America/New_York", "Asia/Tehran", "Asia/Kolkata",
         "Australia/Adelaide", "Europe/Paris", "America/Los_Angeles", "Asia/Kathmandu")
# Patients in these zones answer in the local language; everyone else in English.
ZONE_LANGUAGES = {"Asia/Tehran": "fa", "Europe/Paris": "fr"}
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Robin", "Maria", "Reza", "Priya", "Tom", "Lena",
               "Omar", "Grace", "Kenji", "Ana", "Dev", "Noor", "Eli", "Sara", "Ivan", "Mina",
               "Joe", "Leila", "Chris", "Ada", "Ben")
CARPAL_TUNNEL = ("median-carpal-tunnel-right", "median-carpal-tunnel-left")
OTHER_REGIONS = (
    "ulnar-elbow-right", "ulnar-elbow-left", "lateral-femoral-cutaneous-inguinal-ligament-right",
    "tibial-tarsal-tunnel-left", "superficial-radial-distal-forearm-right",
    "common-fibular-fibular-head-right", "greater-occipital-occiput-left",
    "lesser-occipital-behind-ear-right", "sciatic-gluteal-thigh-right",
    "superficial-fibular-lower-leg-right", "medial-antebrachial-cutaneous-forearm-right",
    "dorsal-cutaneous-foot-dorsum-foot-left", "ulnar-wrist-left", "median-forearm-right",
)
# (class, share of the arm, relative improvement at the plateau)
RESPONSE_CLASSES = (("responder", 0.45, (0.55, 0.85)), ("partial", 0.25, (0.25, 0.45)),
                    ("non-responder", 0.2, (-0.05, 0.15)), ("worse", 0.1, (-0.6, -0.3)))
WEAKER_CLASSES = (("responder", 0.3, (0.45, 0.7)), ("partial", 0.3, (0.25, 0.45)),
                  ("non-responder", 0.25, (-0.05, 0.15)), ("worse", 0.15, (-0.6, -0.3)))
# Carpal tunnel arms: (injectate, patients out of 32, classes, weeks until a response fades,
# volumes in mL per session)
CTS_ARMS = (("D5W", 20, RESPONSE_CLASSES, None, (1.5, 2.0, 4.0, 5.0)),
            ("saline", 7, WEAKER_CLASSES, 8.0, (5.0,)),
            ("lidocaine", 5, WEAKER_CLASSES, 6.0, (3.0,)))
CONDITIONS = ((),) * 6 + (("diabetes",), ("hypothyroidism",), ("diabetes", "hypothyroidism"),
                          ("rheumatoid arthritis",))
COHORT_SIZE = 64


@dataclass(frozen=True)
class PlannedPatient:
    """Everything needed to create one demo patient and their history."""

    code: str
    first_name: str
    timezone: str
    regions: tuple[str, ...]
    first_session: date
    session_gap_days: int
    session_count: int
    trajectory: Trajectory
    synthetic: bool = True
    miss_rate: float = 0.1
    adverse_week: int | None = None
    channel: str = "email"
    injectate: str = "D5W"
    volume_ml: float | None = None  # None: 3-5 mL, 8-10 mL for sciatic and femoral regions
    tags: tuple[str, ...] = ()
    index_region: str | None = None
    response: str = ""  # the response class it was drawn from (for tests of the picture)
    notes: tuple[str, ...] = ()  # the clinician's note of each session
    language: str = "en"  # of the patient's questions and reminders


def scleroderma_case(today: date) -> PlannedPatient:
    """The published case: 7 regions, weekly sessions weeks 0-6, well at one year."""
    first = today - timedelta(days=7 * 6 + 365 + 21)
    trajectory = Trajectory(baseline=8.0, improvement=0.92, tau_weeks=2.5, noise=0.4,
                            seed=SEED)
    return PlannedPatient(SCLERODERMA_CODE, "Case", "Asia/Tehran", SCLERODERMA_REGIONS, first,
                          7, 7, trajectory, synthetic=False, miss_rate=0.0,
                          tags=("scleroderma",), index_region=SCLERODERMA_REGIONS[0],
                          response="responder", notes=SCLERODERMA_NOTES, language="fa")


def demo_patient(today: date) -> PlannedPatient:
    """A patient starting treatment in three days: their baseline survey is open now."""
    trajectory = Trajectory(baseline=7.0, improvement=0.6, tau_weeks=3, noise=0.5, seed=SEED)
    return PlannedPatient(DEMO_PATIENT_CODE, "Robin", "Europe/London", CARPAL_TUNNEL,
                          today + timedelta(days=3), 7, 4, trajectory)


def demo_patients_abroad(today: date) -> list[PlannedPatient]:
    """Two more patients like Robin, who answer in French and in Persian."""
    robin = demo_patient(today)
    return [replace(robin, code=code, first_name=name, timezone=zone, language=language)
            for code, name, zone, language in DEMO_PATIENTS_ABROAD]


def synthetic_cohort(today: date, size: int = COHORT_SIZE) -> list[PlannedPatient]:
    """The seeded cohort: a carpal tunnel half by injectate, then a varied half."""
    carpal = random.Random(SEED + 1)
    varied = random.Random(SEED)
    arms = [arm for arm in CTS_ARMS for _ in range(arm[1])]
    half = size // 2
    cohort = [_carpal_tunnel_patient(carpal, today, n, arms[(n - 1) * len(arms) // half])
              if n <= half else _varied_patient(varied, today, n)
              for n in range(1, size + 1)]
    return [replace(p, language=ZONE_LANGUAGES.get(p.timezone, "en")) for p in cohort]


def _pick_class(rng: random.Random, classes) -> tuple[str, tuple[float, float]]:
    roll, total = rng.random(), 0.0
    for name, share, span in classes:
        total += share
        if roll <= total:
            return name, span
    return classes[-1][0], classes[-1][2]


def _trajectory(rng, span, n: int, fade: float | None) -> Trajectory:
    return Trajectory(baseline=rng.uniform(4.5, 9.0), improvement=rng.uniform(*span),
                      tau_weeks=rng.uniform(1.5, 5), noise=rng.uniform(0.3, 0.8),
                      seed=SEED + n, fade_after_weeks=fade)


def _carpal_tunnel_patient(rng: random.Random, today: date, n: int, arm) -> PlannedPatient:
    injectate, _, classes, fade, volumes = arm
    name, span = _pick_class(rng, classes)
    # A D5W response sometimes wanes late in the year; a saline or anaesthetic one within weeks.
    fades = fade if fade is not None else (30.0 if rng.random() < 0.25 else None)
    regions = rng.choice((CARPAL_TUNNEL[:1], CARPAL_TUNNEL[1:], CARPAL_TUNNEL))
    return PlannedPatient(
        code=f"NT-SYN-{n:03d}", first_name=rng.choice(FIRST_NAMES), timezone=rng.choice(ZONES),
        regions=regions, first_session=today - timedelta(days=rng.randint(230, 470)),
        session_gap_days=rng.choice((7, 14)), session_count=rng.choice((1, 2, 2, 3)),
        trajectory=_trajectory(rng, span, n, fades if name in ("responder", "partial")
                               else None),
        miss_rate=rng.choice((0.0, 0.05, 0.1)), channel=rng.choice(("email",) * 4 + ("sms",)),
        injectate=injectate, volume_ml=rng.choice(volumes), tags=rng.choice(CONDITIONS),
        index_region=rng.choice(regions) if len(regions) > 1 else None, response=name)


def _varied_patient(rng: random.Random, today: date, n: int) -> PlannedPatient:
    name, span = _pick_class(rng, RESPONSE_CLASSES)
    regions = tuple(dict.fromkeys(rng.sample(OTHER_REGIONS, rng.choice((1, 1, 1, 2, 2, 3)))))
    return PlannedPatient(
        code=f"NT-SYN-{n:03d}", first_name=rng.choice(FIRST_NAMES), timezone=rng.choice(ZONES),
        regions=regions, first_session=today - timedelta(days=rng.randint(-10, 420)),
        session_gap_days=rng.choice((7, 7, 7, 14)), session_count=rng.choice((1, 2, 3, 4, 6)),
        trajectory=_trajectory(rng, span, n, None),
        miss_rate=rng.choice((0.0, 0.05, 0.1, 0.2, 0.35)),
        adverse_week=rng.choice((None,) * 8 + (0, 1)),
        channel=rng.choice(("email",) * 4 + ("sms",)), tags=rng.choice(CONDITIONS),
        index_region=regions[-1] if len(regions) > 1 and rng.random() < 0.5 else None,
        response=name)
