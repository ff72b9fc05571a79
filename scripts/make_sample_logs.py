#!/usr/bin/env python3
"""Writes sample-logs/: a small, realistic exposure case for the quick start.

A council's web-form submissions folder /forms/submissions/ was readable by
anyone from 2022-11-11 14:20 UTC until the fix at 2023-02-23 10:05 UTC. Two
servers logged requests:

  www1/  nginx, combined format, UTC offsets; rotated: access.log.2.gz (two
         gzip members, as logrotate's copies often are), access.log.1,
         access.log (still being written: its last line is cut short).
  www2/  Apache vhost_combined, New York local time (-0500).

Both servers were down from 2023-01-20 02:10 to 05:40 UTC (an outage the
scan must report as a gap: nothing was logged, so nothing can be ruled out).

Background traffic is generated with a fixed seed; the planted requests
below are the case's facts, and tests/cli checks the figures they give.
Run from the repository root:  python3 scripts/make_sample_logs.py
"""

import gzip
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sample-logs"
START = datetime(2022, 11, 1, tzinfo=timezone.utc)
END = datetime(2023, 3, 10, tzinfo=timezone.utc)
ROTATIONS = [datetime(2022, 12, 15, tzinfo=timezone.utc), datetime(2023, 2, 1, tzinfo=timezone.utc)]
OUTAGE = (datetime(2023, 1, 20, 2, 10, tzinfo=timezone.utc), datetime(2023, 1, 20, 5, 40, tzinfo=timezone.utc))
NEW_YORK = timezone(timedelta(hours=-5))

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:107.0) Gecko/20100101 Firefox/107.0",
]
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PAGES = [
    ("GET", "/", 200, 5120), ("GET", "/index.html", 200, 5120), ("GET", "/about", 200, 3301),
    ("GET", "/forms/contact", 200, 4410), ("POST", "/forms/submit", 302, 0),
    ("GET", "/forms/thanks", 200, 1822), ("GET", "/static/css/site.css", 200, 18223),
    ("GET", "/static/js/app.js", 200, 40211), ("GET", "/images/logo.png", 200, 9931),
    ("GET", "/robots.txt", 200, 68), ("GET", "/news/2022/winter-services", 200, 7710),
    ("GET", "/forms/submissions-guide.html", 200, 2950), ("GET", "/wp-login.php", 404, 162),
    ("GET", "/.env", 404, 162), ("GET", "/static/img/hero.jpg", 304, 0),
]

# (server, time, client, user, method, target, status, bytes, agent, referer)
PLANTED = [
    ("www1", "2022-11-05T09:00:00", "198.51.100.23", "-", "GET", "/forms/submissions/", 404, 162, 0, "-"),
    ("www1", "2022-11-11T15:02:11", "192.0.2.5", "-", "GET", "/forms/submissions/", 200, 2210, 0, "-"),
    ("www1", "2022-11-20T03:14:15", "203.0.113.77", "-", "GET", "/forms%2Fsubmissions/2022-11-19-0007.pdf", 200, 88120, 3, "-"),
    ("www1", "2022-12-02T11:00:00", "66.249.66.1", "-", "GET", "/forms/submissions/", 403, 162, "bot", "-"),
    ("www1", "2022-12-24T22:10:05", "203.0.113.77", "-", "GET", "/static/../forms/submissions/2022-12-20-0031.pdf", 200, 91002, 3, "-"),
    ("www1", "2023-01-09T08:30:00", "203.0.113.50", "j.smith", "GET", "/forms/submissions/2023-01-08-0002.pdf", 200, 77310, 1, "-"),
    ("www1", "2023-01-15T16:45:00", "198.51.100.99", "-", "GET", "http://forms.example.org/forms/submissions/", 403, 162, 2, "-"),
    ("www1", "2023-02-03T12:00:00", "2001:db8:0:1::20", "-", "GET", "/forms/submissions/index.json", 200, 1204, 0, "-"),
    ("www1", "2023-02-10T19:19:19", "198.51.100.23", "-", "GET", "/FORMS/submissions/", 404, 162, 2, "-"),
    ("www1", "2023-02-20T07:07:07", "198.51.100.23", "-", "GET", "/forms/submissions-old/", 404, 162, 2, "-"),
    ("www1", "2023-02-23T09:59:00", "203.0.113.9", "-", "HEAD", "/forms/submissions/2023-02-22-0040.pdf", 200, 0, 1, "-"),
    ("www1", "2023-02-23T10:30:00", "203.0.113.77", "-", "GET", "/forms/submissions/2023-02-22-0040.pdf", 403, 162, 3, "-"),
    ("www2", "2022-12-31T23:59:30", "192.0.2.200", "-", "GET", "/forms/submissions/2022-12-30-0019.pdf", 200, 66001, 2, "https://www.example.org/"),
    ("www2", "2023-02-23T05:04:59", "198.51.100.150", "-", "GET", "/forms/./submissions/2023-02-22-0039.pdf", 200, 70112, 0, "-"),
    ("www2", "2023-02-23T05:05:01", "198.51.100.150", "-", "GET", "/forms/submissions/2023-02-22-0039.pdf", 200, 70112, 0, "-"),
]


