from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marquee.catalog.models import Movie
from tests import factories
from tests.catalog.conftest import image_upload, local_datetime, local_today
from tests.errors import field_codes

MOVIES = "/api/movies/"


def movie_url(movie_id) -> str:
    return f"{MOVIES}{movie_id}/"


def movie_payload(**overrides) -> dict:
    return {"title": "Heat", "duration_minutes": 170, "description": "Cops and robbers."} | (
        overrides
    )


# --- Who may read and write -----------------------------------------------------------------


def test_anyone_can_list_and_read_movies(api_client, db):
    movie = factories.MovieFactory(title="Alien")

    listing = api_client.get(MOVIES)
    detail = api_client.get(movie_url(movie.pk))

    assert listing.status_code == 200
    assert [m["title"] for m in listing.json()["results"]] == ["Alien"]
    assert detail.status_code == 200
    assert detail.json()["title"] == "Alien"


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"),
    [("api_client", 401), ("customer_client", 403), ("admin_client_api", 201)],
)
def test_only_admins_create_movies(request, db, client_fixture, expected_status):
    client = request.getfixturevalue(client_fixture)

    response = client.post(MOVIES, movie_payload(), format="json")

    assert response.status_code == expected_status
    assert Movie.objects.count() == (1 if expected_status == 201 else 0)


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"),
    [("api_client", 401), ("customer_client", 403), ("admin_client_api", 200)],
)
def test_only_admins_update_movies(request, db, client_fixture, expected_status):
    movie = factories.MovieFactory(title="Old")
    client = request.getfixturevalue(client_fixture)

    response = client.patch(movie_url(movie.pk), {"title": "New"}, format="json")

    assert response.status_code == expected_status
    movie.refresh_from_db()
    assert movie.title == ("New" if expected_status == 200 else "Old")


def test_customers_cannot_delete_movies(customer_client, api_client, db):
    movie = factories.MovieFactory()

    assert api_client.delete(movie_url(movie.pk)).status_code == 401
    assert customer_client.delete(movie_url(movie.pk)).status_code == 403
    assert Movie.objects.filter(pk=movie.pk).exists()


def test_admin_deletes_an_unscheduled_movie(admin_client_api, db):
    movie = factories.MovieFactory()

    response = admin_client_api.delete(movie_url(movie.pk))

    assert response.status_code == 204
    assert not Movie.objects.filter(pk=movie.pk).exists()


def test_a_scheduled_movie_cannot_be_deleted(admin_client_api, showtime):
    response = admin_client_api.delete(movie_url(showtime.movie_id))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "movie_in_use"


