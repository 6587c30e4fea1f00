-- The database ceiling of `make bench`: the SQL of one 4-seat hold, as
-- marquee/booking/services.py::_insert_hold sends it (see docs/benchmarks.md), run by
-- pgbench with no Python anywhere. One pgbench transaction =
--   the hold limits (the buyer's account row locked FOR NO KEY UPDATE, then their held
--   seats counted), INSERT booking (RETURNING id), the stale-hold UPDATE on the four seats,
--   one INSERT of four tickets (RETURNING ids), INSERT of the history event, COMMIT
-- on the real tables with every index, foreign key and the partial unique index on active
-- tickets, on a hall and 2000 showtimes of its own that bench/run.py creates.
--
-- Fresh seats every time, so no unique violation ever aborts a client: the booking id (a
-- sequence, so unique) picks the slot, showtime = first + (id / 125) % pool and four seats at
-- first_seat + (id % 125) * 4 of the 500-seat hall. That is why the booking INSERT comes
-- first here while the application runs the UPDATE first: the same statements touching the
-- same rows, only the order differs. bench/run.py deletes the rows afterwards.
-- Variables (pgbench --define): first_showtime, pool, first_seat, first_user, last_user;
-- BOOKING_ID_SEQUENCE is replaced by the booking id sequence's name.
\set user random(:first_user, :last_user)
BEGIN;
SELECT "accounts_user"."id" FROM "accounts_user" WHERE "accounts_user"."id" = :user
FOR NO KEY UPDATE;
SELECT COUNT("booking_ticket"."id")
           FILTER (WHERE "booking_ticket"."showtime_id" = :first_showtime),
       COUNT("booking_ticket"."id")
FROM "booking_ticket"
INNER JOIN "booking_booking" ON ("booking_ticket"."booking_id" = "booking_booking"."id")
WHERE "booking_booking"."status" = 'pending' AND "booking_booking"."user_id" = :user
  AND "booking_ticket"."held_until" > now() AND "booking_ticket"."status" = 'held';
INSERT INTO booking_booking
    (id, public_id, user_id, showtime_id, status, expires_at, total, currency,
     created_at, updated_at, reminded_at)
SELECT n, gen_random_uuid(), :user, :first_showtime + (n / 125) % :pool, 'pending',
       now() + interval '10 minutes', 46.00, 'EUR', now(), now(), NULL
FROM (SELECT nextval('BOOKING_ID_SEQUENCE') AS n) AS fresh
RETURNING id AS booking, showtime_id AS showtime, :first_seat + (id % 125) * 4 AS seat
\gset
UPDATE booking_ticket SET status = 'expired'
WHERE held_until <= now()
  AND seat_id IN (:seat, :seat + 1, :seat + 2, :seat + 3)
  AND showtime_id = :showtime
  AND status = 'held';
INSERT INTO booking_ticket
    (booking_id, showtime_id, seat_id, price, status, held_until, checked_in_at,
     checked_in_by_id, secret, created_at)
VALUES
    (:booking, :showtime, :seat, 11.50, 'held', now() + interval '10 minutes', NULL, NULL,
     'pgbench0secret00', now()),
    (:booking, :showtime, :seat + 1, 11.50, 'held', now() + interval '10 minutes', NULL, NULL,
     'pgbench0secret01', now()),
    (:booking, :showtime, :seat + 2, 11.50, 'held', now() + interval '10 minutes', NULL, NULL,
     'pgbench0secret02', now()),
    (:booking, :showtime, :seat + 3, 11.50, 'held', now() + interval '10 minutes', NULL, NULL,
     'pgbench0secret03', now())
RETURNING id;
INSERT INTO booking_bookingevent (booking_id, from_status, to_status, actor_id, reason, created_at)
VALUES (:booking, '', 'pending', :user, '', now())
RETURNING id;
COMMIT;
