-- Proof of authorship (docs/security.md): confirming a form signs a
-- statement over its content digest, rule version, physician and time —
-- with the server's key, bound to the physician's authenticated session,
-- and additionally, when the physician confirmed with a signed envelope
-- (docs/envelope.md), the physician's own CMS signature is kept (sealed: it
-- holds the form's content).

ALTER TABLE institution.forms
  ADD COLUMN authorship_statement text,        -- the text the server signed
  ADD COLUMN authorship_signature text,        -- hex DER ECDSA P-256 / SHA-256
  ADD COLUMN physician_signature_sealed bytea; -- the physician's CMS SignedData
