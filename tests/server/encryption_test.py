"""Integration tests of encryption at rest (issue 7) against a real
PostgreSQL and real TLS: the raw tables hold no identifying plaintext; a
ciphertext moved to another row does not decrypt (and nothing of the other
patient is shown); the blind index finds a patient's forms at another
institution, which are carried forward only with the patient's consent (and
an attempt without it raises an alert); `kijun-admin rotate-key` killed
midway leaves every record readable and resumes to the end;
`kijun-admin rotate-index-key` recomputes every patient's blind index under
a new index key, carry-forward finding earlier forms midway (rows under
either key), after it and with the old index key archived; rows stored
before encryption are sealed at start. The same for the accounts' TOTP
secrets: none is stored in the clear (demo accounts, a user added through
the API, a secret stored in the clear before sealing began), a sealed
secret moved to another user's row does not open, and sign-in with TOTP
works before and after rotate-key.

usage: python3 tests/server/encryption_test.py [BUILD_DIR]"""

import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import Registry, check, finish, main_paths, totp  # noqa: E402



PATIENT = {"name": "暗号 花子", "kana": "あんごう はなこ", "birth_date": "1961-07-23",
           "sex": "女", "insurance_number": "39012345"}
ITEMS = {"発症年月": "2019-04", "診断年月日": "2024-05-20", "A-1": "該当", "B-1": "該当",
         "C-2": "なし", "治療効果": "改善あり", "Hoehn_Yahr": 3, "生活機能障害度": 2}
COMMENT = "旧姓は暗号山です。確認をお願いします"
REASON = "添付の写しに暗号花子様の署名がありません"


def raw_tables(reg):
    """Every row of every tier table (and the data keys), as text."""
    tables = ["institution.patients", "institution.forms", "institution.comments",
              "institution.data_keys", "municipality.applications", "municipality.data_keys",
              "national.registrations", "national.data_keys"]
    return "\n".join(row[0] for t in tables
                     for row in reg.sql(f"SELECT row_to_json(r)::text FROM {t} r"))


def secret_in_clear(reg, secret):
    """Where `secret` (base32) is in registry.users: as text in any column,
    or as bytes inside the sealed column."""
    rows = reg.sql("SELECT row_to_json(u)::text FROM registry.users u")
    text = any(secret in row[0] for row in rows)
    raw = reg.count("registry.users", f"position(convert_to('{secret}', 'UTF8')"
                    " IN coalesce(totp_secret_sealed, ''::bytea)) > 0")
    return text or raw > 0


def sealed_secret_of(reg, login):
    return reg.sql(f"SELECT totp_secret IS NULL, totp_secret_sealed IS NOT NULL,"
                   f" data_key_id IS NOT NULL FROM registry.users WHERE login = '{login}'")[0]


def confirmed_form(reg, clerk, doctor, patient_id):
    status, form = clerk.request("POST", "/forms", {"patient_id": patient_id,
                                                     "disease": "指定難病/6", "variant": "新規"})
    assert status == 201, form
    status, form = clerk.request("PUT", f"/forms/{form['id']}",
                                 {"version": form["version"], "date": "2024-06-01",
                                  "municipality": "131016", "items": {**form["items"], **ITEMS}})
    assert status == 200, form
    status, out = clerk.request("POST", f"/forms/{form['id']}/comments",
                                {"item": "Hoehn_Yahr", "body": COMMENT})
    assert status == 201, out
    status, form = doctor.request("POST", f"/forms/{form['id']}/confirm",
                                  {"version": form["version"]})
    assert status == 200, form
    return form


