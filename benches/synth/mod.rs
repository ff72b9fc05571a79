//! A reproducible synthetic access log for benchmarks and whole-run
//! comparisons: realistic paths and agents, a few percent of requests for
//! the exposed folder `/forms/submissions/` (some of them percent-encoded,
//! double-encoded, with dot segments or in absolute form), and a little
//! noise that does not parse, in an NCSA shape or as IIS writes W3C. The
//! same seed always gives the same bytes.

use std::io::{self, Write};

/// The exposed folder the synthetic traffic requests now and then.
pub const EXPOSED: &str = "/forms/submissions/";

/// The shape of the lines written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// NCSA common.
    Common,
    /// NCSA combined.
    Combined,
    /// Apache vhost_combined.
    VhostCombined,
    /// IIS W3C extended with its default fields, a header block every
    /// 50,000 lines as IIS writes one when it restarts.
    Iis,
}

/// The IIS header block, CR-LF ended as IIS writes it.
const IIS_HEADER: &str = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2022-11-01 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";

/// How many lines an IIS header block stands for in the line count.
const IIS_HEADER_LINES: u64 = 4;

const PAGES: [&str; 12] = [
    "/",
    "/index.html",
    "/news/2022/winter-services",
    "/static/css/site.css",
    "/static/js/app.js",
    "/images/logo.png",
    "/contact",
    "/search?q=bin+collection&page=2",
    "/forms/contact",
    "/wp-login.php",
    "/council/meetings/2023-01-12/minutes.pdf",
    "/favicon.ico",
];

const EXPOSED_TARGETS: [&str; 8] = [
    "/forms/submissions/2023/0001.json",
    "/forms/submissions/",
    "/forms/submissions/export.csv?from=2022-11-01",
    "/forms/%73ubmissions/2023/0002.json",
    "/forms/%2573ubmissions/2023/0003.json",
    "/static/../forms/submissions/2023/0004.json",
    "http://www.example.org/forms/submissions/2023/0005.json",
    "/FORMS/Submissions/2023/0006.json",
];

const AGENTS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:107.0) Gecko/20100101 Firefox/107.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/7.88.1",
];

/// How many distinct clients the traffic comes from.
const CLIENTS: u64 = 20_000;

const NOISE: &str =
    "2023/01/20 05:41:00 [error] 1207#1207: *88301 open() \"/srv/www/favicon.ico\" failed";

/// What to write: how much, from when, how dense, how much of it exposed.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The shape of the lines.
    pub shape: Shape,
    /// Stop once this many bytes are written...
    pub bytes: u64,
    /// ...or this many lines, whichever comes first.
    pub lines: u64,
    /// The first line's time, in seconds since 1970.
    pub start: i64,
    /// Seconds between lines.
    pub seconds_per_line: f64,
    /// Requests for the exposed folder, per thousand lines.
    pub exposed_per_mille: u64,
    /// The generator's seed: the same seed, the same bytes.
    pub seed: u64,
}

impl Plan {
    /// About `bytes` of `shape`, from 2022-11-01, two lines a second, 3%
    /// of them exposed.
    pub fn of_size(shape: Shape, bytes: u64) -> Plan {
        Plan {
            shape,
            bytes,
            lines: u64::MAX,
            start: 1_667_260_800,
            seconds_per_line: 0.5,
            exposed_per_mille: 30,
            seed: 42,
        }
    }
}

