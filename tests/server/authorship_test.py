"""Integration tests of the proof of authorship (issue 7) against a real
PostgreSQL and real TLS: confirming signs an authorship statement with the
server's key; `kijun-admin forms verify` and the server's periodic sweep find
every later change of a confirmed form's stored content, statement or
signature, and name the form.

usage: python3 tests/server/authorship_test.py [BUILD_DIR]"""

import base64
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import Registry, check, finish, main_paths  # noqa: E402



PATIENT = {"name": "署名 一子", "kana": "しょめい かずこ", "birth_date": "1972-03-04",
           "sex": "女", "insurance_number": "06123456"}
ITEMS = {"発症年月": "2019-04", "診断年月日": "2024-05-20", "A-1": "該当", "B-1": "該当",
         "C-2": "なし", "治療効果": "改善あり", "Hoehn_Yahr": 3, "生活機能障害度": 2}


def draft(clerk, patient_id):
    status, form = clerk.request("POST", "/forms", {"patient_id": patient_id,
                                                     "disease": "指定難病/6", "variant": "新規"})
    assert status == 201, form
    status, form = clerk.request("PUT", f"/forms/{form['id']}",
                                 {"version": form["version"], "date": "2024-06-01",
                                  "municipality": "131016", "items": {**form["items"], **ITEMS}})
    assert status == 200, form
    return form


def verify(reg):
    done = subprocess.run([f"{reg.build}/server/kijun-admin", "forms", "verify", "--db", reg.owner,
                           "--keys", reg.keys, "--pki", reg.pki],
                          capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def test_server_signature(reg):
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    doctor = reg.client("terminal-1").login("dr.sato")
    status, out = clerk.request("POST", "/patients", PATIENT)
    patient = out["id"]
    forms = []
    for _ in range(3):
        form = draft(clerk, patient)
        status, form = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                      {"version": form["version"]})
        check(status == 200 and form["status"] == "confirmed", "the physician confirms a form")
        forms.append(form)
    row = reg.sql(f"SELECT encode(convert_to(authorship_statement, 'UTF8'), 'hex'),"
                  f" authorship_signature FROM institution.forms WHERE id = {forms[0]['id']}")[0]
    statement = bytes.fromhex(row[0]).decode()
    check(f"form: {forms[0]['id']}" in statement and forms[0]["content_digest"] in statement
          and "physician: 13-0001" in statement and "server key" in statement,
          "confirmation stores a statement: form, content digest, physician, server-key session")
    check(PATIENT["name"] not in statement and len(row[1]) > 100,
          "the statement holds no identifying data; the server's signature is stored")
    code, out = verify(reg)
    check(code == 0 and "3 checked" in out, f"forms verify: every confirmed form intact ({out.strip()})")
    return forms


def tamper_and_verify(reg, form_id, update, restore, expect, what):
    reg.sql(update)
    code, out = verify(reg)
    check(code == 1 and f"form {form_id}:" in out and expect in out,
          f"forms verify finds {what} and names form {form_id}")
    reg.sql(restore)


def test_tampering(reg, forms):
    a, b = forms[0]["id"], forms[1]["id"]
    digest = forms[0]["content_digest"]
    row = reg.sql(f"SELECT encode(convert_to(authorship_statement, 'UTF8'), 'hex'),"
                  f" authorship_signature FROM institution.forms WHERE id = {a}")[0]
    tamper_and_verify(
        reg, a,
        f"UPDATE institution.forms SET content_digest = 'sha256:{'0' * 64}' WHERE id = {a}",
        f"UPDATE institution.forms SET content_digest = '{digest}' WHERE id = {a}",
        "content changed after confirmation", "an edited content digest")
    tamper_and_verify(
        reg, a,
        f"UPDATE institution.forms SET authorship_statement ="
        f" replace(authorship_statement, 'confirmed: 20', 'confirmed: 19') WHERE id = {a}",
        f"UPDATE institution.forms SET authorship_statement ="
        f" convert_from(decode('{row[0]}', 'hex'), 'UTF8') WHERE id = {a}",
        "authorship statement does not match", "an edited confirmation time")
    forged = ("3045022100" + "1" * 64 + "0220" + "2" * 64)
    tamper_and_verify(
        reg, a,
        f"UPDATE institution.forms SET authorship_signature = '{forged}' WHERE id = {a}",
        f"UPDATE institution.forms SET authorship_signature = '{row[1]}' WHERE id = {a}",
        "signature over the authorship statement is not valid", "a forged server signature")
    # An insider copies another confirmed form's whole stored content and
    # proof into this one: the ciphertexts are bound to their own row.
    columns = ("data_key_id, items_sealed, judgment_sealed, content_digest,"
               " authorship_statement, authorship_signature")
    saved = reg.sql(f"SELECT data_key_id, items_sealed::text, judgment_sealed::text,"
                    f" content_digest, encode(convert_to(authorship_statement, 'UTF8'), 'hex'),"
                    f" authorship_signature"
                    f" FROM institution.forms WHERE id = {a}")[0]
    tamper_and_verify(
        reg, a,
        f"UPDATE institution.forms SET ({columns}) = (SELECT {columns} FROM institution.forms"
        f" WHERE id = {b}) WHERE id = {a}",
        f"UPDATE institution.forms SET data_key_id = {saved[0]},"
        f" items_sealed = '{saved[1]}'::bytea, judgment_sealed = '{saved[2]}'::bytea,"
        f" content_digest = '{saved[3]}',"
        f" authorship_statement = convert_from(decode('{saved[4]}', 'hex'), 'UTF8'),"
        f" authorship_signature = '{saved[5]}' WHERE id = {a}",
        "does not decrypt", "another form's content and proof copied in")
    code, out = verify(reg)
    check(code == 0, f"restored, every form verifies again ({out.strip()})")


