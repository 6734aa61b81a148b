#!/usr/bin/env bash
# Load run for `floodwall milter` (issue 21): smtp-source sends MESSAGES
# messages over SESSIONS parallel SMTP sessions through a private Postfix on
# loopback whose smtpd_milters is floodwall. Traffic is 60% ham (delivered
# to the discard transport), 20% GTUBE spam (rejected by the milter) and 20%
# mail for the hold queue (a rule of this run's own scores it 12). Midway a
# broken rule file is added and the milter gets SIGHUP: the old rules must
# keep serving.
#
# Prints messages/s, the account from Postfix's log (delivered + rejected +
# held = sent), the milter's RSS before and after, and p99 latency from
# /metrics; then holds IDLE negotiated milter connections open at once and
# shows the RSS with them; exits non-zero when a message is unaccounted for or a verdict
# count is off. Needs root (Postfix's master) and installs postfix with
# apt-get when smtp-source is missing.
#
#   cargo build --release --bin floodwall && scripts/milter-load.sh
#   MESSAGES=2000 SESSIONS=10 scripts/milter-load.sh     # a quick one
set -euo pipefail

MESSAGES=${MESSAGES:-20000}
IDLE=${IDLE:-10000}     # idle negotiated connections held open after the run
SESSIONS=${SESSIONS:-50}
THREADS=${THREADS:-2}
BIN=${FLOODWALL:-${CARGO_TARGET_DIR:-target}/release/floodwall}
cd "$(dirname "$0")/.."

[ -x "$BIN" ] || { echo "no $BIN: cargo build --release --bin floodwall first" >&2; exit 2; }
if [ ! -x /usr/sbin/smtp-source ] || [ ! -x /usr/sbin/postfix ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MILTER_PORT=$(free_port); METRICS_PORT=$(free_port); SMTP_PORT=$(free_port)
WORK=$(mktemp -d /tmp/floodwall-load.XXXXXX)
chmod 755 "$WORK"   # Postfix's daemons run as postfix
MILTER_PID=
cleanup() {
    /usr/sbin/postfix -c "$WORK/config" stop >/dev/null 2>&1 || true
    [ -n "$MILTER_PID" ] && kill -TERM "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# Rules: the shipped ones plus a rule that sends marked mail to the hold queue.
cp -r rules "$WORK/rules"
cat > "$WORK/rules/load.toml" <<'TOML'
[[rule]]
id = "LOAD_HOLD"
description = "Load run: hold this message"
score = 12.0
target = "body"
kind = "literal"
pattern = 'load-run-hold-marker'
TOML
printf 'From: alice@example.org\nTo: bob@sink.test\nSubject: minutes of the meeting\n\nHello Bob,\nthe minutes are attached below. See you at noon on Thursday.\n' > "$WORK/ham.eml"
printf 'From: promo@example.org\nTo: bob@sink.test\nSubject: test\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n' > "$WORK/spam.eml"
printf 'From: carol@example.org\nTo: bob@sink.test\nSubject: parcel\n\nPlease review load-run-hold-marker before release.\n' > "$WORK/hold.eml"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$BIN" milter --listen "inet:$MILTER_PORT@127.0.0.1" --metrics "127.0.0.1:$METRICS_PORT" \
    --rules "$WORK/rules" --threads "$THREADS" 2> "$WORK/milter.log" &
MILTER_PID=$!
# The first start with a rule set compiles its Hyperscan databases.
for _ in $(seq 3000); do
    curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null \
    || { echo "floodwall milter did not start:" >&2; cat "$WORK/milter.log" >&2; exit 1; }

# A private Postfix: own config and queue, chroot off, log to a file,
# everything for sink.test discarded after the milter has seen it.
mkdir -p "$WORK/config" "$WORK/queue" "$WORK/data"
chown postfix:postfix "$WORK/data"
cat > "$WORK/config/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $WORK/queue
data_directory = $WORK/data
maillog_file = $WORK/maillog
maillog_file_prefixes = $WORK
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.floodwall.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_transport = discard
default_process_limit = 200
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
milter_default_action = tempfail
smtputf8_enable = no
biff = no
CF
cat > "$WORK/config/master.cf" <<CF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
/usr/sbin/postfix -c "$WORK/config" start >/dev/null \
    || { echo "Postfix did not start:" >&2; tail -5 "$WORK/maillog" >&2; exit 1; }
for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT) 2>/dev/null && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2}' "/proc/$MILTER_PID/status"; }
RSS_BEFORE=$(rss)
HAM=$((MESSAGES * 6 / 10)); SPAM=$((MESSAGES * 2 / 10)); HOLD=$((MESSAGES - HAM - SPAM))
S_HAM=$((SESSIONS * 6 / 10)); S_SPAM=$((SESSIONS * 2 / 10)); S_HOLD=$((SESSIONS - S_HAM - S_SPAM))
START=$(date +%s.%N)
source_run() { smtp-source -A -s "$2" -m "$3" -f sender@example.org -t bob@sink.test -M client.test \
    -F "$WORK/$1.eml" "127.0.0.1:$SMTP_PORT" > "$WORK/$1.out" 2>&1; }
