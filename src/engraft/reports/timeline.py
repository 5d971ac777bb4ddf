"""The risks of a transplant on a timeline, with what the team does and what the patient and family can do.

General information, written for this report in plain words, without figures: which risks matter in which
phase, for the type of transplant (graft-versus-host disease only after a donor transplant). The phases
follow the usual course of a transplant; the team says what applies to the patient. Further reading is the
open-access EBMT Handbook (:data:`EBMT_HANDBOOK_2024`); the statements are not quoted from it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from engraft.provenance import Citation, FrozenModel
from engraft.reports.messages import N_, Message, msg
from engraft.vocabulary import TransplantType

EBMT_HANDBOOK_2024: Final = Citation(
    authors="Sureda A, Corbacioglu S, Greco R, Kröger N, Carreras E (eds)",
    title="The EBMT Handbook: Hematopoietic Cell Transplantation and Cellular Therapies, 8th ed.",
    journal="Springer, Cham (open access, CC BY 4.0)",
    year=2024,
    doi="10.1007/978-3-031-44080-9",
)


class PhaseKind(StrEnum):
    CONDITIONING = "conditioning"
    NADIR = "nadir"
    ENGRAFTMENT = "engraftment"
    DISCHARGE = "discharge"
    DAY_100 = "day-100"
    YEAR_1 = "year-1"
    LONG_TERM = "long-term"


class RiskKind(StrEnum):
    ORGAN_TOXICITY = "organ-toxicity"
    SOS_VOD = "sos-vod"
    INFECTION = "infection"
    BLEEDING = "bleeding"
    MUCOSITIS = "mucositis"
    GRAFT_FAILURE = "graft-failure"
    ACUTE_GVHD = "acute-gvhd"
    CHRONIC_GVHD = "chronic-gvhd"
    RELAPSE = "relapse"
    LATE_EFFECTS = "late-effects"


class RiskItem(FrozenModel):
    kind: RiskKind
    name: Message
    what: Message
    team: Message
    you: Message


class Phase(FrozenModel):
    kind: PhaseKind
    name: Message
    when: Message
    risks: tuple[RiskItem, ...]


class _Risk(FrozenModel):
    kind: RiskKind
    name: str
    what: str
    team: str
    you: str
    allogeneic_only: bool = False


def _risk(kind: RiskKind, name: str, what: str, team: str, you: str, allogeneic_only: bool = False) -> _Risk:
    return _Risk(kind=kind, name=name, what=what, team=team, you=you, allogeneic_only=allogeneic_only)


_PHASES: Final[tuple[tuple[PhaseKind, str, str, tuple[_Risk, ...]], ...]] = (
    (
        PhaseKind.CONDITIONING,
        N_("Conditioning"),
        N_("The days before the transplant, when you get strong chemotherapy, sometimes with radiation."),
        (
            _risk(
                RiskKind.ORGAN_TOXICITY,
                N_("Harm to organs"),
                N_("The strong treatment can harm the liver, kidneys, heart or lungs. It often makes you feel sick."),
                N_(
                    "The team checks your blood tests each day, gives fluids and medicines against sickness, and "
                    "changes doses when tests show a problem."
                ),
                N_("Tell the team if you feel sick, have pain, or pass less urine. Drink as much as the team asks."),
            ),
            _risk(
                RiskKind.SOS_VOD,
                N_("Liver blockage (SOS/VOD)"),
                N_(
                    "Small blood vessels in the liver can get blocked. Signs are weight gain, a swollen belly, pain "
                    "under the right ribs and yellow skin. It most often starts in the first weeks."
                ),
                N_("The team weighs you each day, checks liver tests, and may give medicine to prevent or treat it."),
                N_("Tell the team about pain on the right side of your belly, swelling, or yellow skin or eyes."),
            ),
        ),
    ),
    (
        PhaseKind.NADIR,
        N_("Low blood counts"),
        N_("The first weeks after the transplant, before the new cells start to work."),
        (
            _risk(
                RiskKind.INFECTION,
                N_("Infection and fever"),
                N_(
                    "With very few white blood cells, germs can cause serious infections. A fever may be the only sign."
                ),
                N_(
                    "The team keeps your room clean, gives medicines that prevent infection, checks your "
                    "temperature, and starts antibiotics quickly when you have a fever."
                ),
                N_(
                    "Wash your hands often. Visitors who are ill should stay away. Tell a nurse at once about a "
                    "fever, chills or feeling unwell."
                ),
            ),
            _risk(
                RiskKind.BLEEDING,
                N_("Bleeding"),
                N_("Few platelets can cause bruises, nose bleeds or bleeding gums."),
                N_("The team checks your blood counts and gives platelet and red cell transfusions when needed."),
                N_("Use a soft toothbrush and an electric razor. Tell the team about any bleeding or new bruises."),
            ),
            _risk(
                RiskKind.MUCOSITIS,
                N_("Sore mouth and gut (mucositis)"),
                N_("The treatment can cause painful sores in the mouth and throat, and diarrhoea."),
                N_("The team gives mouth care, pain relief and, if you cannot eat, food through a drip or tube."),
                N_("Rinse your mouth as shown. Tell the team when it hurts to eat or swallow."),
            ),
        ),
    ),
    (
        PhaseKind.ENGRAFTMENT,
        N_("Engraftment"),
        N_("When the new cells settle in the bone marrow and blood counts start to rise."),
        (
            _risk(
                RiskKind.GRAFT_FAILURE,
                N_("Slow or failed engraftment"),
                N_(
                    "Rarely, the new cells do not grow well, or stop working later. Then the risk of infection "
                    "and bleeding stays high."
                ),
                N_(
                    "The team counts your blood cells each day. If the cells do not grow, they may give medicines "
                    "that help, more stem cells, or a second transplant."
                ),
                N_("Keep up the care against infection and bleeding until the team says your counts are safe."),
            ),
            _risk(
                RiskKind.ACUTE_GVHD,
                N_("Acute graft-versus-host disease (GVHD)"),
                N_(
                    "The donor's immune cells can attack your body. It often affects the skin (rash), gut "
                    "(diarrhoea) or liver (yellow skin). It can be mild or serious."
                ),
                N_(
                    "You get medicines to prevent GVHD. The team checks your skin, gut and liver, and starts "
                    "treatment early."
                ),
                N_("Tell the team about a new rash, diarrhoea, belly pain, or yellow skin or eyes."),
                allogeneic_only=True,
            ),
        ),
    ),
    (
        PhaseKind.DISCHARGE,
        N_("Going home"),
        N_("When your counts are safe and you can eat, drink and take your medicines."),
        (
            _risk(
                RiskKind.INFECTION,
                N_("Infection at home"),
                N_("Your immune system is still weak for months, so infections are still a risk."),
                N_(
                    "The team sees you often in clinic, checks your blood, and teaches you how to care for your "
                    "line and what to watch for."
                ),
                N_(
                    "Know whom to call and when, day and night. Follow the food safety advice, avoid crowds and "
                    "people who are ill, and take your medicines as prescribed."
                ),
            ),
        ),
    ),
    (
        PhaseKind.DAY_100,
        N_("Up to day 100"),
        N_("The first three months or so after the transplant."),
        (
            _risk(
                RiskKind.ACUTE_GVHD,
                N_("Acute GVHD"),
                N_("Acute GVHD most often starts in these months, and it can come back when medicines are lowered."),
                N_(
                    "The team checks you at each visit, tests your blood for viruses that can wake up again, "
                    "and treats GVHD early."
                ),
                N_("Take your medicines exactly as prescribed and report a rash, diarrhoea or yellow skin."),
                allogeneic_only=True,
            ),
            _risk(
                RiskKind.RELAPSE,
                N_("The disease coming back (relapse)"),
                N_("The disease can come back after a transplant. This is a main reason a transplant does not work."),
                N_(
                    "The team tests your blood or bone marrow for signs of the disease and plans further treatment "
                    "if needed."
                ),
                N_("Go to all your check-ups and tell the team about new symptoms."),
            ),
        ),
    ),
    (
        PhaseKind.YEAR_1,
        N_("The first year"),
        N_("From about three months to one year after the transplant."),
        (
            _risk(
                RiskKind.CHRONIC_GVHD,
                N_("Chronic GVHD"),
                N_(
                    "A longer-lasting GVHD can affect the skin, mouth, eyes, lungs, joints and other organs. It "
                    "can last months or years."
                ),
                N_(
                    "The team looks for early signs at each visit, treats it, and lowers your immune medicines "
                    "slowly and safely."
                ),
                N_(
                    "Report dry eyes or mouth, skin changes, tight joints or shortness of breath. Protect your "
                    "skin from the sun."
                ),
                allogeneic_only=True,
            ),
            _risk(
                RiskKind.INFECTION,
                N_("Infections and vaccines"),
                N_("Your immune system takes a year or more to recover, and old vaccines no longer protect you."),
                N_("The team gives you your vaccines again on a plan, and medicines that prevent some infections."),
                N_("Keep your vaccine appointments and ask before any travel or contact with animals."),
            ),
        ),
    ),
    (
        PhaseKind.LONG_TERM,
        N_("Long term"),
        N_("After the first year, for the rest of your life."),
        (
            _risk(
                RiskKind.LATE_EFFECTS,
                N_("Late effects"),
                N_(
                    "Years later, the treatment can affect the heart, lungs, hormones, bones, eyes (cataracts) and "
                    "the ability to have children."
                ),
                N_("The team offers yearly long-term follow-up with tests to find these problems early."),
                N_(
                    "Go to your yearly check-ups. Do not smoke, keep active, and ask about ways to keep your "
                    "ability to have children before the treatment starts."
                ),
            ),
            _risk(
                RiskKind.LATE_EFFECTS,
                N_("Second cancers"),
                N_(
                    "People who had a transplant have a higher chance of a new, different cancer later in life, "
                    "for example of the skin or mouth."
                ),
                N_("The team advises which cancer checks you need and how often."),
                N_("Protect your skin from the sun, do not smoke, and go to all cancer checks."),
            ),
            _risk(
                RiskKind.RELAPSE,
                N_("Late relapse"),
                N_("Less often, the disease can come back years later."),
                N_("Long-term follow-up includes checks for the disease."),
                N_("Tell the team about new symptoms, even years later."),
            ),
        ),
    ),
)


def timeline(transplant_type: TransplantType) -> tuple[Phase, ...]:
    """The phases and their risks for this type of transplant (GVHD only after a donor transplant)."""
    allogeneic = transplant_type is TransplantType.ALLOGENEIC
    return tuple(
        Phase(
            kind=kind,
            name=msg(name),
            when=msg(when),
            risks=tuple(
                RiskItem(kind=r.kind, name=msg(r.name), what=msg(r.what), team=msg(r.team), you=msg(r.you))
                for r in risks
                if allogeneic or not r.allogeneic_only
            ),
        )
        for kind, name, when, risks in _PHASES
    )
