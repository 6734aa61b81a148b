#!/usr/bin/env python3
"""Compare floodwall running an imported SpamAssassin rule set with real
SpamAssassin (spamd -L, local tests only), per message and per rule.

Usage: scripts/sa-compare.py [--phishing N] [--ham N] [--floodwall BIN]
                             [--rules DIR] [--work DIR] [--json OUT]

Steps (nothing is written into the repository):
 1. installs Debian's spamassassin with apt-get when `spamd` is missing;
 2. takes N phishing mails (email/phishing/*.mbox) and N ham mails (spread
    over email/ham/*.mbox) from ../shared/corpora, one file each, in --work;
 3. imports the installed rules with `floodwall rules import-sa` (unless
    --rules names an imported directory);
 4. runs spamd -L on 127.0.0.1 and spamc over every mail, reading the rules
    that fired and the score from X-Spam-Status;
 5. runs `floodwall scan --json --rules DIR` over the same files;
 6. prints agreement per rule kind (per message and imported rule), decision
    agreement at SpamAssassin's threshold, and every rule that disagrees on
    more than 1% of the messages.
The corpora must be present: the script fails, never passes, without them.
"""
import argparse
import collections
import json
import mailbox
import os
import shutil
import socket
import subprocess
import sys
import time

CORPORA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpora", "email")
PORT = 17830


def die(msg):
    print(f"sa-compare: {msg}", file=sys.stderr)
    sys.exit(1)


def ensure_spamassassin():
    if shutil.which("spamd") and shutil.which("spamc"):
        return
    print("installing spamassassin with apt-get...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "spamassassin", "spamc"], check=True,
                   stdout=subprocess.DEVNULL)
    if not (shutil.which("spamd") and shutil.which("spamc")):
        die("spamd/spamc still missing after apt-get")


