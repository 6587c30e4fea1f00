"""Local times in responses (`local_starts_at`, ...) are RFC 3339 date-times, as documented."""

import re
from datetime import UTC, datetime
from zoneinfo import available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from marquee.common.time import local_iso

RFC_3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
ZONES = sorted(available_timezones())


def test_a_zone_s_old_local_mean_time_is_written_to_the_minute():
    # Berlin kept local mean time, +00:53:28, until 1893; RFC 3339 has no seconds in offsets.
    text = local_iso(datetime(1850, 6, 1, 12, 0, tzinfo=UTC), "Europe/Berlin")

    assert text == "1850-06-01T12:53:00+00:53"
    assert datetime.fromisoformat(text) == datetime(1850, 6, 1, 12, 0, tzinfo=UTC)


@settings(max_examples=300, derandomize=True, database=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_a_local_time_is_an_rfc_3339_date_time_of_the_same_instant(moment, zone):
    text = local_iso(moment, zone)

    assert RFC_3339.match(text), text
    assert datetime.fromisoformat(text) == moment
