//! IIS logging to the Windows event log (`iis_event`): IIS can send its W3C
//! log to the `Microsoft-IIS-Logging/Logs` channel instead of (or besides) a
//! file, one `<Event>` (provider `Microsoft-Windows-IIS-Logging`, EventID
//! 6200) per request. Exported one event per line, each `<Data Name="...">`
//! of its `<EventData>` is a W3C field (`cs-uri-stem`, `sc-status`...).
//!
//! An event is read with `quick-xml` (its entities decoded: a query's `&`
//! is written `&amp;`), its fields written into a reused buffer as a W3C
//! line, and that line read by the W3C reader with those fields, so that an
//! event is read exactly as the same request in an IIS log file would be:
//! times in UTC, case-insensitive paths, `+` for spaces. The `EventData`
//! names the header fields without parentheses (`csUser-Agent`); they are
//! given them back (`cs(User-Agent)`).

use chrono_tz::Tz;
use quick_xml::events::Event;

use super::{Format, Record, Unparsed, w3c};
use crate::time::Timestamp;

/// Reads IIS logging events, keeping the W3C reader of the last set of
/// fields seen (an event lists the fields enabled when it was logged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reader {
    /// The field names of the last event, as a `#Fields:` line holds them.
    fields: String,
    state: Option<w3c::State>,
}

impl Reader {
    /// Parses one event line; the W3C line it holds is written into `buf`,
    /// from which the record borrows.
    pub fn parse<'a>(
        &mut self,
        line: &[u8],
        buf: &'a mut Vec<u8>,
        zone: Tz,
    ) -> Result<Record<'a>, Unparsed> {
        self.payload(line, buf)?;
        let state = self.state.as_mut().ok_or(Unparsed::NotIisEvent)?;
        state.parse(buf, zone)
    }

    /// The time of an event that did not parse, when its fields hold one.
    pub fn time_of(&mut self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let mut buf = Vec::new();
        self.payload(line, &mut buf).ok()?;
        self.state.as_ref()?.time_of(&buf, zone)
    }

    /// The earliest instant the request of an event that did not parse may
    /// have been received (see `w3c::State::earliest_of`).
    pub fn earliest_of(&mut self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let mut buf = Vec::new();
        self.payload(line, &mut buf).ok()?;
        self.state.as_ref()?.earliest_of(&buf, zone)
    }

    /// Writes the event's values into `buf` as a W3C line, and brings the
    /// W3C reader to the event's fields.
    fn payload(&mut self, line: &[u8], buf: &mut Vec<u8>) -> Result<(), Unparsed> {
        let text = std::str::from_utf8(line).map_err(|_| Unparsed::NotIisEvent)?;
        if !is_event(line) {
            return Err(Unparsed::NotIisEvent);
        }
        let mut reader = quick_xml::Reader::from_str(text);
        let mut names = String::new();
        buf.clear();
        let mut value = String::new();
        // The name of the `<Data>` being read, when it is a W3C field.
        let mut field: Option<String> = None;
        loop {
            match reader.read_event().map_err(|_| Unparsed::NotIisEvent)? {
                Event::Start(e) if e.local_name().as_ref() == b"Data" => {
                    field = data_name(&e);
                    value.clear();
                }
                Event::Text(t) if field.is_some() => {
                    value.push_str(&t.decode().map_err(|_| Unparsed::NotIisEvent)?);
                }
                Event::GeneralRef(r) if field.is_some() => {
                    let decoded = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            let name = r.decode().map_err(|_| Unparsed::NotIisEvent)?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or(Unparsed::NotIisEvent)?
                                .to_string()
                        }
                    };
                    value.push_str(&decoded);
                }
                Event::End(e) if e.local_name().as_ref() == b"Data" => {
                    if let Some(name) = field.take() {
                        push_field(&mut names, &name, buf, &value);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if names.is_empty() {
            return Err(Unparsed::NotIisEvent);
        }
        if names != self.fields || self.state.is_none() {
            self.state = Some(w3c::State::iis_with_fields(&names));
            self.fields = names;
        }
        Ok(())
    }
}

/// Whether a line is an IIS logging event.
fn is_event(line: &[u8]) -> bool {
    let start = line.trim_ascii_start();
    start.starts_with(b"<Event")
        && memchr::memmem::find(line, b"Microsoft-Windows-IIS-Logging").is_some()
}

/// How a sample line shows it is an IIS logging event, for detection.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    is_event(line).then_some((
        Format::IisEvent,
        "are Windows events of IIS logging (Microsoft-Windows-IIS-Logging, one <Event> per line), read as W3C fields",
    ))
}