def take(mbox_paths, n, prefix, out_dir):
    """n messages spread evenly over the mbox files, in file order."""
    per_file = max(1, -(-n // len(mbox_paths)))
    written = []
    for path in mbox_paths:
        for i, msg in enumerate(mailbox.mbox(path)):
            if i >= per_file or len(written) >= n:
                break
            name = os.path.join(out_dir, f"{prefix}-{len(written):04d}.eml")
            with open(name, "wb") as f:
                f.write(msg.as_bytes())
            written.append(name)
        if len(written) >= n:
            break
    return written


def start_spamd():
    proc = subprocess.Popen(
        ["spamd", "-L", "-x", "-i", "127.0.0.1", "-p", str(PORT), "-m", "2",
         "--min-children", "2", "-u", "nobody", "-s", "stderr"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                die("spamd exited at start")
            time.sleep(0.5)
    proc.kill()
    die("spamd did not listen within 60 s")


def spamassassin_verdict(path):
    with open(path, "rb") as f:
        out = subprocess.run(["spamc", "-p", str(PORT), "-s", "10000000"], stdin=f,
                             capture_output=True, check=False).stdout
    msg = mailbox.mboxMessage(out)
    status = msg.get("X-Spam-Status", "")
    status = " ".join(status.split())
    if "score=" not in status:
        return None
    score = float(status.split("score=")[1].split()[0])
    tests = status.split("tests=")[1].split(" autolearn=")[0] if "tests=" in status else ""
    rules = {t.strip() for t in tests.split(",") if t.strip() and t.strip() != "none"}
    return score, rules


def floodwall_verdicts(binary, rules_dir, files, work):
    listing = os.path.join(work, "files")
    out = subprocess.run([binary, "scan", "--json", "--rules", rules_dir, "--format", "eml"] + files,
                         capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        die(f"floodwall scan failed: {out.stderr}")
    verdicts = {}
    for line in out.stdout.splitlines():
        record = json.loads(line)
        names = {s["name"] for s in record["symbols"]}
        verdicts[record["source"]] = (record["score"], names)
    del listing
    return verdicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phishing", type=int, default=200)
    ap.add_argument("--ham", type=int, default=200)
    ap.add_argument("--floodwall", default="target/release/floodwall")
    ap.add_argument("--rules")
    ap.add_argument("--work", default="/tmp/fw-sa-compare")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.isdir(CORPORA):
        die(f"corpora missing at {CORPORA}")
    ensure_spamassassin()
    shutil.rmtree(args.work, ignore_errors=True)
    mails = os.path.join(args.work, "mail")
    os.makedirs(mails)
    phish = sorted(os.path.join(CORPORA, "phishing", f) for f in os.listdir(os.path.join(CORPORA, "phishing")))
    ham = sorted(os.path.join(CORPORA, "ham", f) for f in os.listdir(os.path.join(CORPORA, "ham")))
    files = take(phish, args.phishing, "phishing", mails) + take(ham, args.ham, "ham", mails)
    rules_dir = args.rules or os.path.join(args.work, "sa-rules")
    if not args.rules:
        subprocess.run([args.floodwall, "rules", "import-sa", "-o", rules_dir], check=True,
                       stdout=subprocess.DEVNULL)
    with open(os.path.join(rules_dir, "import-summary.json")) as f:
        summary = json.load(f)
    kind_of = {r["name"]: r["kind"] for r in summary["rules"] if r["outcome"] == "imported"}
    why_not = {r["name"]: (r.get("eval") or str(r["outcome"])) for r in summary["rules"]
               if r["outcome"] != "imported"}
    visible = {n for n in kind_of if not n.startswith("__")}

    t0 = time.time()
    fw = floodwall_verdicts(args.floodwall, rules_dir, files, args.work)
    fw_secs = time.time() - t0
    spamd = start_spamd()
    try:
        t0 = time.time()
        sa = {}
        for path in files:
            v = spamassassin_verdict(path)
            if v is None:
                die(f"spamc gave no X-Spam-Status for {path}")
            sa[path] = v
        sa_secs = time.time() - t0
    finally:
        spamd.terminate()
        spamd.wait()

    missing = [p for p in files if p not in fw]
    if missing:
        die(f"floodwall gave no verdict for {len(missing)} files, e.g. {missing[0]}")
    per_kind = collections.defaultdict(lambda: [0, 0])
    per_rule = collections.defaultdict(lambda: [0, 0])  # SA only, floodwall only
    decisions = 0
    threshold = summary["required_score"]
    for path in files:
        sa_score, sa_rules = sa[path]
        fw_score, fw_rules = fw[path]
        decisions += (sa_score >= threshold) == (fw_score >= threshold)
        for rule in visible:
            a, b = rule in sa_rules, rule in fw_rules
            cell = per_kind[kind_of[rule]]
            cell[0] += 1
            cell[1] += a == b
            if a and not b:
                per_rule[rule][0] += 1
            elif b and not a:
                per_rule[rule][1] += 1
    n = len(files)
    print(f"messages: {n} ({args.phishing} phishing, {args.ham} ham); imported visible rules: {len(visible)}")
    print(f"SpamAssassin (spamd -L, 2 children): {sa_secs:.1f} s; floodwall scan: {fw_secs:.1f} s\n")
    print(f"{'kind':<10} {'pairs':>9} {'agree':>9} {'agreement':>10}")
    total = [0, 0]
    for kind in sorted(per_kind):
        pairs, agree = per_kind[kind]
        total[0] += pairs
        total[1] += agree
        print(f"{kind:<10} {pairs:>9} {agree:>9} {100 * agree / pairs:>9.2f}%")
    print(f"{'all':<10} {total[0]:>9} {total[1]:>9} {100 * total[1] / total[0]:>9.2f}%\n")
    print(f"decision agreement at {threshold}: {decisions}/{n} = {100 * decisions / n:.1f}%\n")
    bad = sorted(((s + f, r, s, f) for r, (s, f) in per_rule.items() if (s + f) > 0.01 * n), reverse=True)
    print(f"rules disagreeing on more than 1% of messages: {len(bad)}")
    print(f"{'rule':<32} {'kind':<8} {'SA only':>8} {'fw only':>8}")
    for _, rule, s, f in bad:
        print(f"{rule:<32} {kind_of[rule]:<8} {s:>8} {f:>8}")
    missed = collections.Counter(r for _, rules in sa.values() for r in rules if r not in kind_of)
    print("\nrules SpamAssassin fired that were not imported (top 25): messages, why")
    for rule, count in missed.most_common(25):
        print(f"{rule:<32} {count:>5}  {why_not.get(rule, 'not defined in the imported files')}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"per_kind": per_kind, "decisions": decisions, "messages": n,
                       "disagreeing": [(r, s, f) for _, r, s, f in bad]}, f, indent=1)


if __name__ == "__main__":
    main()
