#!/usr/bin/python3
"""ipsecref totp against RFC 6238 Appendix B: every row (SHA1, SHA256 and
SHA512 with their 20-, 32- and 64-octet seeds, 8 digits, X = 30, T0 = 0),
with the seeds written in base32 (Python's base64.b32encode, an encoder
apart from the reference's), as hex: and as otpauth:// key URIs; RFC 4226
Appendix D's count-1 code (step 1 with X = 30 is the time 30); then the
errors: each bad secret, option and time exits 2 naming what is wrong (and
where, for a secret), with --json a JSON error object on stdout.

usage: totp_cases.py IPSECREF
"""
import base64
import json
import subprocess
import sys

SEED20 = b"12345678901234567890"
SEED32 = b"12345678901234567890123456789012"
SEED64 = b"1234567890123456789012345678901234567890123456789012345678901234"

# RFC 6238 Appendix B: (time, TOTP, mode), transcribed from the RFC.
APPENDIX_B = [
    (59, "94287082", "sha1"), (59, "46119246", "sha256"), (59, "90693936", "sha512"),
    (1111111109, "07081804", "sha1"), (1111111109, "68084774", "sha256"), (1111111109, "25091201", "sha512"),
    (1111111111, "14050471", "sha1"), (1111111111, "67062674", "sha256"), (1111111111, "99943326", "sha512"),
    (1234567890, "89005924", "sha1"), (1234567890, "91819424", "sha256"), (1234567890, "93441116", "sha512"),
    (2000000000, "69279037", "sha1"), (2000000000, "90698825", "sha256"), (2000000000, "38618901", "sha512"),
    (20000000000, "65353130", "sha1"), (20000000000, "77737706", "sha256"), (20000000000, "47863826", "sha512"),
]
SEEDS = {"sha1": SEED20, "sha256": SEED32, "sha512": SEED64}


def run(ipsecref, args):
    return subprocess.run([ipsecref, "totp"] + args, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: totp_cases.py IPSECREF")
    ipsecref = sys.argv[1]
    problems = []

    def expect(name, cond, p):
        if not cond:
            problems.append(f"{name}: exit {p.returncode}, stdout {p.stdout[-300:]!r}, stderr {p.stderr[-400:]!r}")

    for time, code, mode in APPENDIX_B:
        seed = SEEDS[mode]
        b32 = base64.b32encode(seed).decode()
        forms = {
            "base32": ["--secret", b32],
            "base32, lower case, no padding": ["--secret", b32.lower().rstrip("=")],
            "hex:": ["--secret", "hex:" + seed.hex()],
        }
        for form, secret in forms.items():
            p = run(ipsecref, secret + ["--algorithm", mode, "--digits", "8", "--time", str(time)])
            expect(f"Appendix B {time} {mode} ({form}): {code}", p.returncode == 0 and p.stdout == code + "\n", p)
        uri = f"otpauth://totp/RFC6238?secret={b32.rstrip('=')}&algorithm={mode.upper()}&digits=8&period=30"
        p = run(ipsecref, ["--secret", uri, "--time", str(time)])
        expect(f"Appendix B {time} {mode} (key URI): {code}", p.returncode == 0 and p.stdout == code + "\n", p)

    # RFC 4226 Appendix D, count 1: 287082; as TOTP, step 1 is the time 30..59.
    b32_20 = base64.b32encode(SEED20).decode()
    for time in (30, 59):
        p = run(ipsecref, ["--secret", b32_20, "--time", str(time)])
        expect(f"RFC 4226 count 1 at {time}: 287082", p.returncode == 0 and p.stdout == "287082\n", p)
    p = run(ipsecref, ["--secret", b32_20, "--time", "60", "--period", "60"])
    expect("--period 60 at 60 is step 1: 287082", p.returncode == 0 and p.stdout == "287082\n", p)
    # Options override the key URI's parameters.
    p = run(ipsecref, ["--secret", f"otpauth://totp/x?secret={b32_20}&digits=8", "--digits", "6", "--time", "59"])
    expect("--digits overrides the URI's", p.returncode == 0 and p.stdout == "287082\n", p)
    p = run(ipsecref, ["--secret", b32_20, "--digits", "8", "--time", "59", "--json"])
    try:
        report = json.loads(p.stdout)
        expect("--json: code, step, seconds remaining", report["code"] == "94287082" and report["step"] == 1
               and report["seconds_remaining"] == 1 and report["algorithm"] == "SHA1", p)
    except (ValueError, KeyError) as e:
        expect(f"--json: a report ({e})", False, p)
    # Without --time: the current code, 6 digits.
    p = run(ipsecref, ["--secret", b32_20])
    expect("now: six digits", p.returncode == 0 and len(p.stdout) == 7 and p.stdout[:6].isdigit(), p)

    # Errors: exit 2, the problem named (and where, for a secret).
    errors = [
        (["--secret", "GEZD0NBV"], "offset 4", "'0' is not a base32 character"),
        (["--secret", "MY==MY=="], "offset 2", "padding before the end"),
        (["--secret", "MZX"], "offset 2", "a last group of 3"),
        (["--secret", "hex:31zz"], "offset 6", "hex secret"),
        (["--secret", "hex:"], "offset 4", "the secret is empty"),
        (["--secret", "otpauth://hotp/x?secret=MY"], "offset 10", "only TOTP"),
        (["--secret", "otpauth://totp/x?secret=MY&digits=9"], "offset 34", "digits '9' is not 6 to 8"),
        (["--secret", "otpauth://totp/x?issuer=a"], "offset 25", "no secret parameter"),
        (["--secret", ""], "--secret", ""),
        (["--secret", b32_20, "--digits", "5"], "--digits", ""),
        (["--secret", b32_20, "--digits", "9"], "--digits", ""),
        (["--secret", b32_20, "--algorithm", "md5"], "--algorithm", ""),
        (["--secret", b32_20, "--period", "0"], "--period", ""),
        (["--secret", b32_20, "--period", "4294967296"], "--period", ""),
        (["--secret", b32_20, "--time", "-1"], "--time", ""),
        (["--secret", b32_20, "--time", "nan"], "--time", ""),
        (["--time", "59"], "--secret", "required"),
    ]
    for args, where, what in errors:
        p = run(ipsecref, args)
        expect(f"{args}: exit 2 naming {where} {what}", p.returncode == 2 and where in p.stderr and what in p.stderr
               and p.stdout == "", p)
        q = run(ipsecref, args + ["--json"])
        try:
            error = json.loads(q.stdout)["error"]
            expect(f"{args} --json: an error object", error["command"] == "totp" and error["exit_code"] == 2, q)
        except (ValueError, KeyError, TypeError) as e:
            expect(f"{args} --json: an error object ({e})", False, q)
    # The secret itself is never echoed in an error.
    p = run(ipsecref, ["--secret", "SECRETSECRET1", "--time", "59"])
    expect("a refused secret is not echoed", p.returncode == 2 and "SECRETSECRET" not in p.stderr, p)

    for problem in problems:
        print("FAIL", problem)
    print(f"totp_cases: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