/// Writes the lines `plan` describes; returns how many were written.
pub fn write_log(out: &mut impl Write, plan: Plan) -> io::Result<u64> {
    let Plan {
        shape,
        bytes,
        start,
        seconds_per_line,
        ..
    } = plan;
    let mut random = XorShift(plan.seed | 1);
    let mut written = 0u64;
    let mut lines = 0u64;
    let mut stamp = Stamp::default();
    let mut line = String::with_capacity(512);
    while written < bytes && lines < plan.lines {
        let time = start + (lines as f64 * seconds_per_line) as i64;
        line.clear();
        if shape == Shape::Iis && lines % 50_000 == 0 {
            out.write_all(IIS_HEADER.as_bytes())?;
            written += IIS_HEADER.len() as u64;
            lines += IIS_HEADER_LINES;
        }
        let roll = random.below(1000);
        if roll == 0 {
            line.push_str(NOISE);
        } else {
            let target = if roll <= plan.exposed_per_mille {
                EXPOSED_TARGETS[random.below(EXPOSED_TARGETS.len() as u64) as usize]
            } else {
                PAGES[random.below(PAGES.len() as u64) as usize]
            };
            let status = [200, 200, 200, 304, 404, 403, 301, 500][random.below(8) as usize];
            if shape == Shape::VhostCombined {
                line.push_str("www.example.org:443 ");
            }
            // A skewed pick from a fixed population: a few busy clients,
            // a long tail of rare ones, as in real traffic.
            let client =
                XorShift(random.below(CLIENTS) * random.below(CLIENTS) / CLIENTS + 1).next();
            let client = format!(
                "{}.{}.{}.{}",
                client % 223 + 1,
                (client >> 8) % 256,
                (client >> 16) % 256,
                (client >> 24) % 254 + 1,
            );
            let size = random.below(90_000);
            // Drawn only where the line shows one, so that a seed gives the
            // same common log as ever.
            let agent = if shape == Shape::Common {
                ""
            } else {
                AGENTS[random.below(AGENTS.len() as u64) as usize]
            };
            if shape == Shape::Iis {
                let time = stamp.format(time, "%Y-%m-%d %H:%M:%S");
                line.push_str(&iis_record(time, &client, target, status, size, agent));
            } else {
                line.push_str(&format!(
                    "{client} - - [{}] \"GET {target} HTTP/1.1\" {status} {size}",
                    stamp.format(time, "%d/%b/%Y:%H:%M:%S +0000"),
                ));
            }
            if shape != Shape::Common && shape != Shape::Iis {
                line.push_str(&format!(" \"-\" \"{agent}\""));
            }
        }
        line.push_str(if shape == Shape::Iis { "\r\n" } else { "\n" });
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        lines += 1;
    }
    Ok(lines)
}

/// Writes the lines `plan` describes into `access.log` in a new temporary
/// folder; returns the folder (removed when dropped) and the log's path.
pub fn temporary_log(plan: Plan) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("access.log");
    let mut file = io::BufWriter::new(std::fs::File::create(&path).expect("a log file"));
    write_log(&mut file, plan)
        .and_then(|_| file.flush())
        .expect("writing the log");
    (dir, path)
}

/// A synthetic log of about `bytes` bytes, in memory.
pub fn log(shape: Shape, bytes: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes as usize + 512);
    write_log(&mut out, Plan::of_size(shape, bytes)).expect("writing to memory");
    out
}

/// An IIS record with the default fields: the target's query apart from
/// its path, `+` for the spaces of the user agent.
fn iis_record(time: &str, client: &str, target: &str, status: u32, ms: u64, agent: &str) -> String {
    let (stem, query) = target.split_once('?').unwrap_or((target, "-"));
    let agent = agent.replace(' ', "+");
    format!(
        "{time} 10.0.0.5 GET {stem} {query} 443 - {client} {agent} - {status} 0 0 {}",
        ms % 900
    )
}

/// A time in one pattern (the same for a whole log), formatted once per
/// second.
#[derive(Default)]
struct Stamp {
    second: Option<i64>,
    text: String,
}

impl Stamp {
    fn format(&mut self, time: i64, pattern: &str) -> &str {
        if self.second != Some(time) {
            let t = chrono::DateTime::from_timestamp(time, 0).expect("a time in range");
            self.text = t.format(pattern).to_string();
            self.second = Some(time);
        }
        &self.text
    }
}

/// A small, fast, reproducible generator (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