def envelope(reg, physician, payload):
    """A confirmation envelope signed with dev PKI credential `physician`."""
    src = os.path.join(reg.dir, "payload.json")
    out = os.path.join(reg.dir, "payload.cms")
    with open(src, "w") as f:
        f.write(json.dumps(payload, ensure_ascii=False))
    subprocess.run([f"{reg.build}/cli/kijun", "envelope", "seal",
                    "--cert", f"{reg.pki}/{physician}.crt", "--key", f"{reg.pki}/{physician}.key",
                    "--to", f"{reg.pki}/server.crt", src, out], check=True, capture_output=True)
    with open(out, "rb") as f:
        return base64.b64encode(f.read()).decode()


def payload_of(form):
    return {"form": form["id"], "version": form["version"], "disease": form["disease"],
            "variant": form["variant"], "date": form["date"], "items": form["items"]}


def test_physician_envelope(reg):
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    doctor = reg.client("terminal-1").login("dr.sato")
    status, out = clerk.request("POST", "/patients", dict(PATIENT, name="封筒 二子"))
    form = draft(clerk, out["id"])
    refusals = [
        ("physician-2", payload_of(form), 403, "not_confirming_physician",
         "an envelope signed by another physician"),
        ("physician-revoked", payload_of(form), 403, "signer_revoked",
         "an envelope signed with a revoked certificate"),
        ("physician-foreign", payload_of(form), 403, "signer_not_trusted",
         "an envelope signed under another CA (same designation number)"),
        ("physician-1", {**payload_of(form), "items": {**form["items"], "Hoehn_Yahr": 5}}, 409,
         "envelope_mismatch", "an envelope whose signed items differ from the form"),
        ("physician-1", {**payload_of(form), "version": form["version"] - 1}, 409,
         "envelope_mismatch", "an envelope signed for an older version"),
    ]
    for physician, payload, code, name, what in refusals:
        status, out = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                     {"version": form["version"],
                                      "envelope": envelope(reg, physician, payload)})
        check(status == code and out["error"]["code"] == name,
              f"{what} is refused ({status} {out.get('error', {}).get('code')})")
    sealed = base64.b64decode(envelope(reg, "physician-1", payload_of(form)))
    flipped = bytearray(sealed)
    flipped[len(flipped) // 2] ^= 1
    status, out = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                 {"version": form["version"],
                                  "envelope": base64.b64encode(bytes(flipped)).decode()})
    check(status == 400 and out["error"]["code"] in ("decryption_failed", "not_an_envelope"),
          f"a changed envelope byte is refused ({status} {out['error']['code']})")
    status, out = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                 {"version": form["version"], "envelope": "not base64 !"})
    check(status == 400 and out["error"]["code"] == "not_an_envelope", "garbage is refused")
    check(reg.count("institution.forms", f"id = {form['id']} AND status = 'draft'") == 1,
          "after the refusals the form is still an unchanged draft")
    status, confirmed = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                       {"version": form["version"],
                                        "envelope": envelope(reg, "physician-1", payload_of(form))})
    check(status == 200 and confirmed["status"] == "confirmed",
          "the confirming physician's own envelope confirms the form")
    row = reg.sql(f"SELECT encode(convert_to(authorship_statement, 'UTF8'), 'hex'),"
                  f" physician_signature_sealed IS NOT NULL FROM institution.forms"
                  f" WHERE id = {form['id']}")[0]
    statement = bytes.fromhex(row[0]).decode()
    check("physician-signature: sha256:" in statement and row[1] == "t",
          "the physician's SignedData is kept (sealed) and bound into the statement")
    code, out = verify(reg)
    check(code == 0, f"forms verify checks the physician's signature too ({out.strip()})")
    saved = reg.sql(f"SELECT physician_signature_sealed::text FROM institution.forms"
                    f" WHERE id = {form['id']}")[0][0]
    tamper_and_verify(
        reg, form["id"],
        f"UPDATE institution.forms SET physician_signature_sealed = NULL WHERE id = {form['id']}",
        f"UPDATE institution.forms SET physician_signature_sealed = '{saved}'::bytea"
        f" WHERE id = {form['id']}",
        "authorship statement does not match", "a removed physician signature")
    return confirmed


def test_sweep(reg, forms):
    a = forms[2]["id"]
    reg.sql(f"UPDATE institution.forms SET content_digest = 'sha256:{'f' * 64}' WHERE id = {a}")
    reg.kill_server()
    reg.server_args = reg.server_args + ["--authorship-sweep-minutes", "1"]
    reg.start_server()
    deadline = time.time() + 40
    found = []
    while time.time() < deadline and not found:
        time.sleep(2)
        found = reg.sql(f"SELECT detail FROM audit.alerts WHERE rule = 'authorship_broken'"
                        f" AND detail LIKE '臨個票 {a}:%'")
    check(bool(found) and "content changed" in found[0][0],
          "the periodic sweep raises an authorship_broken alert naming the changed form")
    log = open(reg.log).read()
    check("authorship sweep: " in log and "1 broken" in log, "and logs the sweep's result")


def main():
    repo, build = main_paths()
    reg = Registry(repo, build)
    reg.server_args = ["--session-rate-limit", "2000", "--rate-limit", "4000"]
    try:
        reg.start()
        forms = test_server_signature(reg)
        test_tampering(reg, forms)
        test_physician_envelope(reg)
        test_sweep(reg, forms)
    except Exception:
        print(open(reg.log).read()[-3000:] if os.path.exists(reg.log) else "", file=sys.stderr)
        raise
    finally:
        reg.stop()
    return finish("authorship tests")


if __name__ == "__main__":
    sys.exit(main())
