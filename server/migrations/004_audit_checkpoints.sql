-- Signed checkpoints of the audit trail: now and then the server signs the
-- newest entry's sequence number and hash with its own private key, which
-- lives outside the database. Rewriting the chain consistently (every hash
-- recomputed) then still fails `kijun-admin audit verify`, because the
-- signed hash no longer matches. Insert-only for the application's role.

CREATE TABLE audit.checkpoints (
  seq bigint PRIMARY KEY,   -- the entry signed
  hash text NOT NULL,       -- that entry's hash
  at text NOT NULL,         -- UTC, ISO 8601, when signed
  signature text NOT NULL   -- hex DER signature (ECDSA P-256 / SHA-256 with the server key)
);

GRANT SELECT, INSERT ON audit.checkpoints TO kijun_app_registry;
