"""The day's stool output MAGIC stages lower GI acute GVHD on, from the last three daily outputs.

MAGIC uses "the highest daily stool output in the 3 days prior to the diagnosis of lower GI GVHD to
determine onset stage and, when available, a 3-day average stool volume for subsequent staging" (ASH 2015
abstract of the MAGIC data-collection guidelines; the NCI PDQ footnote to the Harris table also says "use
3-day averages"). :func:`stool_output_for_staging` returns that figure as a :class:`Quantity` for
:class:`~engraft.grading.acute_gvhd_staging.LowerGiFindings`; the three values must be in one dimension
(all per day, or all per kg per day) and are converted to the first one's unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from engraft.measurements import Dimension, Quantity, UnitError, require_dimension

DAYS: Final = 3


class StoolFigure(StrEnum):
    """Which figure of the last three days is staged."""

    ONSET_HIGHEST = "highest daily output of the 3 days before diagnosis (onset stage)"
    THREE_DAY_AVERAGE = "3-day average (stages after onset)"


def stool_output_for_staging(daily_outputs: Sequence[Quantity], figure: StoolFigure) -> Quantity:
    """The output to stage from the last three daily outputs (oldest first), by ``figure``."""
    if len(daily_outputs) != DAYS:
        raise ValueError(
            f"daily_outputs: {len(daily_outputs)} values; expected the daily stool output of each of the last "
            f"{DAYS} days"
        )
    first = daily_outputs[0]
    for index, output in enumerate(daily_outputs):
        require_dimension(
            output, (Dimension.VOLUME_RATE, Dimension.VOLUME_RATE_PER_BODY_MASS), f"daily_outputs[{index}]"
        )
        if output.dimension is not first.dimension:
            raise UnitError(
                f"daily_outputs[{index}]: {output} is not in the same dimension as daily_outputs[0] ({first}); "
                "expected all per day or all per kg per day"
            )
        if output.value < 0:
            raise ValueError(f"daily_outputs[{index}]={output}: a volume cannot be negative; expected >= 0")
    values = [output.to(first.unit.value) for output in daily_outputs]
    value = max(values) if figure is StoolFigure.ONSET_HIGHEST else sum(values) / DAYS
    return Quantity(value=value, unit=first.unit)