/// A `<Data Name="...">`'s W3C field name, or `None` for the event's own
/// bookkeeping (`EnabledFieldsFlags`, `CustomFields`).
fn data_name(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    let attribute = e.try_get_attribute("Name").ok()??;
    let name = attribute.unescape_value().ok()?;
    if matches!(&*name, "EnabledFieldsFlags" | "CustomFields") {
        return None;
    }
    // `csUser-Agent` is `cs(User-Agent)`: a header field loses its
    // parentheses in the event.
    let header = ["cs", "sc"].into_iter().find_map(|p| {
        let rest = name.strip_prefix(p)?;
        rest.starts_with(|c: char| c.is_ascii_uppercase())
            .then(|| format!("{p}({rest})"))
    });
    Some(header.unwrap_or_else(|| name.into_owned()))
}

/// Adds a field and its value; an empty value is `-`. A space (IIS
/// writes `+` for one, but an event may hold one) is written `+`, as in an
/// IIS log file: paths are matched with `+` read as a space too, where a
/// quoted value would keep a `"` inside it doubled.
fn push_field(names: &mut String, name: &str, buf: &mut Vec<u8>, value: &str) {
    if !names.is_empty() {
        names.push(' ');
        buf.push(b' ');
    }
    names.push_str(name);
    if value.is_empty() {
        buf.push(b'-');
    }
    buf.extend(value.bytes().map(|b| match b {
        b' ' | b'\t' => b'+',
        b => b,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::summary;

    fn event(data: &str) -> String {
        format!(
            r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"> <System>   <Provider Name="Microsoft-Windows-IIS-Logging" Guid="{{7e8ad27f-b271-4ea2-a783-a47bde29143b}}" />    <EventID>6200</EventID>   <TimeCreated SystemTime="2022-10-01T11:25:54.6206890Z" /> </System> <EventData>   <Data Name="EnabledFieldsFlags">2478079</Data> {data} <Data Name="CustomFields" /> </EventData> </Event>"#
        )
    }

    #[test]
    fn reads_events_as_w3c_lines() {
        let base = r#"<Data Name="date">2022-10-01</Data> <Data Name="time">11:25:51</Data> <Data Name="c-ip">192.168.9.212</Data> <Data Name="cs-username">-</Data> <Data Name="cs-method">GET</Data>"#;
        let table: &[(String, Result<&str, Unparsed>)] = &[
            // Entities decoded in the query; the user agent keeps its `+`.
            (
                event(&format!(
                    r#"{base} <Data Name="cs-uri-stem">/autodiscover/autodiscover.json</Data> <Data Name="cs-uri-query">a=1&amp;b=&#50;</Data> <Data Name="sc-status">400</Data> <Data Name="sc-bytes">134</Data> <Data Name="csUser-Agent">Mozilla/5.0+(X11)</Data> <Data Name="csReferer">-</Data>"#
                )),
                Ok(
                    "2022-10-01T11:25:51Z 192.168.9.212 - GET /autodiscover/autodiscover.json?a=1&b=2 400 Mozilla/5.0 (X11) - - [] bytes=134",
                ),
            ),
            // A value with a space and a quote is one value (the space
            // written `+`, as IIS writes it in a file).
            (
                event(&format!(
                    r#"{base} <Data Name="cs-uri-stem">/Shared Documents/"x".pdf</Data> <Data Name="sc-status">200</Data>"#
                )),
                Ok(
                    r#"2022-10-01T11:25:51Z 192.168.9.212 - GET /Shared+Documents/"x".pdf 200 - - - [] bytes=-"#,
                ),
            ),
            // No request target, no fields, not an IIS event, broken XML.
            (
                event(&format!(r#"{base} <Data Name="sc-status">200</Data>"#)),
                Err(Unparsed::NoTargetField),
            ),
            (event(""), Err(Unparsed::NotIisEvent)),
            (
                "<Event><System><Provider Name=\"Other\"/></System></Event>".to_string(),
                Err(Unparsed::NotIisEvent),
            ),
            (
                event(r#"<Data Name="date">2022-10-01</Data"#),
                Err(Unparsed::NotIisEvent),
            ),
        ];
        let mut reader = Reader::default();
        for (line, want) in table {
            let mut buf = Vec::new();
            let got = reader
                .parse(line.as_bytes(), &mut buf, chrono_tz::UTC)
                .map(|r| summary(&r));
            assert_eq!(got.as_deref(), want.as_deref(), "{line}");
        }
    }
}
