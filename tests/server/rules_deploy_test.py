"""Rule deployment on a running registry in production mode, end to end with
real TLS and PostgreSQL: an operator lists the versions serving, deploys a
signed bundle with `kijun-admin rules deploy`, sees it judge, rolls back;
unsigned, tampered, unknown-key and broken bundles are refused and the rules
serving stay as they were; other roles may not touch the rules.

usage: python3 tests/server/rules_deploy_test.py [BUILD_DIR]"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import Registry, check, finish, main_paths  # noqa: E402

OPERATOR = "ops.ito"
FORM = {"disease": "指定難病/6", "variant": "新規", "date": "2024-06-01",
        "items": {"発症年月": "2019-04", "診断年月日": "2024-05-20", "A-1": "該当",
                  "B-1": "該当", "C-2": "なし", "治療効果": "改善あり",
                  "Hoehn_Yahr": 3, "生活機能障害度": 2}}



class Operator:
    def __init__(self, reg, login=OPERATOR):
        self.reg, self.login = reg, login

    def rules(self, *args):
        user = self.reg.users[self.login]
        env = dict(os.environ, KIJUN_PASSWORD=user["password"])
        if user.get("totp_secret"):
            env["KIJUN_TOTP_SECRET"] = user["totp_secret"]
        p = subprocess.run([f"{self.reg.build}/server/kijun-admin", "rules", *args,
                            "--registry", f"https://localhost:{self.reg.port}",
                            "--pki", self.reg.pki, "--login", self.login],
                           capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr


def kijun(reg, *args):
    return subprocess.run([f"{reg.build}/cli/kijun", *args], capture_output=True, text=True)


def serving_name(reg, client):
    status, out = client.request("GET", "/diseases")
    return {d["disease"]: d["name"] for d in out["diseases"]}.get("指定難病/6"), out["generation"]


def main():
    repo, build = main_paths()
    reg = Registry(repo, build)
    try:
        work = os.path.join(reg.dir, "rules-work")
        keys = os.path.join(reg.dir, "keys")
        os.makedirs(os.path.join(keys, "trusted"))
        os.makedirs(os.path.join(keys, "other"))
        authority = os.path.join(keys, "authority.key")
        check(kijun(reg, "bundle", "keygen", "--private", authority, "--public",
                    os.path.join(keys, "trusted", "authority.pem")).returncode == 0,
              "kijun bundle keygen makes the rule authority's key pair")
        stranger = os.path.join(keys, "stranger.key")
        kijun(reg, "bundle", "keygen", "--private", stranger, "--public",
              os.path.join(keys, "other", "stranger.pem"))
        reg.server_args = ["--production", "--trusted-keys", os.path.join(keys, "trusted"),
                           "--staging", os.path.join(reg.dir, "staging")]
        reg.start()
        op = Operator(reg)

        code, out = op.rules("list")
        check(code == 0 and "指定難病/6" in out and "generation 1" in out,
              "kijun-admin rules list: the versions serving (generation 1)")

        # A revision of 006: the same rules under a revised name.
        shutil.copytree(os.path.join(repo, "diseases"), work)
        path = os.path.join(work, "nanbyo", "006_parkinson.kijun")
        text = open(path, encoding="utf-8").read()
        open(path, "w", encoding="utf-8").write(
            text.replace('"パーキンソン病"', '"パーキンソン病 (改訂版)"', 1))
        revised = os.path.join(reg.dir, "revised.bundle")
        check(kijun(reg, "bundle", "build", work, "--out", revised).returncode == 0,
              "kijun bundle build makes the revised bundle")
        unsigned = os.path.join(reg.dir, "unsigned.bundle")
        shutil.copy(revised, unsigned)
        foreign = os.path.join(reg.dir, "foreign.bundle")
        kijun(reg, "bundle", "sign", revised, "--key", stranger, "--out", foreign)
        check(kijun(reg, "bundle", "sign", revised, "--key", authority).returncode == 0,
              "kijun bundle sign signs it with the authority's key")
        verify = kijun(reg, "bundle", "verify", revised, "--trusted",
                       os.path.join(keys, "trusted"))
        check(verify.returncode == 0 and "合格 / OK" in verify.stdout,
              "kijun bundle verify: signature and manifest hashes")

        doctor = reg.client("terminal-1").login("dr.sato")
        before = serving_name(reg, doctor)

        # Refusals: nothing changes.
        signed = json.load(open(revised, encoding="utf-8"))
        tampered = os.path.join(reg.dir, "tampered.bundle")
        json.dump({**signed, "bundle": signed["bundle"].replace("改訂版", "改竄版")},
                  open(tampered, "w", encoding="utf-8"), ensure_ascii=False)
        broken_dir = os.path.join(reg.dir, "broken-work")
        shutil.copytree(work, broken_dir)
        bundle = json.loads(signed["bundle"])
        bundle["files"]["nanbyo/006_parkinson.kijun"] += "\nlevel ??? :\n"
        broken = os.path.join(reg.dir, "broken.bundle")
        json.dump(bundle, open(broken, "w", encoding="utf-8"), ensure_ascii=False)
        kijun(reg, "bundle", "sign", broken, "--key", authority)
        for name, file, expect in [("unsigned", unsigned, "unsigned"),
                                   ("signed by an unknown key", foreign, "no signature by a trusted key"),
                                   ("tampered after signing", tampered, "signature"),
                                   ("signed but broken", broken, "006_parkinson.kijun")]:
            code, out = op.rules("deploy", file)
            check(code == 1 and expect in out and "still serving generation 1" in out,
                  f"a bundle {name} is refused, saying why ({expect!r})")
            check(serving_name(reg, doctor) == before, f"  … and the rules serving are unchanged")

        status, out = doctor.request("POST", "/check", FORM)
        hash_before = out["rule"]["hash"] if status == 200 else None
        code, out = op.rules("deploy", revised)
        check(code == 0 and "signed by sha256:" in out and "generation 2" in out,
              "kijun-admin rules deploy: the signed revision is serving (generation 2)")
        name, generation = serving_name(reg, doctor)
        check(name == "パーキンソン病 (改訂版)" and generation == 2,
              "new requests see the revised version")
        status, out = doctor.request("POST", "/check", FORM)
        check(status == 200 and out["rule"]["hash"] != hash_before,
              "an instant check judges with the revised version (its own hash)")

        reg.kill_server()
        reg.start_server()
        doctor = reg.client("terminal-1").login("dr.sato")
        check(serving_name(reg, doctor)[0] == "パーキンソン病 (改訂版)",
              "after kill -9 and a restart the deployed bundle is serving again")

        code, out = op.rules("rollback")
        check(code == 0 and "generation 3" in out, "kijun-admin rules rollback")
        check(serving_name(reg, doctor) == (before[0], 3), "the earlier version is serving again")
        reg.kill_server()
        reg.start_server()
        doctor = reg.client("terminal-1").login("dr.sato")
        check(serving_name(reg, doctor) == before,
              "after a restart the rolled-back rules are still the ones serving")
        status, out = doctor.request("POST", "/check", FORM)
        check(status == 200 and out["rule"]["hash"] == hash_before,
              "instant checks use the earlier version's hash again")

        for login in ["dr.sato", "clerk.suzuki", "city.yamada"]:
            c = reg.client("terminal-1").login(login)
            statuses = [c.request("GET", "/rules")[0],
                        c.request("POST", "/rules/bundles", raw=open(revised, "rb").read())[0],
                        c.request("POST", "/rules/rollback")[0]]
            check(statuses == [403, 403, 403], f"{login} may not list, deploy or roll back rules")
        status, _ = reg.client("terminal-1").request("GET", "/rules")
        check(status == 401, "without signing in: 401")
    except Exception:
        print(open(reg.log).read()[-3000:] if os.path.exists(reg.log) else "", file=sys.stderr)
        raise
    finally:
        reg.stop()
    return finish("rule deployment checks")


if __name__ == "__main__":
    sys.exit(main())