source_run ham "$S_HAM" "$HAM" & P1=$!
source_run spam "$S_SPAM" "$SPAM" & P2=$!
source_run hold "$S_HOLD" "$HOLD" & P3=$!
# Midway, a broken rule file and SIGHUP.
sleep "${RELOAD_AFTER:-3}"
printf '[[rule]]\nid = \n' > "$WORK/rules/broken.toml"
kill -HUP "$MILTER_PID"
wait $P1 $P2 $P3
SENT_AT=$(date +%s.%N)

count() { grep -c "$1" "$WORK/maillog" 2>/dev/null || true; }
for _ in $(seq 600); do
    DELIVERED=$(count 'status=sent'); REJECTED=$(count 'milter-reject'); HELD=$(count 'milter-hold')
    [ $((DELIVERED + REJECTED + HELD)) -ge "$MESSAGES" ] && break
    sleep 0.5
done
END=$(date +%s.%N)
RSS_AFTER=$(rss)
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" > "$WORK/metrics.txt"
P99=$(awk '/^floodwall_scan_seconds_count/ {n=$2} /^floodwall_scan_seconds_bucket/ {
        split($1, a, "\""); le[++k]=a[2]; c[k]=$2 }
    END { for (i=1; i<=k; i++) if (c[i] >= 0.99*n) { print le[i]; exit } }' "$WORK/metrics.txt")
P50=$(awk '/^floodwall_scan_seconds_count/ {n=$2} /^floodwall_scan_seconds_bucket/ {
        split($1, a, "\""); le[++k]=a[2]; c[k]=$2 }
    END { for (i=1; i<=k; i++) if (c[i] >= 0.5*n) { print le[i]; exit } }' "$WORK/metrics.txt")

echo "messages sent:     $MESSAGES over $SESSIONS sessions (ham $HAM, spam $SPAM, hold $HOLD)"
echo "smtp-source time:  $(echo "$SENT_AT - $START" | bc) s  ($(echo "$MESSAGES / ($SENT_AT - $START)" | bc) messages/s)"
echo "until all logged:  $(echo "$END - $START" | bc) s"
echo "postfix log:       delivered $DELIVERED + rejected $REJECTED + held $HELD = $((DELIVERED + REJECTED + HELD))"
echo "milter RSS:        before ${RSS_BEFORE} kB, after ${RSS_AFTER} kB"
echo "scan latency:      p50 <= ${P50} s, p99 <= ${P99} s (histogram bucket bounds, /metrics)"
grep -E '^floodwall_(messages_total|actions_total|errors_total|reloads_total|connections_total)' "$WORK/metrics.txt" | grep -v ' 0$' | sed 's/^/  /'
if [ "$IDLE" -gt 0 ]; then
    # Each connection negotiates (OPTNEG answered), then says nothing.
    python3 - "$MILTER_PORT" "$IDLE" "$MILTER_PID" "$METRICS_PORT" <<'PY'
import socket, struct, sys, urllib.request
port, count, pid, metrics = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
offer = struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF)
conns = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(offer)
    conns.append(s)
for s in conns:
    s.settimeout(30)
    head = s.recv(5)
    assert head[4:5] == b"O", head
rss = [l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0]
page = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics").read().decode()
open_now = [l.split()[1] for l in page.splitlines() if l.startswith("floodwall_connections_open ")][0]
print(f"idle connections:  {count} negotiated and held: RSS {rss} kB, connections_open {open_now}")
for s in conns:
    s.close()
PY
fi
grep -q 'reload failed; the old rules keep serving' "$WORK/milter.log" \
    && echo "SIGHUP with a broken rule file: reload failed, old rules kept serving" \
    || { echo "no failed reload in the milter log" >&2; exit 1; }
status=0
[ "$DELIVERED" -eq "$HAM" ] || { echo "delivered $DELIVERED, expected $HAM" >&2; status=1; }
[ "$REJECTED" -eq "$SPAM" ] || { echo "rejected $REJECTED, expected $SPAM" >&2; status=1; }
[ "$HELD" -eq "$HOLD" ] || { echo "held $HELD, expected $HOLD" >&2; status=1; }
[ "$status" -eq 0 ] && echo "every message accounted for"
exit "$status"
