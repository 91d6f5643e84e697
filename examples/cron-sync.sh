#!/bin/sh
# Sync the hash lists into the local store from system cron.
#
# crontab line (every 15 minutes, as the tidscan user; the lock makes overlapping runs harmless):
#   */15 * * * *  /opt/tidscan/examples/cron-sync.sh >> /var/log/tidscan/sync.log 2>&1
#
# Files:
#   /etc/tidscan/sync.json        {"store": "/var/lib/tidscan/list.db", "sources": [...]}  (no secrets; see docs/operations.md#sync-cron-and-locking)
#   /etc/tidscan/credentials.env  TIDSCAN_NCMEC_USER=... TIDSCAN_NCMEC_PASSWORD=...
#                                 TIDSCAN_STOPNCII_FUNCTION_KEY=... TIDSCAN_STOPNCII_SUBSCRIPTION_KEY=...
#                                 (owner-only: chmod 0600)
#
# Output: one line per run, "<UTC time> exit=<status> <the sync report JSON>", so the log is greppable and each
# report parses on its own. Exit 75 (another sync holds the lock) is normal under cron and exits 0 here so cron
# does not mail about it; every other failure keeps its status.
set -u

CONFIG="${TIDSCAN_CONFIG:-/etc/tidscan/sync.json}"
CREDENTIALS="${TIDSCAN_CREDENTIALS:-/etc/tidscan/credentials.env}"
TIDSCAN="${TIDSCAN_BIN:-tidscan}"

if [ -r "$CREDENTIALS" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$CREDENTIALS"
  set +a
fi

# Bound the run well below the cron interval; SIGTERM makes tidscan commit what it has and print its report.
OUTPUT="$(timeout --signal=TERM --kill-after=60 840 "$TIDSCAN" sync --config "$CONFIG")"
STATUS=$?
REPORT="$(printf '%s\n' "$OUTPUT" | tail -n 1)"
printf '%s exit=%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$STATUS" "$REPORT"

if [ "$STATUS" -eq 75 ]; then
  exit 0
fi
exit "$STATUS"
