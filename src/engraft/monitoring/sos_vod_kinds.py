"""SOS/VOD as a rule kind: a named criteria set (:func:`engraft.grading.diagnose_sos_vod`) read from the lab series.

The engine sees bilirubin (LOINC 1975-2, 14631-6) and body weight (29463-7). Hepatomegaly, right upper
quadrant pain, ascites, refractory thrombocytopenia, imaging and histology are clinical findings that are not
observations in the catalogue (:mod:`engraft.measurements.observation_catalogue`), so they are never assessed
here: the findings passed to the criteria leave them ``None`` (not assessed).

At each bilirubin or weight result inside the rule's day window the adapter builds the findings of that moment:
the latest bilirubin of the last 72 h (the criteria's own window for the bilirubin value), the weight gain of
the latest weight of the last 72 h over the last weight before day 0, and, for the paediatric set, whether
bilirubin rose on 3 consecutive days (:func:`engraft.grading.organ_toxicity.bilirubin_rising_three_days`, from
the last bilirubin before day 0). Then:

* criteria met from the lab findings alone: a "criteria met" finding (key ``met``);
* otherwise, when at least one lab sign is met and the criteria *would* be met were the signs not assessed
  present: a "possible SOS/VOD: check clinical signs" finding (key ``possible``) that names the lab signs met
  and every sign not assessed. It never says SOS/VOD is present.

One alert per key and episode (the first moment it holds); it stays until a clinician resolves it. The shipped
rules apply EBMT 2016 adult to adults from day 0 to day +21 (classical onset; late onset needs histology or
haemodynamic/ultrasound evidence, which the engine cannot see) and EBMT 2018 paediatric to children.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from pydantic import Field

from engraft.grading import GradingRule
from engraft.grading.organ_toxicity import Population, SignalStatus, bilirubin_rising_three_days
from engraft.grading.sos_vod_diagnosis import (
    EBMT_2016_ADULT_RULE,
    EBMT_2018_PAEDIATRIC_RULE,
    SosVodDiagnosis,
    diagnose_sos_vod,
)
from engraft.grading.sos_vod_findings import SosVodFindings, SosVodSign, WeightGain
from engraft.grading.timed import Reading
from engraft.measurements import Analyte, ConversionBasis, UnitError, conversion
from engraft.monitoring.bilirubin_rise import rises
from engraft.monitoring.columns import microseconds
from engraft.monitoring.episode_series import EpisodeSeries, Rows, in_utc
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.events import SosVodCriteria
from engraft.vocabulary.phrases import Phrase

BILIRUBIN_CODES: Final = ("1975-2", "14631-6")
WEIGHT_CODES: Final = ("29463-7",)
LAB_WINDOW: Final = dt.timedelta(hours=72)
_NOT_OBSERVED: Final = (
    "hepatomegaly",
    "right_upper_quadrant_pain",
    "ascites",
    "refractory_thrombocytopenia",
    "weight_rising_three_days_despite_diuretics",
    "histologically_proven",
    "haemodynamic_or_ultrasound_evidence",
)
_SUPPOSED: Final = dict.fromkeys(_NOT_OBSERVED, True)
"""The findings the engine cannot observe, supposed present: would the criteria then be met?"""
_RULES: Final = {
    SosVodCriteria.EBMT_2016_ADULT: EBMT_2016_ADULT_RULE,
    SosVodCriteria.EBMT_2018_PAEDIATRIC: EBMT_2018_PAEDIATRIC_RULE,
}


class SosVodParameters(RuleParameters):
    criteria: SosVodCriteria = Field(description="EBMT 2016 adult or EBMT 2018 paediatric.")


class SosVodAdapter:
    kind = RuleKind.SOS_VOD
    parameters = SosVodParameters
    published: GradingRule | None = None
    """The criteria set is a parameter: :meth:`published_for` names its rule."""

    def published_for(self, parameters: RuleParameters) -> GradingRule:
        assert isinstance(parameters, SosVodParameters)
        return _RULES[parameters.criteria]

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, SosVodParameters)
        if parameters.criteria not in _RULES:
            raise ValueError(
                f"rule {rule_id}: criteria={parameters.criteria.value!r}; expected one of "
                f"{', '.join(c.value for c in _RULES)} (the sets the engine watches)"
            )

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, SosVodParameters)
        bilirubin = series.rows_of(BILIRUBIN_CODES)
        weights = series.rows_of(WEIGHT_CODES)
        bilirubin_us, weights_us = series.observed_us[bilirubin], series.observed_us[weights]
        base_weight = _last_before_day0(series, weights)
        base_bilirubin = _last_before_day0(series, bilirubin)
        rising_from = None
        if p.criteria is SosVodCriteria.EBMT_2018_PAEDIATRIC and base_bilirubin is not None:
            rising_from = _RisingFrom(series, base_bilirubin, bilirubin)
        moments = np.sort(np.concatenate((bilirubin, weights)))
        days = series.day[moments]
        moments = moments[(days >= 0) & (days >= rule.applies.day_from) & (days <= rule.applies.day_to)]
        window_us = LAB_WINDOW // dt.timedelta(microseconds=1)
        screen = _SignScreen(series, p.criteria, bilirubin, weights, base_weight)
        moments_us = series.observed_us[moments]
        last_bilis = _latest_indexes(bilirubin_us, moments_us, window_us)
        last_weights = _latest_indexes(weights_us, moments_us, window_us)
        risings = None if rising_from is None else rising_from.met_at(moments_us)
        candidates = screen.may_meet(last_bilis, last_weights)
        if risings is not None:
            candidates |= risings
        found: dict[str, Finding] = {}
        for index in np.flatnonzero(candidates).tolist():  # the others meet no lab sign: neither met nor possible
            if len(found) == len(("met", "possible")):
                break  # one finding per key: nothing left to find
            position = int(moments[index])
            last_bili = None if last_bilis[index] < 0 else int(last_bilis[index])
            last_weight = None if last_weights[index] < 0 else int(last_weights[index])
            rising = None if risings is None else bool(risings[index])
            day = int(series.day[position])
            signature = screen.signature(p.criteria, day, last_bili, last_weight, base_weight is not None, rising)
            if signature is not None and signature in _OUTCOMES:
                outcome = _OUTCOMES[signature]
                if outcome is None or outcome in found:
                    continue  # the same signs as a moment already diagnosed (here or in another episode)
            at = series.observation(position).observed_at
            bili = None if last_bili is None else series.observation(int(bilirubin[last_bili]))
            weight = None if last_weight is None else series.observation(int(weights[last_weight]))
            used = [o for o in (bili, weight, base_weight if weight else None) if o is not None]
            gain = None
            if weight is not None and base_weight is not None:
                gain = WeightGain.from_weights(base_weight.quantity, weight.quantity)
            lab = SosVodFindings(
                day_after_hsct=day,
                bilirubin=None if bili is None else bili.quantity,
                weight_gain=gain,
                bilirubin_rising_three_days=rising,
            )
            actual = diagnose_sos_vod(lab, p.criteria)
            key: str | None = None
            if actual.met:
                key = "met"
            elif actual.signs_met and diagnose_sos_vod(lab.model_copy(update=_SUPPOSED), p.criteria).met:
                key = "possible"
            if signature is not None:
                if len(_OUTCOMES) >= _OUTCOMES_KEPT:
                    _OUTCOMES.clear()
                _OUTCOMES[signature] = key
            if key is not None and key not in found:
                found[key] = _finding(rule, context, key, actual, used, at)
        return list(found.values())


def _last_before_day0(series: EpisodeSeries, rows: Rows) -> MonitoredObservation | None:
    before = rows[series.day[rows] < 0]
    return series.observation(int(before[-1])) if len(before) else None


def _latest_indexes(
    times: npt.NDArray[np.int64], moments: npt.NDArray[np.int64], window_us: int
) -> npt.NDArray[np.intp]:
    """For each moment, the index of the last result observed in the ``window_us`` up to it (series order: time,
    then id); -1 where there is none."""
    last = np.searchsorted(times, moments, side="right") - 1
    if not len(times):
        return last
    stale = times[np.maximum(last, 0)] < moments - window_us
    return np.where((last < 0) | stale, -1, last)


_Signature = tuple[SosVodCriteria, int, bool | None, bool | None, bool | None]
_OUTCOMES: dict[_Signature, str | None] = {}
"""The key ("met", "possible" or None) of each signature diagnosed so far, in any episode.

