"""`fast_select.get_by_pk` reads exactly the instance the ORM would, on SQLite and PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marquee.accounts.models import User
from marquee.booking.models import Booking
from marquee.catalog.models import Showtime
from marquee.common.fast_select import get_by_pk

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_user_reads_back_field_for_field_as_the_orm_reads_it(customer):
    customer.last_login = timezone.now() - timedelta(hours=1)
    customer.is_active, customer.first_name = True, "Zoë"
    customer.save()
    fast, orm = get_by_pk(User, customer.pk), User.objects.get(pk=customer.pk)
    assert _fields(fast) == _fields(orm)
    assert isinstance(fast.is_active, bool) and fast.last_login.tzinfo is not None
    assert not fast._state.adding and fast._state.db == orm._state.db
    assert fast.get_deferred_fields() == set()


def test_decimals_datetimes_and_foreign_keys_convert_as_in_the_orm(customer, showtime):
    booking = Booking.objects.create(
        user=customer,
        showtime=showtime,
        expires_at=timezone.now() + timedelta(minutes=10),
        total=Decimal("21.30"),
        currency="EUR",
    )
    fast = get_by_pk(Booking, booking.pk)
    assert _fields(fast) == _fields(Booking.objects.get(pk=booking.pk))
    assert fast.total == Decimal("21.30") and isinstance(fast.total, Decimal)
    orm_showtime = Showtime.objects.get(pk=showtime.pk)
    assert _fields(get_by_pk(Showtime, showtime.pk)) == _fields(orm_showtime)


def test_a_missing_row_is_none_and_a_string_id_is_accepted(customer):
    assert get_by_pk(User, customer.pk + 1000) is None
    assert get_by_pk(User, str(customer.pk)).pk == customer.pk


def test_a_malformed_id_raises_as_the_orm_does():
    with pytest.raises(ValueError):
        get_by_pk(User, "abc")
    with pytest.raises(ValueError):
        User.objects.get(pk="abc")


def test_one_query_and_the_statement_is_built_once(customer, monkeypatch):
    get_by_pk(User, customer.pk)
    from django.db.models.sql import compiler

    def no_compiling(*args, **kwargs):  # pragma: no cover - fails the test if reached
        raise AssertionError("the SELECT was compiled again")

    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", no_compiling)
    with CaptureQueriesContext(connection) as queries:
        assert get_by_pk(User, customer.pk).username == customer.username
    assert len(queries) == 1