def clf_time(t):
    return t.strftime("%d/%b/%Y:%H:%M:%S %z")


def line(server, t, client, user, method, target, status, size, agent, referer):
    ua = BOT if agent == "bot" else AGENTS[agent]
    request = f'"{method} {target} HTTP/1.1" {status} {size if size else "-"} "{referer}" "{ua}"'
    if server == "www1":
        return f"{client} - {user} [{clf_time(t)}] {request}"
    return f"forms.example.org:443 {client} - {user} [{clf_time(t)}] {request}"


def background(rng, server, step_minutes, zone):
    t = START
    while t < END:
        t += timedelta(minutes=rng.randint(1, step_minutes), seconds=rng.randint(0, 59))
        method, target, status, size = rng.choice(PAGES)
        client = f"{rng.choice([81, 86, 90, 109, 151, 176, 185, 212])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        agent = rng.randrange(len(AGENTS))
        if OUTAGE[0] <= t < OUTAGE[1]:
            continue
        yield t, line(server, t.astimezone(zone), client, "-", method, target, status, size, agent, "-")


def planted(server, zone):
    for s, when, *rest in PLANTED:
        if s == server:
            local = datetime.fromisoformat(when).replace(tzinfo=zone)
            yield local.astimezone(timezone.utc), line(server, local, *rest)


def write_www1(rng):
    entries = sorted(list(background(rng, "www1", 45, timezone.utc)) + list(planted("www1", timezone.utc)))
    # An nginx error-log line that went to the access log by mistake.
    error_at = datetime(2023, 1, 20, 5, 41, tzinfo=timezone.utc)
    entries.append((error_at, '2023/01/20 05:41:00 [error] 1207#1207: *88301 open() "/srv/www/forms/submit.php" failed (2: No such file or directory)'))
    entries.sort(key=lambda e: e[0])
    parts = [[], [], []]
    for t, text in entries:
        parts[sum(t >= r for r in ROTATIONS)].append(text)
    oldest = "\n".join(parts[0]) + "\n"
    half = oldest.index("\n", len(oldest) // 2) + 1
    members = gzip.compress(oldest[:half].encode(), mtime=0) + gzip.compress(oldest[half:].encode(), mtime=0)
    (OUT / "www1").mkdir(parents=True, exist_ok=True)
    (OUT / "www1/access.log.2.gz").write_bytes(members)
    (OUT / "www1/access.log.1").write_text("\n".join(parts[1]) + "\n")
    # The current file is still being written: the last line is cut short.
    current = "\n".join(parts[2]) + "\n" + '81.2.69.160 - - [10/Mar/2023:00:09:59 +0000] "GET /forms/con'
    (OUT / "www1/access.log").write_text(current)


def write_www2(rng):
    entries = sorted(list(background(rng, "www2", 240, NEW_YORK)) + list(planted("www2", NEW_YORK)))
    (OUT / "www2").mkdir(parents=True, exist_ok=True)
    (OUT / "www2/access_log").write_text("\n".join(text for _, text in entries) + "\n")


def main():
    rng = random.Random(20221111)
    write_www1(rng)
    write_www2(rng)


if __name__ == "__main__":
    main()
