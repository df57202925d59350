-- Encryption at rest (docs/security.md). Identifying data and clinical
-- content leave the plaintext columns: each record gets its own data key
-- (AES-256), stored here wrapped by a key-encryption key that lives outside
-- the database, and its values are sealed (AES-256-GCM) bound to their row
-- and column. The plaintext columns stay, emptied, so that rows written
-- before this migration can be sealed by the server at start
-- (sealing of earlier rows: server/legacy_sealing.cc) and nothing is lost.

CREATE TABLE institution.data_keys (
  id bigserial PRIMARY KEY,
  kek_id text NOT NULL,      -- the KEK that wraps it (kek-<id>.key in the key folder)
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_kek ON institution.data_keys (kek_id);

CREATE TABLE municipality.data_keys (
  id bigserial PRIMARY KEY,
  kek_id text NOT NULL,      -- the KEK that wraps it (kek-<id>.key in the key folder)
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_kek ON municipality.data_keys (kek_id);

CREATE TABLE national.data_keys (
  id bigserial PRIMARY KEY,
  kek_id text NOT NULL,      -- the KEK that wraps it (kek-<id>.key in the key folder)
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_kek ON national.data_keys (kek_id);

-- ------------------------------------------------------------ institution

ALTER TABLE institution.patients
  ALTER COLUMN name DROP NOT NULL,
  ALTER COLUMN kana DROP NOT NULL,
  ALTER COLUMN birth_date DROP NOT NULL,
  ADD COLUMN data_key_id bigint REFERENCES institution.data_keys (id),
  ADD COLUMN identity bytea,      -- {name, kana, birth_date, insurance_number}, sealed
  ADD COLUMN blind_index text;    -- HMAC of name + birth date + insurance number
CREATE INDEX patients_blind_index ON institution.patients (blind_index);

ALTER TABLE institution.forms DROP CONSTRAINT forms_check;
ALTER TABLE institution.forms
  ALTER COLUMN items DROP NOT NULL,
  ALTER COLUMN items DROP DEFAULT,
  ADD COLUMN data_key_id bigint REFERENCES institution.data_keys (id),
  ADD COLUMN items_sealed bytea,
  ADD COLUMN judgment_sealed bytea,
  -- the patient's consent to carry forward a form of another institution
  ADD COLUMN carry_consent boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT forms_confirmed_complete CHECK (
    status = 'draft' OR (rule_hash IS NOT NULL AND
                         (judgment IS NOT NULL OR judgment_sealed IS NOT NULL) AND
                         access_key IS NOT NULL AND content_digest IS NOT NULL));

ALTER TABLE institution.comments
  ALTER COLUMN body DROP NOT NULL,
  ADD COLUMN body_sealed bytea;   -- sealed with the form's data key

-- ------------------------------------------------------------ municipality

ALTER TABLE municipality.applications
  ALTER COLUMN patient DROP NOT NULL,
  ALTER COLUMN items DROP NOT NULL,
  ALTER COLUMN judgment DROP NOT NULL,
  ADD COLUMN data_key_id bigint REFERENCES municipality.data_keys (id),
  ADD COLUMN patient_sealed bytea,
  ADD COLUMN items_sealed bytea,
  ADD COLUMN judgment_sealed bytea,
  ADD COLUMN decision_reason_sealed bytea;

-- ------------------------------------------------------------ national

ALTER TABLE national.registrations
  ALTER COLUMN items DROP NOT NULL,
  ALTER COLUMN judgment DROP NOT NULL,
  ADD COLUMN data_key_id bigint REFERENCES national.data_keys (id),
  ADD COLUMN items_sealed bytea,
  ADD COLUMN judgment_sealed bytea;

-- ------------------------------------------------------------ privileges

GRANT SELECT, INSERT ON institution.data_keys TO kijun_app_institution;
GRANT USAGE ON SEQUENCE institution.data_keys_id_seq TO kijun_app_institution;
GRANT SELECT, INSERT ON municipality.data_keys TO kijun_app_municipality;
GRANT USAGE ON SEQUENCE municipality.data_keys_id_seq TO kijun_app_municipality;
GRANT UPDATE (decision_reason_sealed) ON municipality.applications TO kijun_app_municipality;
GRANT SELECT, INSERT ON national.data_keys TO kijun_app_national;
GRANT USAGE ON SEQUENCE national.data_keys_id_seq TO kijun_app_national;
