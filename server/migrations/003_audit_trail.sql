-- The tamper-evident audit trail (issue 7): one entry per request that
-- touches patient data, accounts or rules. Each entry carries the SHA-256 of
-- the one before it (a hash chain over `seq`), so an edited, removed or
-- reordered entry is found by `kijun-admin audit verify`. The application's
-- role may only append and read: no UPDATE, no DELETE, no TRUNCATE.

CREATE SCHEMA audit;

CREATE TABLE audit.entries (
  seq bigint PRIMARY KEY,          -- 1, 2, 3, … without gaps
  at text NOT NULL,                -- UTC, ISO 8601 with milliseconds, as hashed
  actor text NOT NULL,             -- the signed-in login, or '' before sign-in
  terminal text NOT NULL,          -- the terminal certificate's serial
  remote text NOT NULL,            -- the peer's address
  action text NOT NULL,            -- "POST /forms/12/confirm"
  status integer NOT NULL,         -- the answer's HTTP status
  prev_hash text NOT NULL,         -- hash of entry seq - 1 ('' for the first)
  hash text NOT NULL               -- sha256 of prev_hash and the fields above
);

GRANT USAGE ON SCHEMA audit TO kijun_app_registry;
GRANT SELECT, INSERT ON audit.entries TO kijun_app_registry;