def test_no_plaintext(reg):
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    doctor = reg.client("terminal-1").login("dr.sato")
    city = reg.client("terminal-2").login("city.yamada")
    status, out = clerk.request("POST", "/patients", PATIENT)
    check(status == 201, "a patient is registered")
    patient = out["id"]
    form = confirmed_form(reg, clerk, doctor, patient)
    key = form["access_key"]
    status, app = city.request("POST", "/applications", {"access_key": key})
    check(status == 201 and app["patient"]["name"] == PATIENT["name"],
          "the municipality receives the application and reads the name")
    status, app = city.request("POST", f"/applications/{key}/decision",
                               {"decision": "returned", "reason": REASON})
    check(status == 200 and app["decision_reason"] == REASON,
          "the municipality returns it with a reason naming the patient")
    status, app = city.request("POST", f"/applications/{key}/consent")
    check(status == 200, "consent copies it to the national tier")

    raw = raw_tables(reg)
    for what, text in [("name", PATIENT["name"]), ("kana", PATIENT["kana"]),
                       ("birth date", PATIENT["birth_date"]),
                       ("insurance number", PATIENT["insurance_number"]),
                       ("comment", COMMENT), ("decision reason", REASON),
                       ("an item value", "改善あり")]:
        check(text not in raw, f"raw tables hold no plaintext {what} ({text})")
    check(reg.count("institution.patients", f"id = {patient} AND identity IS NOT NULL"
                    " AND data_key_id IS NOT NULL AND blind_index ~ '^[0-9a-f]{64}$'") == 1,
          "the patient row has a sealed identity, its data key and a blind index")
    status, read = clerk.request("GET", f"/patients/{patient}")
    check(status == 200 and read["name"] == PATIENT["name"] and
          read["insurance_number"] == PATIENT["insurance_number"],
          "the application decrypts the patient for its users")
    status, comments = doctor.request("GET", f"/forms/{form['id']}/comments")
    check(status == 200 and comments["comments"][0]["body"] == COMMENT,
          "the comment decrypts for the physician")
    analyst = reg.client("terminal-2").login("analyst.kato")
    status, out = analyst.request("GET", "/national/registrations")
    check(status == 200 and out["registrations"][0]["birth_year_month"] == "1961-07",
          "the analyst reads the national copy (birth year-month only)")
    return {"patient": patient, "form": form}


def copy_columns(reg, table, columns, source, victim):
    """What an attacker with database access does: copies COLUMNS (one, or several
    separated by commas) of the row matching SOURCE into the row matching VICTIM."""
    target = f"({columns})" if "," in columns else columns
    reg.sql(f"UPDATE {table} SET {target} = (SELECT {columns} FROM {table} WHERE {source})"
            f" WHERE {victim}")


def test_swapped_ciphertext(reg, state):
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    other = dict(PATIENT, name="別人 次郎", kana="べつじん じろう", insurance_number="11112222")
    status, out = clerk.request("POST", "/patients", other)
    victim = out["id"]
    source = state["patient"]
    backup = reg.sql(f"SELECT identity::text, data_key_id FROM institution.patients"
                     f" WHERE id = {victim}")[0]
    # The attacker with database access copies another row's ciphertext —
    # with and without its data key.
    for what, columns in [("ciphertext only", "identity"),
                          ("ciphertext and data key", "identity, data_key_id")]:
        copy_columns(reg, "institution.patients", columns, f"id = {source}", f"id = {victim}")
        status, out = clerk.request("GET", f"/patients/{victim}")
        check(status == 500 and out["error"]["code"] == "stored_data_unreadable"
              and PATIENT["name"] not in str(out),
              f"a ciphertext moved to another row ({what}) does not decrypt: {status}")
    reg.sql(f"UPDATE institution.patients SET identity = '{backup[0]}'::bytea,"
            f" data_key_id = {backup[1]} WHERE id = {victim}")
    status, out = clerk.request("GET", f"/patients/{victim}")
    check(status == 200 and out["name"] == "別人 次郎", "restored, the row decrypts again")
    # A data key moved between data-key rows does not unwrap either.
    form_key = reg.sql(f"SELECT data_key_id FROM institution.forms"
                       f" WHERE id = {state['form']['id']}")[0][0]
    saved = reg.sql(f"SELECT wrapped::text FROM institution.data_keys WHERE id = {form_key}")[0][0]
    reg.sql(f"UPDATE institution.data_keys SET wrapped = (SELECT wrapped FROM"
            f" institution.data_keys WHERE id = {backup[1]}) WHERE id = {form_key}")
    status, out = clerk.request("GET", f"/forms/{state['form']['id']}")
    check(status == 500 and out["error"]["code"] == "stored_data_unreadable",
          "a wrapped data key moved to another data-key row does not unwrap")
    reg.sql(f"UPDATE institution.data_keys SET wrapped = '{saved}'::bytea WHERE id = {form_key}")
    status, out = clerk.request("GET", f"/forms/{state['form']['id']}")
    check(status == 200 and out["items"]["治療効果"] == "改善あり", "restored, the form reads")
    log = open(reg.log).read()
    check("STORED DATA DOES NOT DECRYPT" in log, "the server log reports the undecryptable data")


