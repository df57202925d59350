-- TOTP secrets sealed at rest (docs/security.md), the way the tiers' records
-- are (migration 006): each user with a second factor gets a data key of
-- its own, stored here wrapped by the key-encryption key outside the
-- database, and the secret is sealed (AES-256-GCM) bound to
-- "registry.users/<id>/totp_secret". The plaintext column stays, emptied,
-- so that secrets stored before this migration are sealed by the server at
-- start (server/legacy_sealing.cc) and nobody loses their second factor.

CREATE TABLE registry.data_keys (
  id bigserial PRIMARY KEY,
  kek_id text NOT NULL,      -- the KEK that wraps it (kek-<id>.key in the key folder)
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_kek ON registry.data_keys (kek_id);

ALTER TABLE registry.users
  ADD COLUMN data_key_id bigint REFERENCES registry.data_keys (id),
  ADD COLUMN totp_secret_sealed bytea,  -- the base32 secret, sealed
  ADD CONSTRAINT users_sealed_secret_has_key CHECK (totp_secret_sealed IS NULL OR
                                                    data_key_id IS NOT NULL);

-- The application's role adds users with a sealed secret only: it picks the
-- row's id first (the secret is bound to it) and may no longer write the
-- plaintext column.
REVOKE INSERT (totp_secret) ON registry.users FROM kijun_app_registry;
GRANT INSERT (id, data_key_id, totp_secret_sealed) ON registry.users TO kijun_app_registry;
GRANT SELECT, INSERT ON registry.data_keys TO kijun_app_registry;
GRANT USAGE ON SEQUENCE registry.data_keys_id_seq TO kijun_app_registry;