@pytest.mark.parametrize("movie_id", ["999999", "abc", "99999999999999999999999"])
def test_unknown_movie_is_404_not_found(api_client, admin_client_api, db, movie_id):
    for response in (
        api_client.get(movie_url(movie_id)),
        api_client.get(f"{movie_url(movie_id)}showtimes/"),
        admin_client_api.patch(movie_url(movie_id), {"title": "x"}, format="json"),
        admin_client_api.delete(movie_url(movie_id)),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- Writing movies -------------------------------------------------------------------------


def test_created_movie_is_returned_with_genres_as_slugs_and_names(admin_client_api, db):
    factories.GenreFactory(slug="drama", name="Drama")
    factories.GenreFactory(slug="crime", name="Crime")

    response = admin_client_api.post(
        MOVIES, movie_payload(genres=["drama", "crime"], age_rating="R"), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Heat"
    assert body["duration_minutes"] == 170
    assert body["age_rating"] == "R"
    assert body["poster"] is None
    assert sorted(body["genres"], key=lambda g: g["slug"]) == [
        {"slug": "crime", "name": "Crime"},
        {"slug": "drama", "name": "Drama"},
    ]


def test_patch_changes_only_the_fields_sent(admin_client_api, db):
    drama = factories.GenreFactory(slug="drama")
    movie = factories.MovieFactory(title="Heat", duration_minutes=170)
    movie.genres.add(drama)

    response = admin_client_api.patch(movie_url(movie.pk), {"duration_minutes": 171})

    assert response.status_code == 200
    movie.refresh_from_db()
    assert (movie.title, movie.duration_minutes) == ("Heat", 171)
    assert list(movie.genres.values_list("slug", flat=True)) == ["drama"]


def test_put_replaces_the_movie_and_its_genres(admin_client_api, db):
    factories.GenreFactory(slug="drama")
    factories.GenreFactory(slug="comedy")
    movie = factories.MovieFactory()
    movie.genres.set([factories.GenreFactory(slug="drama")])

    response = admin_client_api.put(
        movie_url(movie.pk), movie_payload(title="Heat 2", genres=["comedy"]), format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Heat 2"
    assert [g["slug"] for g in response.json()["genres"]] == ["comedy"]


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"duration_minutes": 100}, "title", "required"),
        ({"title": "No length"}, "duration_minutes", "required"),
        (movie_payload(title=""), "title", "blank"),
        (movie_payload(title="x" * 201), "title", "max_length"),
        (movie_payload(title=["a", "list"]), "title", "invalid"),
        (movie_payload(duration_minutes="long"), "duration_minutes", "invalid"),
        (movie_payload(duration_minutes=0), "duration_minutes", "min_value"),
        (movie_payload(duration_minutes=-5), "duration_minutes", "min_value"),
        (movie_payload(duration_minutes=601), "duration_minutes", "max_value"),
        (movie_payload(duration_minutes=10**12), "duration_minutes", "max_value"),
        (movie_payload(duration_minutes=90.5), "duration_minutes", "invalid"),
        (movie_payload(release_date="last week"), "release_date", "invalid"),
        (movie_payload(age_rating="XXX"), "age_rating", "invalid_choice"),
        (movie_payload(genres=["no-such-genre"]), "genres", "does_not_exist"),
        (movie_payload(genres="drama"), "genres", "not_a_list"),
        (movie_payload(description="x" * 5001), "description", "max_length"),
    ],
)
def test_an_invalid_movie_is_refused_with_the_field_named(
    admin_client_api, db, payload, field, code
):
    factories.GenreFactory(slug="drama")

    response = admin_client_api.post(MOVIES, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field_codes(response) == {field: [code]}
    assert Movie.objects.count() == 0


def test_a_json_array_body_is_refused(admin_client_api, db):
    response = admin_client_api.post(MOVIES, [movie_payload()], format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_malformed_json_is_refused(admin_client_api, db):
    response = admin_client_api.generic(
        "POST", MOVIES, '{"title": "Heat", ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


# --- Posters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")]
)
def test_a_real_image_poster_is_stored(admin_client_api, db, image_format, extension):
    poster = image_upload(name="upload.bin", image_format=image_format)

    response = admin_client_api.post(MOVIES, movie_payload(poster=poster), format="multipart")

    assert response.status_code == 201
    movie = Movie.objects.get()
    # Named by the format Pillow found, never by the client's file name.
    assert movie.poster.name.startswith("posters/")
    assert movie.poster.name.endswith(f".{extension}")
    assert default_storage.exists(movie.poster.name)
    assert response.json()["poster"].endswith(movie.poster.name)


def test_multipart_create_accepts_several_genres(admin_client_api, db):
    factories.GenreFactory(slug="drama")
    factories.GenreFactory(slug="crime")

    response = admin_client_api.post(
        MOVIES,
        movie_payload(poster=image_upload(), genres=["drama", "crime"]),
        format="multipart",
    )

    assert response.status_code == 201
    assert {g["slug"] for g in response.json()["genres"]} == {"drama", "crime"}


def test_a_text_file_named_png_is_refused(admin_client_api, db):
    fake = SimpleUploadedFile("poster.png", b"this is not an image", content_type="image/png")

    response = admin_client_api.post(MOVIES, movie_payload(poster=fake), format="multipart")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "poster_invalid_type"
    assert error["details"] == {
        "poster": [
            {
                "code": "poster_invalid_type",
                "message": "The poster must be a JPEG, PNG or WebP image.",
            }
        ]
    }
    assert Movie.objects.count() == 0


def test_an_image_of_another_type_is_refused(admin_client_api, db):
    gif = image_upload(name="poster.png", image_format="GIF")

    response = admin_client_api.post(MOVIES, movie_payload(poster=gif), format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "poster_invalid_type"


def test_an_oversized_poster_is_refused(admin_client_api, db, settings):
    settings.POSTER_MAX_BYTES = 1024
    big = image_upload(size=(400, 400))
    big.file.seek(0, 2)
    assert big.file.tell() > 1024
    big.file.seek(0)

    response = admin_client_api.post(MOVIES, movie_payload(poster=big), format="multipart")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "poster_too_large"
    assert error["details"] == {
        "poster": [
            {"code": "poster_too_large", "message": "The poster is larger than 1024 bytes."}
        ],
        "max_bytes": 1024,
    }
    assert Movie.objects.count() == 0


def test_a_poster_can_be_added_replaced_and_removed(
    admin_client_api, db, django_capture_on_commit_callbacks
):
    movie = factories.MovieFactory()

    added = admin_client_api.patch(
        movie_url(movie.pk), {"poster": image_upload()}, format="multipart"
    )
    first = Movie.objects.get().poster.name
    with django_capture_on_commit_callbacks(execute=True):
        replaced = admin_client_api.patch(
            movie_url(movie.pk), {"poster": image_upload(image_format="JPEG")}, format="multipart"
        )
    second = Movie.objects.get().poster.name
    with django_capture_on_commit_callbacks(execute=True):
        removed = admin_client_api.patch(movie_url(movie.pk), {"poster": None}, format="json")

    assert added.status_code == replaced.status_code == removed.status_code == 200
    assert first.endswith(".png") and second.endswith(".jpg")
    # A replaced or removed poster leaves storage once the change is committed.
    assert not default_storage.exists(first)
    assert not default_storage.exists(second)
    assert removed.json()["poster"] is None
    assert Movie.objects.get().poster.name == ""


# --- Listing and filters --------------------------------------------------------------------


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["title"] for m in response.json()["results"]]


def test_search_matches_title_and_description(api_client, db):
    factories.MovieFactory(title="The Night Watch", description="A painting.")
    factories.MovieFactory(title="Daylight", description="Tunnel disaster at night.")
    factories.MovieFactory(title="Sunny", description="Beach.")

    assert titles(api_client.get(MOVIES, {"search": "night"})) == ["Daylight", "The Night Watch"]
    assert titles(api_client.get(MOVIES, {"search": "night tunnel"})) == ["Daylight"]


def test_genre_filter_takes_a_slug(api_client, db):
    drama = factories.GenreFactory(slug="drama")
    crime = factories.GenreFactory(slug="crime")
    both = factories.MovieFactory(title="Both")
    both.genres.set([drama, crime])
    factories.MovieFactory(title="Drama only").genres.set([drama])
    factories.MovieFactory(title="Neither")

    assert titles(api_client.get(MOVIES, {"genre": "drama"})) == ["Both", "Drama only"]
    assert titles(api_client.get(MOVIES, {"genre": "crime"})) == ["Both"]
    assert titles(api_client.get(MOVIES, {"genre": "unknown"})) == []


def test_date_filter_uses_the_theater_local_day_near_midnight(api_client, db):
    berlin = factories.screen_with_seats(theater=factories.TheaterFactory(timezone="Europe/Berlin"))
    day = local_today() + timedelta(days=3)
    # Short films, so both fit on one screen without overlapping.
    late = factories.MovieFactory(title="Late show", duration_minutes=30)
    after_midnight = factories.MovieFactory(title="After midnight", duration_minutes=30)
    factories.ShowtimeFactory(movie=late, screen=berlin, starts_at=local_datetime(day, 23, 30))
    factories.ShowtimeFactory(
        movie=after_midnight, screen=berlin, starts_at=local_datetime(day + timedelta(1), 0, 30)
    )
    # Both start on the same UTC date; only the Berlin date tells them apart.
    assert (
        local_datetime(day, 23, 30).astimezone(UTC).date()
        == local_datetime(day + timedelta(1), 0, 30).astimezone(UTC).date()
    )

    assert titles(api_client.get(MOVIES, {"date": day.isoformat()})) == ["Late show"]
    assert titles(api_client.get(MOVIES, {"date": (day + timedelta(1)).isoformat()})) == [
        "After midnight"
    ]


def test_date_filter_follows_each_theaters_own_timezone(api_client, db):
    los_angeles = factories.screen_with_seats(
        theater=factories.TheaterFactory(timezone="America/Los_Angeles")
    )
    day = local_today("America/Los_Angeles") + timedelta(days=3)
    movie = factories.MovieFactory(title="Evening in LA")
    starts_at = local_datetime(day, 20, 0, tz="America/Los_Angeles")  # the next day in UTC
    factories.ShowtimeFactory(movie=movie, screen=los_angeles, starts_at=starts_at)

    assert titles(api_client.get(MOVIES, {"date": day.isoformat()})) == ["Evening in LA"]
    assert titles(api_client.get(MOVIES, {"date": (day + timedelta(1)).isoformat()})) == []


def test_date_filter_ignores_cancelled_showtimes(api_client, showtime):
    day = showtime.starts_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    assert titles(api_client.get(MOVIES, {"date": day.isoformat()})) == [showtime.movie.title]

    showtime.status = "cancelled"
    showtime.save()

    assert titles(api_client.get(MOVIES, {"date": day.isoformat()})) == []


def test_theater_and_date_filters_match_the_same_showtime(api_client, db):
    here = factories.screen_with_seats()
    there = factories.screen_with_seats()
    day = local_today() + timedelta(days=2)
    movie = factories.MovieFactory(title="Split")
    # Playing here on `day`, and there the day after: not at `there` on `day`.
    factories.ShowtimeFactory(movie=movie, screen=here, starts_at=local_datetime(day, 18))
    factories.ShowtimeFactory(
        movie=movie, screen=there, starts_at=local_datetime(day + timedelta(1), 18)
    )
    factories.MovieFactory(title="Not showing")

    here_id, there_id = here.theater_id, there.theater_id
    assert titles(api_client.get(MOVIES, {"theater": here_id})) == ["Split"]
    assert titles(api_client.get(MOVIES, {"theater": there_id})) == ["Split"]
    assert titles(api_client.get(MOVIES, {"theater": here_id, "date": day})) == ["Split"]
    assert titles(api_client.get(MOVIES, {"theater": there_id, "date": day})) == []


@pytest.mark.parametrize(
    "query",
    [{"date": "2026-13-45"}, {"date": "tomorrow"}, {"theater": "abc"}, {"theater": "1.5"}],
)
def test_malformed_filters_are_400(api_client, db, query):
    response = api_client.get(MOVIES, query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_movie_list_is_paginated(api_client, db):
    factories.MovieFactory.create_batch(25)

    first = api_client.get(MOVIES).json()
    second = api_client.get(MOVIES, {"page": 2}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert len(second["results"]) == 5
    assert api_client.get(MOVIES, {"page": 9}).status_code == 404


def test_movie_list_runs_a_fixed_number_of_queries(api_client, db, django_assert_max_num_queries):
    genres = [factories.GenreFactory() for _ in range(3)]
    screen = factories.screen_with_seats()
    for movie in factories.MovieFactory.create_batch(15):
        movie.genres.set(genres)
        factories.ShowtimeFactory(
            movie=movie, screen=screen, starts_at=timezone.now() + timedelta(days=1 + movie.pk)
        )

    with django_assert_max_num_queries(3):
        response = api_client.get(MOVIES, {"genre": genres[0].slug})
    with django_assert_max_num_queries(4):
        filtered = api_client.get(
            MOVIES,
            {"date": (local_today() + timedelta(days=3)).isoformat(), "theater": screen.theater_id},
        )

    assert len(response.json()["results"]) == 15
    assert filtered.status_code == 200


def test_movie_showtimes_lists_only_upcoming_scheduled_ones(api_client, screen):
    movie = factories.MovieFactory()
    now = timezone.now()
    upcoming = factories.ShowtimeFactory(movie=movie, screen=screen, starts_at=now + timedelta(1))
    factories.ShowtimeFactory(movie=movie, screen=screen, starts_at=now - timedelta(days=1))
    factories.ShowtimeFactory(
        movie=movie, screen=screen, starts_at=now + timedelta(days=2), status="cancelled"
    )
    factories.ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=3))  # another movie

    response = api_client.get(f"{movie_url(movie.pk)}showtimes/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [s["id"] for s in response.json()["results"]] == [upcoming.pk]


def test_genres_are_a_public_list_that_admins_extend(api_client, customer_client, admin_client_api):
    factories.GenreFactory(slug="drama", name="Drama")

    listing = api_client.get("/api/genres/")
    refused = customer_client.post("/api/genres/", {"slug": "noir", "name": "Noir"})
    created = admin_client_api.post("/api/genres/", {"slug": "noir", "name": "Noir"})
    duplicate = admin_client_api.post("/api/genres/", {"slug": "noir", "name": "Noir 2"})

    assert listing.status_code == 200
    assert listing.json() == [{"slug": "drama", "name": "Drama"}]
    assert refused.status_code == 403
    assert created.status_code == 201
    assert duplicate.status_code == 400
