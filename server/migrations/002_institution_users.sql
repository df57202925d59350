-- Institution administrators (the real system's first-listed physician)
-- manage their institution's physicians and clerks through the API: the
-- registry role may add users and unlock them, nothing more.
GRANT INSERT (login, display_name, role, institution_id, designation_number, password_hash,
              totp_secret) ON registry.users TO kijun_app_registry;
GRANT USAGE ON SEQUENCE registry.users_id_seq TO kijun_app_registry;