def test_carry_forward_by_blind_index(reg, state):
    doctor2 = reg.client("terminal-1").login("dr.other")  # another institution
    # The same patient, written with a full-width space and full-width digits.
    same = dict(PATIENT, name="暗号　花子", insurance_number="３９０１２３４５")
    status, out = doctor2.request("POST", "/patients", same)
    check(status == 201, "another institution registers the same patient")
    patient2 = out["id"]
    index = reg.sql(f"SELECT count(DISTINCT blind_index) FROM institution.patients"
                    f" WHERE id IN ({state['patient']}, {patient2})")[0][0]
    check(index == "1", "both records have the same blind index (name and number normalised)")
    request = {"patient_id": patient2, "disease": "指定難病/6", "variant": "更新",
               "carry_forward": True}
    status, out = doctor2.request("POST", "/forms", request)
    check(status == 403 and out["error"]["code"] == "consent_required",
          f"carrying forward another institution's form without consent is refused: {status}")
    ops = reg.client("terminal-1").login("ops.ito")
    status, alerts = ops.request("GET", "/alerts")
    check(status == 200 and any(a["rule"] == "carry_forward_without_consent" and
                                a["user"] == "dr.other" for a in alerts["alerts"]),
          "the attempt raises a carry_forward_without_consent alert")
    status, form = doctor2.request("POST", "/forms", {**request, "patient_consent": True})
    check(status == 201 and form["carried_from"] == state["form"]["id"]
          and form["carry_consent"] is True and form["items"].get("治療効果") == "改善あり",
          "with the patient's consent the last form (other institution) is carried forward")
    stranger = dict(PATIENT, birth_date="1961-07-24")
    status, out = doctor2.request("POST", "/patients", stranger)
    state["patient2"], state["stranger"] = patient2, out["id"]
    status, out = doctor2.request("POST", "/forms", {**request, "patient_id": out["id"]})
    check(status == 404 and out["error"]["code"] == "nothing_to_carry",
          "another birth date is another patient: nothing to carry")


def test_totp_secrets_sealed(reg):
    secrets = {login: u["totp_secret"] for login, u in reg.users.items() if u["totp_secret"]}
    check(len(secrets) >= 5, f"the demo accounts have TOTP secrets ({len(secrets)})")
    leaked = [login for login, secret in secrets.items() if secret_in_clear(reg, secret)]
    check(not leaked, f"registry.users holds no demo TOTP secret in the clear {leaked}")
    check(all(sealed_secret_of(reg, login) == ["t", "t", "t"] for login in secrets),
          "each demo secret is sealed under a data key of its own; the plaintext column is empty")
    check(reg.count("registry.users", "totp_secret IS NOT NULL") == 0,
          "no row of registry.users has a plaintext TOTP secret")

    admin = reg.client("terminal-1").login("admin.tanaka")
    status, out = admin.request("POST", "/users", {
        "login": "dr.sealed", "display_name": "封印 医師", "role": "physician",
        "designation_number": "13-0077"})
    check(status == 201 and out["totp_secret"],
          "the administrator adds a physician and is shown the TOTP secret once")
    reg.users["dr.sealed"] = {"password": out["initial_password"],
                              "totp_secret": out["totp_secret"]}
    check(not secret_in_clear(reg, out["totp_secret"])
          and sealed_secret_of(reg, "dr.sealed") == ["t", "t", "t"],
          "the new physician's TOTP secret is stored sealed, not in the clear")
    status, me = reg.client("terminal-1").login("dr.sealed").request("GET", "/me")
    check(status == 200 and me["user"]["login"] == "dr.sealed",
          "the new physician signs in with password and TOTP")
    status, out = admin.request("POST", "/users", {"login": "clerk.sealed",
                                                    "display_name": "封印 事務", "role": "clerk"})
    check(status == 201 and "totp_secret" not in out
          and reg.sql("SELECT totp_secret_sealed IS NULL, data_key_id IS NULL FROM"
                      " registry.users WHERE login = 'clerk.sealed'")[0] == ["t", "t"],
          "a clerk is added without a second factor (nothing sealed)")


