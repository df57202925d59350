-- Alerts of the misuse monitor (issue 7): raised from the stream of
-- requests (repeated failed sign-ins, access-key guessing, a user touching
-- more patients than usual, access outside working hours), for operators to
-- review through GET /alerts. Insert-only for the application's role.

CREATE TABLE audit.alerts (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  rule text NOT NULL,       -- failed_logins, access_key_guessing, many_patients, after_hours
  actor text NOT NULL,      -- the login concerned ('' when unknown)
  terminal text NOT NULL,   -- the terminal certificate's serial
  detail text NOT NULL,     -- what was seen, bilingual
  action text NOT NULL      -- what the registry did: 'alert', 'throttled terminal'
);

GRANT SELECT, INSERT ON audit.alerts TO kijun_app_registry;
GRANT USAGE ON SEQUENCE audit.alerts_id_seq TO kijun_app_registry;