:func:`diagnose_sos_vod` decides ``met`` and ``signs_met`` from its checks' ``met`` values only, and each check the
engine can fill reads one value against one threshold (bilirubin, weight gain) or a flag (rising), besides the day:
two moments with the same signature have the same key. The first moment of a key is diagnosed with its own values
(the explanation names them)."""
_OUTCOMES_KEPT: Final = 10_000


class _SignScreen:
    """Which bilirubin and weight results meet their lab sign of the criteria on their own.

    The engine observes two signs only, bilirubin (at or above the criteria's threshold, in its unit family) and
    weight gain over the pre-transplant weight; the other signs are never assessed. Without one of them (or, for
    the paediatric set, a bilirubin rising on 3 days) the diagnosis is neither met nor possible, so a moment whose
    latest bilirubin and weight meet no sign needs no diagnosis. Each sign is monotone in its value (per unit for
    bilirubin, in kg for the weight), so the grading is asked about O(log n) values, not each result. When a
    value could not be converted (a unit the grading would refuse), every moment is diagnosed, as before.
    """

    def __init__(
        self,
        series: EpisodeSeries,
        criteria: SosVodCriteria,
        bilirubin: Rows,
        weights: Rows,
        base_weight: MonitoredObservation | None,
    ) -> None:
        self._criteria = criteria
        self._series = series
        self.everything = False
        try:
            series.values_in(bilirubin, "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
            kg = series.values_in(weights, "kg")
            base_kg = None if base_weight is None else base_weight.quantity.to("kg")
        except UnitError:
            self.everything = True
            return
        if (kg <= 0).any() or (base_kg is not None and base_kg <= 0):
            self.everything = True  # the grading refuses such a weight: diagnose every moment, as before
            return
        self._bilirubin = np.zeros(len(bilirubin), dtype=bool)
        for unit in np.unique(series.unit[bilirubin]).tolist():
            members = np.flatnonzero(series.unit[bilirubin] == unit)
            self._mark(self._bilirubin, members, series.value[bilirubin][members], bilirubin, self._bilirubin_met)
        self._weight = np.zeros(len(weights), dtype=bool)
        if base_weight is not None:
            self._base = base_weight
            self._mark(self._weight, np.arange(len(weights)), kg, weights, self._weight_met)

    def _mark(
        self,
        flags: npt.NDArray[np.bool_],
        members: npt.NDArray[np.intp],
        values: npt.NDArray[np.float64],
        rows: Rows,
        met: Callable[[MonitoredObservation], bool],
    ) -> None:
        """Flag the ``members`` whose value meets the sign: the smallest such value by binary search."""
        order = members[np.argsort(values, kind="stable")]
        if not len(order) or not met(self._series.observation(int(rows[order[-1]]))):
            return
        low, high = -1, len(order) - 1  # order[low] does not meet the sign (or none), order[high] does
        while high - low > 1:
            middle = (low + high) // 2
            if met(self._series.observation(int(rows[order[middle]]))):
                high = middle
            else:
                low = middle
        flags[order[high:]] = True

    def _bilirubin_met(self, o: MonitoredObservation) -> bool:
        lab = SosVodFindings(day_after_hsct=0, bilirubin=o.quantity)
        return SosVodSign.BILIRUBIN in diagnose_sos_vod(lab, self._criteria).signs_met

    def _weight_met(self, o: MonitoredObservation) -> bool:
        lab = SosVodFindings(day_after_hsct=0, weight_gain=WeightGain.from_weights(self._base.quantity, o.quantity))
        return SosVodSign.WEIGHT_GAIN in diagnose_sos_vod(lab, self._criteria).signs_met

    def signature(
        self,
        criteria: SosVodCriteria,
        day: int,
        bilirubin: int | None,
        weight: int | None,
        has_base_weight: bool,
        rising: bool | None,
    ) -> _Signature | None:
        """What the diagnosis of a moment depends on: the criteria, the day and each sign's check (met, not met or
        not assessed); None when the signs were not screened."""
        if self.everything:
            return None
        bili = None if bilirubin is None else bool(self._bilirubin[bilirubin])
        gain = None if weight is None or not has_base_weight else bool(self._weight[weight])
        return (criteria, day, bili, gain, rising)

    def may_meet(self, bilirubin: npt.NDArray[np.intp], weight: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Whether moments with these latest results (indexes, -1 for none) may be met or possible."""
        if self.everything:
            return np.ones(len(bilirubin), dtype=bool)
        bili = (bilirubin >= 0) & self._bilirubin[np.maximum(bilirubin, 0)] if len(self._bilirubin) else bilirubin >= 0
        gain = (weight >= 0) & self._weight[np.maximum(weight, 0)] if len(self._weight) else weight >= 0
        return np.asarray(bili | gain, dtype=bool)