def test_moved_totp_secret(reg):
    """A sealed secret copied into another user's row does not open there:
    dr.other cannot sign in with dr.sato's secret, with or without its
    data key."""
    source, victim = "dr.sato", "dr.other"
    backup = reg.sql(f"SELECT totp_secret_sealed::text, data_key_id FROM registry.users"
                     f" WHERE login = '{victim}'")[0]
    for what, columns in [("ciphertext only", "totp_secret_sealed"),
                          ("ciphertext and data key", "totp_secret_sealed, data_key_id")]:
        copy_columns(reg, "registry.users", columns, f"login = '{source}'",
                     f"login = '{victim}'")
        client = reg.client("terminal-1")
        status, out = client.request("POST", "/login", {
            "login": victim, "password": reg.users[victim]["password"],
            "totp": totp(reg.users[source]["totp_secret"])})
        check(status == 500 and out["error"]["code"] == "stored_data_unreadable"
              and "token" not in out,
              f"a TOTP secret moved to another user's row ({what}) does not open: {status}")
    reg.sql(f"UPDATE registry.users SET totp_secret_sealed = '{backup[0]}'::bytea,"
            f" data_key_id = {backup[1]} WHERE login = '{victim}'")
    status, me = reg.client("terminal-1").login(victim).request("GET", "/me")
    check(status == 200, "restored, the user signs in with their own secret again")


