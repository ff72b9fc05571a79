#!/usr/bin/env python3
"""Writes logs that each hold one hostile line, for scripts/hostile.sh.

    make_hostile_logs.py OUT_DIR SIZE_BYTES

For every log in tests/fixtures that logwitness detects by itself (each
format it reads), and for each of a list of byte patterns that a reader
could take for the start of a field (quotes, brackets, timestamps without
their end, escapes, separators, binary bytes), it writes OUT_DIR/
<fixture>__<pattern>__<place>.log: the fixture's header lines, five of its
lines, one line with SIZE_BYTES of the pattern at its start, in its middle
(at its first '/') or at its end, and two more of its lines. A reader that
searches from each place a field could start to the line's end takes time
that grows with the square of SIZE_BYTES; hostile.sh compares two sizes.
"""
import os
import sys
from pathlib import Path

PATTERNS = {
    "quote": b'"', "escaped_quote": b'\\"', "backslash": b"\\", "open_bracket": b"[",
    "ncsa_time": b"[01/Nov/2022:10:00:00 ", "haproxy_date": b"a:1 [01/Nov/2022:10:00:00 ",
    "iso_time": b"2022-11-01T10:00:00 ", "w3c_time": b"2022-11-01 10:00:00 ",
    "space": b" ", "tab": b"\t", "comma": b",", "colon": b":", "semicolon": b";",
    "slash": b"/", "dot_segment": b"/./..", "percent": b"%25", "hex_escape": b"\\x41",
    "json_object": b'{"a":', "json_pair": b'"k":"v",', "quoted_pair": b'" "',
    "status_after_quote": b'" 200 ', "ncsa_head": b"- - [", "protocol": b"HTTP/1.1 ",
    "address_list": b"1.2.3.4, ", "spaced_dash": b"a -", "nul": b"\x00", "high": b"\xff",
    "carriage_return": b"\r",
}

# Expected outputs, not logs.
SKIPPED = ("sample-logs", "expected")

# Logs read by a format named on the command line (written beside each
# hostile log as <name>.format, which hostile.sh passes as --log-format):
# the fixtures' own, and a format that starts with its time.
FORMATS = {
    "custom/apache_forms_access.log": r'''apache:%v:%p %a %u [%{%Y-%m-%d %H:%M:%S %z}t] "%r" %>s %O %D "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"''',
    "custom/nginx_forms_access.log": r'''nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time $upstream_response_time''',
}
TIME_FIRST = (
    "time_first.log",
    'apache:%t %h %l %u "%r" %>s %b',
    b'[24/Jan/2022:16:51:02 +0000] 203.0.113.9 - - "GET /forms/submissions/1.pdf HTTP/1.1" 200 5\n' * 8,
)


def fixtures(root: Path):
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and not any(p in SKIPPED for p in parts) and path.suffix != ".toml":
            yield path


def main() -> None:
    out, size = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    logs = [
        ("_".join(p.relative_to(root).parts), FORMATS.get("/".join(p.relative_to(root).parts)), p.read_bytes())
        for p in fixtures(root)
    ]
    logs.append(TIME_FIRST)
    for name, log_format, text in logs:
        lines = text.split(b"\n")
        header = [line for line in lines[:10] if line.startswith(b"#")]
        good = [line for line in lines if line.strip() and not line.startswith(b"#")]
        if not good:
            continue
        base = good[min(2, len(good) - 1)]
        for pattern_name, pattern in PATTERNS.items():
            payload = pattern * (size // len(pattern))
            middle = base.find(b"/") if b"/" in base else len(base) // 2
            places = {
                "start": payload + base,
                "middle": base[:middle] + payload + base[middle:],
                "end": base + payload,
            }
            for place, line in places.items():
                body = b"\n".join(header + good[:5] + [line] + good[:2]) + b"\n"
                hostile = out / f"{name}__{pattern_name}__{place}.log"
                hostile.write_bytes(body)
                if log_format:
                    hostile.with_suffix(".format").write_text(log_format)


if __name__ == "__main__":
    main()