class _RisingFrom:
    """Whether bilirubin rose on 3 consecutive days from the baseline, with the readings known at a moment.

    :func:`bilirubin_rising_three_days` is met for the readings up to a moment once it is met for the readings up
    to an earlier one (later readings only add days, or raise the last day's highest value, which keeps a rise a
    rise), so the grading is asked about O(log n) prefixes of the series, not about every moment. Readings in
    other time zones than UTC (whose calendar days may not follow the time order) are judged at every moment.
    """

    def __init__(self, series: EpisodeSeries, base: MonitoredObservation, bilirubin: Rows) -> None:
        base_us = microseconds(base.observed_at)
        after = bilirubin[series.observed_us[bilirubin] > base_us]
        self._times = series.observed_us[after]
        self._columns: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float] | None = None
        if in_utc(series, after) and base.observed_at.utcoffset() == dt.timedelta(0):
            try:  # the readings' UTC days and values in mg/dL: no typed reading (bilirubin_rise.rises)
                to_mg = conversion(base.unit, "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
                base_mg = float(to_mg.apply(np.array([base.value]))[0])
                values = series.values_in(after, "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
                self._columns = (series.day[after], values, base_mg)
            except UnitError:
                pass  # the grading raises its own error for such a unit
        self._by_moment = False
        if self._columns is None:
            self._base = _reading(base)
            self._readings = [_reading(o) for o in series.observations(after)]
            self._by_moment = any(r.at.utcoffset() != dt.timedelta(0) for r in (self._base, *self._readings))
        self._first: int | None = None if self._by_moment else self._first_met()

    def _met(self, count: int) -> bool:
        if self._columns is not None:
            days, values, base = self._columns
            return rises(days[:count], values[:count], base)
        signal = bilirubin_rising_three_days(self._base, self._readings[:count], Population.PAEDIATRIC)
        return signal is not None and signal.status is SignalStatus.MET

    def _first_met(self) -> int | None:
        """The fewest readings (in time order) for which the rise is met; None when never."""
        total = len(self._times)
        if not total or not self._met(total):
            return None
        low, high = 0, total  # not met with ``low`` readings, met with ``high``
        while high - low > 1:
            middle = (low + high) // 2
            if self._met(middle):
                high = middle
            else:
                low = middle
        return high

    def met_at(self, moments: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether the rise is met with the readings known at each moment."""
        counts = np.searchsorted(self._times, moments, side="right")
        if self._by_moment:
            return np.array([self._met(int(c)) for c in counts], dtype=bool)
        if self._first is None:
            return np.zeros(len(moments), dtype=bool)
        return np.asarray(counts >= self._first, dtype=bool)


def _reading(o: MonitoredObservation) -> Reading:
    return Reading(at=o.observed_at, quantity=o.quantity)


CRITERIA_MET: Final = Phrase(
    "SOS/VOD criteria ({criteria}) met from the lab findings on day {day}: {met} ({reference})."
)
CRITERIA_POSSIBLE: Final = Phrase(
    "Possible SOS/VOD ({criteria}): check clinical signs. Lab findings on day {day}: {met}. "
    "The criteria would be met only with signs the engine cannot observe; not assessed: {unassessed} ({reference})."
)


def _finding(
    rule: MonitoringRule,
    context: EpisodeContext,
    key: str,
    diagnosis: SosVodDiagnosis,
    used: list[MonitoredObservation],
    at: dt.datetime,
) -> Finding:
    met = "; ".join(c.finding for c in diagnosis.checks if c.met and c.sign is not SosVodSign.ONSET_WINDOW)
    unassessed = ", ".join(s.value for s in diagnosis.not_assessed)
    name = diagnosis.criteria.value
    day = f"{context.day_of(at):+d}"
    reference = rule.source.reference
    if key == "met":
        text = CRITERIA_MET(criteria=name, day=day, met=met, reference=reference)
    else:
        text = CRITERIA_POSSIBLE(criteria=name, day=day, met=met, unassessed=unassessed, reference=reference)
    return Finding(
        key=key,
        triggering=tuple(sorted({o.id for o in used})),
        detected_at=at,
        result_time=max(o.result_time for o in used),
        explanation=text,
    )


SOS_VOD_ADAPTERS: Final = (SosVodAdapter(),)
