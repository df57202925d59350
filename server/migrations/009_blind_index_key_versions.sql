-- Versioned blind-index keys (docs/security.md): each patient row records
-- the id of the index key its blind_index was computed under, so that the
-- key can be replaced while the registry runs (`kijun-admin
-- rotate-index-key` recomputes each row's index from its decrypted
-- identity, one row per transaction). Rows indexed before this migration
-- are under the key folder's first index key, `index.key`, whose id is
-- "original"; rows not sealed yet (blind_index NULL) get theirs when the
-- server seals them (server/legacy_sealing.cc).

ALTER TABLE institution.patients
  ADD COLUMN blind_index_key text;
UPDATE institution.patients SET blind_index_key = 'original' WHERE blind_index IS NOT NULL;
ALTER TABLE institution.patients
  ADD CONSTRAINT patients_blind_index_has_key CHECK ((blind_index IS NULL) =
                                                     (blind_index_key IS NULL));
CREATE INDEX patients_blind_index_key ON institution.patients (blind_index_key);