def admin_rotation(reg, command, *extra):
    """Starts `kijun-admin COMMAND` (rotate-key, rotate-index-key) on the registry's keys."""
    return subprocess.Popen(
        [f"{reg.build}/server/kijun-admin", command, "--db", reg.owner, "--keys", reg.keys,
         "--settle-ms", "1200", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def rotate(reg, *extra):
    return admin_rotation(reg, "rotate-key", *extra)


class PatientWriter:
    """A clerk registering patients named PREFIX n while a rotation runs."""

    def __init__(self, reg, prefix):
        self.written = []
        self._stop = threading.Event()
        self._reg = reg
        self._prefix = prefix
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        writer = self._reg.client("terminal-1").login("clerk.suzuki")
        while not self._stop.is_set():
            status, out = writer.request("POST", "/patients",
                                         dict(PATIENT, name=f"{self._prefix} {len(self.written)}"))
            if status == 201:
                self.written.append(out["id"])
            time.sleep(0.02)

    def stop(self):
        self._stop.set()
        self._thread.join()


def kill_after(process, pattern, times):
    """Reads PROCESS's output until PATTERN has appeared TIMES times, then kills it: the
    rotation interrupted midway. Returns the lines read."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if len(re.findall(pattern, "".join(lines))) >= times:
            break
    process.kill()
    process.wait()
    return lines


def kek_counts(reg):
    rows = reg.sql("SELECT kek_id, count(*) FROM (SELECT kek_id FROM institution.data_keys"
                   " UNION ALL SELECT kek_id FROM municipality.data_keys"
                   " UNION ALL SELECT kek_id FROM national.data_keys"
                   " UNION ALL SELECT kek_id FROM registry.data_keys) k GROUP BY kek_id")
    return {k: int(n) for k, n in rows}


def test_rotate_key(reg):
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    ids = []
    for i in range(150):
        status, out = clerk.request("POST", "/patients",
                                    dict(PATIENT, name=f"回転 {i}", insurance_number=f"7{i:07d}"))
        ids.append(out["id"])
    before = kek_counts(reg)
    check(len(before) == 1, f"before: every data key under one KEK {before}")
    old = next(iter(before))

    # Writes go on while the key is rotated.
    writer = PatientWriter(reg, "書込")
    written = writer.written
    kill_after(rotate(reg, "--batch", "5", "--throttle-ms", "40"), r"re-wrapped", 4)
    midway = kek_counts(reg)
    check(len(midway) == 2 and midway.get(old, 0) > 0,
          f"killed midway: data keys under the old and the new KEK {midway}")
    check(os.path.exists(os.path.join(reg.keys, "rotating")),
          "the key folder records the unfinished rotation")
    unreadable = [i for i in ids + written
                  if clerk.request("GET", f"/patients/{i}")[0] != 200]
    check(not unreadable, f"midway: every patient still reads ({len(ids) + len(written)} read)")

    second = rotate(reg, "--batch", "50")
    out, _ = second.communicate(timeout=120)
    writer.stop()
    check(second.returncode == 0 and "resuming rotation" in out and "rotation finished" in out
          and f"kek-{old}.key" in out and "no longer used" in out,
          "run again, the rotation resumes and finishes; the old KEK is no longer used")
    after = kek_counts(reg)
    check(len(after) == 1 and old not in after,
          f"after: every data key under the new KEK, including those written meanwhile {after}")
    check(not os.path.exists(os.path.join(reg.keys, "rotating")), "the rotation is closed")
    os.rename(os.path.join(reg.keys, f"kek-{old}.key"), os.path.join(reg.dir, "archived.key"))
    unreadable = [i for i in ids + written if clerk.request("GET", f"/patients/{i}")[0] != 200]
    check(not unreadable and written,
          f"with the old KEK archived away, all {len(ids) + len(written)} patients read"
          f" ({len(written)} written during the rotation)")
    check(reg.count("registry.data_keys", f"kek_id = '{old}'") == 0,
          "the TOTP secrets' data keys are re-wrapped too")
    for login in ["dr.sato", "dr.sealed", "city.yamada"]:
        status, me = reg.client("terminal-1").login(login).request("GET", "/me")
        check(status == 200, f"with the old KEK archived away, {login} signs in with TOTP")


def rotate_index(reg, *extra):
    return admin_rotation(reg, "rotate-index-key", *extra)


def index_key_counts(reg):
    rows = reg.sql("SELECT blind_index_key, count(*) FROM institution.patients"
                   " WHERE blind_index_key IS NOT NULL GROUP BY blind_index_key")
    return {k: int(n) for k, n in rows}


def index_key_of(reg, patient):
    return reg.sql(f"SELECT blind_index_key FROM institution.patients WHERE id = {patient}")[0][0]


def carried_from(client, patient):
    """The form a new renewal form for `patient` is carried forward from
    (with the patient's consent), or the error code."""
    status, out = client.request("POST", "/forms", {
        "patient_id": patient, "disease": "指定難病/6", "variant": "更新",
        "carry_forward": True, "patient_consent": True})
    return out["carried_from"] if status == 201 else out["error"]["code"]


def test_rotate_index_key(reg, state):
    """kijun-admin rotate-index-key: every patient's blind index recomputed
    under a new index key while clients write; killed midway, carry-forward
    finds earlier forms across rows under the old and the new key; resumed,
    it finishes (after refusing, by name, a row whose identity does not
    decrypt); with the old index key archived away, and after a restart,
    carry-forward still finds them."""
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    doctor = reg.client("terminal-1").login("dr.sato")
    doctor2 = reg.client("terminal-1").login("dr.other")  # another institution
    before = index_key_counts(reg)
    check(list(before) == ["original"],
          f"before: every patient under the first index key, index.key {before}")
    # Rows are re-indexed in id order: the early patients (state) go first,
    # the ones made now last. A: the first patient (confirmed form, low id)
    # and the same person at the other institution now (high id). B: the
    # other institution's "stranger" (low id) and the same person here with
    # a confirmed form now (high id).
    status, out = doctor2.request("POST", "/patients", PATIENT)
    a_late = out["id"]
    stranger = dict(PATIENT, birth_date="1961-07-24")
    status, out = clerk.request("POST", "/patients", stranger)
    b_form = confirmed_form(reg, clerk, doctor, out["id"])
    check(carried_from(doctor2, a_late) == state["form"]["id"]
          and carried_from(doctor2, state["stranger"]) == b_form["id"],
          "before: carry-forward finds both earlier forms")
    stored = dict(reg.sql("SELECT id, blind_index FROM institution.patients"
                          " WHERE blind_index IS NOT NULL"))

    writer = PatientWriter(reg, "索引")
    written = writer.written
    lines = kill_after(rotate_index(reg, "--batch", "5", "--throttle-ms", "40"),
                       r"patients re-indexed", 4)
    new = open(os.path.join(reg.keys, "index-current")).read().strip()
    midway = index_key_counts(reg)
    check("rotating to" in "".join(lines) and f"index-{new}.key" in "".join(lines)
          and os.path.exists(os.path.join(reg.keys, f"index-{new}.key")),
          f"the rotation names the new index key file (index-{new}.key)")
    check(set(midway) == {"original", new} and midway["original"] > 0,
          f"killed midway: patients under the old and the new index key {midway}")
    check(os.path.exists(os.path.join(reg.keys, "index-rotating")),
          "the key folder records the unfinished index rotation")
    check(index_key_of(reg, state["patient"]) == new and index_key_of(reg, a_late) == "original"
          and index_key_of(reg, state["stranger"]) == new
          and index_key_of(reg, b_form["patient_id"]) == "original",
          "set-up: each pair has one row under each index key")
    check(carried_from(doctor2, a_late) == state["form"]["id"],
          "midway: a patient under the old index key finds the earlier form of a row under"
          " the new one")
    check(carried_from(doctor2, state["stranger"]) == b_form["id"],
          "midway: a patient under the new index key finds the earlier form of a row under"
          " the old one")
    time.sleep(0.5)
    check(written and index_key_of(reg, written[-1]) == new,
          "midway: the server indexes new patients under the new key")

    # A row whose identity does not decrypt is named; the rotation stays open.
    broken = b_form["patient_id"]
    saved = reg.sql(f"SELECT identity::text FROM institution.patients WHERE id = {broken}")[0][0]
    reg.sql(f"UPDATE institution.patients SET identity = (SELECT identity FROM"
            f" institution.patients WHERE id = {a_late}) WHERE id = {broken}")
    second = rotate_index(reg, "--batch", "50")
    out, _ = second.communicate(timeout=120)
    named = (second.returncode == 1 and f"patient {broken} (institution.patients)" in out
             and "does not decrypt" in out and "run rotate-index-key again" in out
             and os.path.exists(os.path.join(reg.keys, "index-rotating")))
    check(named, "a row whose identity does not decrypt is named and the rotation stays open"
          + ("" if named else f":\n{out[-600:]}"))
    check(index_key_counts(reg).get("original") == 1,
          "every other patient is re-indexed; the broken row stays under the old key")
    reg.sql(f"UPDATE institution.patients SET identity = '{saved}'::bytea WHERE id = {broken}")

    third = rotate_index(reg, "--batch", "50")
    out, _ = third.communicate(timeout=120)
    writer.stop()
    finished = (third.returncode == 0 and "resuming rotation" in out
                and "index key rotation finished" in out
                and re.search(r"index\.key: .*no longer used", out) is not None)
    check(finished, "run again, the rotation resumes and finishes; index.key is no longer used"
          + ("" if finished else f":\n{out[-600:]}"))
    after = index_key_counts(reg)
    check(list(after) == [new],
          f"after: every patient under the new index key, those written meanwhile too {after}")
    check(not os.path.exists(os.path.join(reg.keys, "index-rotating")),
          "the index rotation is closed")
    now = dict(reg.sql("SELECT id, blind_index FROM institution.patients"
                       " WHERE blind_index IS NOT NULL"))
    unchanged = [i for i, value in stored.items() if now.get(i) == value]
    check(stored and not unchanged,
          f"every stored index value changed ({len(stored)} patients, unchanged: {unchanged[:5]})")
    same = reg.sql(f"SELECT count(DISTINCT blind_index) FROM institution.patients"
                   f" WHERE id IN ({state['patient']}, {state['patient2']}, {a_late})")[0][0]
    check(same == "1", "the same patient's rows still share one index value")

    os.rename(os.path.join(reg.keys, "index.key"), os.path.join(reg.dir, "archived-index.key"))
    time.sleep(1.2)  # the server notices within a second
    check(carried_from(doctor2, a_late) == state["form"]["id"]
          and carried_from(doctor2, state["stranger"]) == b_form["id"],
          "with the old index key archived away, carry-forward finds both earlier forms")
    log = reg.restart_server()
    check(f"new patients under index key '{new}'; look-ups match '{new}'" in log
          and "WARNING" not in log,
          "a restart without index.key uses the new index key only, and warns of nothing")
    doctor2 = reg.client("terminal-1").login("dr.other")
    check(carried_from(doctor2, a_late) == state["form"]["id"]
          and carried_from(doctor2, state["stranger"]) == b_form["id"],
          "after a restart, carry-forward finds both earlier forms")
    status, out = doctor2.request("POST", "/patients", PATIENT)
    check(status == 201 and index_key_of(reg, out["id"]) == new
          and carried_from(doctor2, out["id"]) == state["form"]["id"],
          "a patient registered after the restart is indexed under the new key and found")


def test_earlier_rows_sealed(reg):
    reg.sql("INSERT INTO institution.patients (institution_id, name, kana, birth_date, sex,"
            " insurance_number, created_by) VALUES (1, '旧行 太郎', 'きゅうぎょう たろう',"
            " '1940-01-02', '男', '55556666', 1)")
    legacy = reg.sql("SELECT max(id) FROM institution.patients")[0][0]
    reg.kill_server()
    reg.start_server()
    row = reg.sql(f"SELECT name IS NULL, identity IS NOT NULL, blind_index IS NOT NULL,"
                  f" blind_index_key FROM institution.patients WHERE id = {legacy}")[0]
    current = open(os.path.join(reg.keys, "index-current")).read().strip()
    check(row == ["t", "t", "t", current],
          f"a row stored in plaintext before encryption is sealed at start, indexed under the"
          f" current index key {row}")
    status, out = reg.client("terminal-1").login("clerk.suzuki").request(
        "GET", f"/patients/{legacy}")
    check(status == 200 and out["name"] == "旧行 太郎" and out["insurance_number"] == "55556666",
          "and reads as before: nothing lost")


def test_earlier_totp_secret_sealed(reg):
    """A secret stored in the clear before sealing began (migration 008) is
    sealed at the next start, once, and signing in keeps working."""
    login = "city.other"
    secret = reg.users[login]["totp_secret"]
    reg.sql(f"UPDATE registry.users SET totp_secret = '{secret}', totp_secret_sealed = NULL,"
            f" data_key_id = NULL WHERE login = '{login}'")
    check(secret_in_clear(reg, secret), "set-up: a TOTP secret stored in the clear")
    status, out = reg.client("terminal-2").request("POST", "/login", {
        "login": login, "password": reg.users[login]["password"], "totp": totp(secret)})
    check(status == 500 and "token" not in out,
          f"a secret written in the clear behind the server's back is not trusted: {status}")
    log = reg.restart_server()
    check("sealed 1 TOTP secrets stored in the clear" in log,
          "the start seals it and says so in the log")
    check(not secret_in_clear(reg, secret) and sealed_secret_of(reg, login) == ["t", "t", "t"],
          "after the start the secret is stored sealed, not in the clear")
    status, me = reg.client("terminal-2").login(login).request("GET", "/me")
    check(status == 200 and me["user"]["login"] == login,
          "and the user signs in with the same secret: nothing lost")
    # This server never saw the KEK archived after rotate-key: a secret it
    # opens now was re-wrapped under the new one.
    status, me = reg.client("terminal-1").login("dr.sato").request("GET", "/me")
    check(status == 200, "after a restart, dr.sato's secret re-wrapped by rotate-key still opens")


def test_loose_key_permissions(reg):
    kek = [f for f in os.listdir(reg.keys) if f.startswith("kek-")][0]
    path = os.path.join(reg.keys, kek)
    os.chmod(path, 0o644)
    reg.kill_server()
    try:
        reg.start_server()
        started = True
    except RuntimeError as e:
        started = False
        message = str(e)
    check(not started and "chmod 600" in message,
          "a key file readable by others is refused at start, with the fix")
    os.chmod(path, 0o600)
    reg.start_server()


def main():
    repo, build = main_paths()
    reg = Registry(repo, build)
    # The rotation test reads a few hundred patients as one clerk.
    reg.server_args = ["--session-rate-limit", "2000", "--rate-limit", "4000",
                       "--patients-per-hour", "100000"]
    try:
        reg.start()
        state = test_no_plaintext(reg)
        test_totp_secrets_sealed(reg)
        test_moved_totp_secret(reg)
        test_swapped_ciphertext(reg, state)
        test_carry_forward_by_blind_index(reg, state)
        test_rotate_key(reg)
        test_rotate_index_key(reg, state)
        test_earlier_rows_sealed(reg)
        test_earlier_totp_secret_sealed(reg)
        test_loose_key_permissions(reg)
        check(open(reg.log).read().count("TOTP secrets stored in the clear") == 1,
              "a later start finds no TOTP secret left to seal (sealing is done once)")
    except Exception:
        print(open(reg.log).read()[-3000:] if os.path.exists(reg.log) else "", file=sys.stderr)
        raise
    finally:
        reg.stop()
    return finish("encryption-at-rest tests")


if __name__ == "__main__":
    sys.exit(main())
