-- The registry's three tiers (the ministry paper's 指定医-医療機関DB, 自治体DB
-- and 国DB) as separate schemas, each written by its own database role with
-- the least privilege it needs, so a tier can move to its own server by
-- configuration alone; and the registry schema with institutions,
-- municipalities, users and sessions.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kijun_app_registry') THEN
    CREATE ROLE kijun_app_registry LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kijun_app_institution') THEN
    CREATE ROLE kijun_app_institution LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kijun_app_municipality') THEN
    CREATE ROLE kijun_app_municipality LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kijun_app_national') THEN
    CREATE ROLE kijun_app_national LOGIN;
  END IF;
END
$$;

CREATE SCHEMA registry;
CREATE SCHEMA institution;
CREATE SCHEMA municipality;
CREATE SCHEMA national;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- ------------------------------------------------------------ registry

CREATE TABLE registry.institutions (
  id bigserial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL
);

CREATE TABLE registry.municipalities (
  id bigserial PRIMARY KEY,
  code text NOT NULL UNIQUE,  -- 全国地方公共団体コード
  name text NOT NULL
);

CREATE TABLE registry.users (
  id bigserial PRIMARY KEY,
  login text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('physician', 'clerk', 'institution_admin',
                                     'municipality_reviewer', 'operator', 'analyst')),
  institution_id bigint REFERENCES registry.institutions (id),
  municipality_id bigint REFERENCES registry.municipalities (id),
  designation_number text,  -- 指定医番号 (physicians)
  password_hash text NOT NULL,
  totp_secret text,         -- base32; required for physicians and reviewers
  totp_last_step bigint NOT NULL DEFAULT 0,
  failed_logins integer NOT NULL DEFAULT 0,
  locked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role NOT IN ('physician', 'clerk', 'institution_admin') OR institution_id IS NOT NULL),
  CHECK (role <> 'municipality_reviewer' OR municipality_id IS NOT NULL),
  CHECK (role <> 'physician' OR designation_number IS NOT NULL)
);

CREATE TABLE registry.sessions (
  token_hash text PRIMARY KEY,  -- SHA-256 of the bearer token; the token is never stored
  user_id bigint NOT NULL REFERENCES registry.users (id),
  terminal_serial text NOT NULL,  -- the client certificate the session is bound to
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON registry.sessions (expires_at);

-- ------------------------------------------------------------ institution tier

CREATE TABLE institution.patients (
  id bigserial PRIMARY KEY,
  institution_id bigint NOT NULL,
  name text NOT NULL,
  kana text NOT NULL,
  birth_date date NOT NULL,
  sex text NOT NULL CHECK (sex IN ('男', '女')),
  insurance_number text,
  created_by bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE institution.forms (
  id bigserial PRIMARY KEY,
  institution_id bigint NOT NULL,
  patient_id bigint NOT NULL REFERENCES institution.patients (id),
  disease text NOT NULL,   -- "指定難病/6"
  variant text NOT NULL,   -- 新規 / 更新 / 継続
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'confirmed')),
  items jsonb NOT NULL DEFAULT '{}'::jsonb,
  form_date date,
  carried_from bigint REFERENCES institution.forms (id),
  carried_items text[] NOT NULL DEFAULT '{}',
  version integer NOT NULL DEFAULT 1,  -- optimistic concurrency for edits
  created_by bigint NOT NULL,
  updated_by bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Set on confirmation, then frozen.
  municipality_code text,
  rule_hash text,
  judgment jsonb,
  content_digest text,
  access_key text UNIQUE,
  confirmed_by bigint,
  confirmed_at timestamptz,
  CHECK (status = 'draft' OR (rule_hash IS NOT NULL AND judgment IS NOT NULL AND
                              access_key IS NOT NULL AND content_digest IS NOT NULL))
);
CREATE INDEX forms_patient ON institution.forms (patient_id, disease);

CREATE TABLE institution.comments (
  id bigserial PRIMARY KEY,
  form_id bigint NOT NULL REFERENCES institution.forms (id),
  item text,  -- the item commented on, or NULL for the whole form
  body text NOT NULL,
  author_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- ------------------------------------------------------------ municipality tier

CREATE TABLE municipality.applications (
  id bigserial PRIMARY KEY,
  access_key text NOT NULL UNIQUE,
  municipality_code text NOT NULL,
  disease text NOT NULL,
  patient jsonb NOT NULL,   -- name, kana, birth date, sex, insurance number
  items jsonb NOT NULL,
  judgment jsonb NOT NULL,
  rule_hash text NOT NULL,
  content_digest text NOT NULL,
  institution_code text NOT NULL,
  physician_designation text NOT NULL,
  received_by bigint NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  decision text CHECK (decision IN ('certified', 'rejected', 'returned')),
  decision_reason text,
  decided_by bigint,
  decided_at timestamptz,
  valid_from date,
  valid_until date,
  consent boolean NOT NULL DEFAULT false,
  consent_at timestamptz,
  CHECK (decision IS NULL OR decided_by IS NOT NULL),
  CHECK (decision IS DISTINCT FROM 'certified' OR (valid_from IS NOT NULL AND valid_until IS NOT NULL))
);

-- ------------------------------------------------------------ national tier

-- The national DB holds no name, kana or insurance number: the research copy
-- is keyed by the access key with birth year-month and sex only.
CREATE TABLE national.registrations (
  id bigserial PRIMARY KEY,
  access_key text NOT NULL UNIQUE,
  disease text NOT NULL,
  birth_year_month text NOT NULL,
  sex text NOT NULL,
  items jsonb NOT NULL,
  judgment jsonb NOT NULL,
  rule_hash text NOT NULL,
  municipality_code text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- ------------------------------------------------------------ privileges

GRANT USAGE ON SCHEMA registry TO kijun_app_registry;
GRANT SELECT ON registry.institutions, registry.municipalities TO kijun_app_registry;
GRANT SELECT, UPDATE (failed_logins, locked, totp_last_step) ON registry.users TO kijun_app_registry;
GRANT SELECT, INSERT, DELETE ON registry.sessions TO kijun_app_registry;

GRANT USAGE ON SCHEMA institution TO kijun_app_institution;
GRANT SELECT, INSERT ON institution.patients, institution.comments TO kijun_app_institution;
GRANT SELECT, INSERT, UPDATE ON institution.forms TO kijun_app_institution;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA institution TO kijun_app_institution;

GRANT USAGE ON SCHEMA municipality TO kijun_app_municipality;
GRANT SELECT, INSERT ON municipality.applications TO kijun_app_municipality;
GRANT UPDATE (decision, decision_reason, decided_by, decided_at, valid_from, valid_until,
              consent, consent_at) ON municipality.applications TO kijun_app_municipality;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA municipality TO kijun_app_municipality;

GRANT USAGE ON SCHEMA national TO kijun_app_national;
GRANT SELECT, INSERT ON national.registrations TO kijun_app_national;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA national TO kijun_app_national;
