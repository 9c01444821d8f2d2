//! Path templates of `google.api.http` rules (`/v1/{name=projects/*/notes/**}:publish`):
//! parsing, and matching a request path against them.
//!
//! Grammar (google/api/http.proto):
//! ```text
//! Template = "/" Segments [ Verb ] ;
//! Segments = Segment { "/" Segment } ;
//! Segment  = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;
//! Verb     = ":" LITERAL ;
//! ```

use percent_encoding::percent_decode_str;

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this text (after percent-decoding the request segment).
    Literal(String),
    /// `*`: exactly one segment.
    Single,
    /// `**`: zero or more segments; only ever last.
    Multi,
}

/// A variable: the field path it sets and the segments it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Dot-separated field path, as written in the template (`client.id`).
    pub field_path: String,
    /// Index of its first segment.
    pub start: usize,
    /// Index one past its last segment.
    pub end: usize,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The segments, variables' own segments included in place.
    pub segments: Vec<Segment>,
    /// The variables, in order.
    pub variables: Vec<Variable>,
    /// The custom verb after the last `:`, if any.
    pub verb: Option<String>,
    /// The template as written.
    pub source: String,
}

/// A template the grammar refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path template {template:?}: {reason}")]
pub struct TemplateError {
    /// The template.
    pub template: String,
    /// What is wrong.
    pub reason: String,
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let fail = |reason: &str| TemplateError {
            template: source.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = source
            .strip_prefix('/')
            .ok_or_else(|| fail("must start with '/'"))?;
        let (path, verb) = split_verb(rest);
        if verb.is_some_and(|v| v.is_empty() || v.contains(['/', '{', '}', '*'])) {
            return Err(fail("bad custom verb"));
        }
        let mut segments = Vec::new();
        let mut variables = Vec::new();
        for part in split_top_level(path).map_err(|r| fail(&r))? {
            if let Some(inner) = part.strip_prefix('{') {
                let inner = inner
                    .strip_suffix('}')
                    .ok_or_else(|| fail("unclosed variable"))?;
                let (field_path, pattern) = match inner.split_once('=') {
                    Some((f, p)) => (f, p),
                    None => (inner, "*"),
                };
                if field_path.is_empty()
                    || !field_path.split('.').all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                {
                    return Err(fail("bad field path in variable"));
                }
                if variables
                    .iter()
                    .any(|v: &Variable| v.field_path == field_path)
                {
                    return Err(fail("a field is bound twice"));
                }
                let start = segments.len();
                for inner_part in pattern.split('/') {
                    if inner_part.contains(['{', '}']) {
                        return Err(fail("nested variables"));
                    }
                    segments.push(segment(inner_part).map_err(|r| fail(&r))?);
                }
                variables.push(Variable {
                    field_path: field_path.to_owned(),
                    start,
                    end: segments.len(),
                });
            } else {
                segments.push(segment(part).map_err(|r| fail(&r))?);
            }
        }
        if let Some(i) = segments.iter().position(|s| *s == Segment::Multi)
            && i + 1 != segments.len()
        {
            return Err(fail("'**' must be the last segment"));
        }
        Ok(Self {
            segments,
            variables,
            verb: verb.map(str::to_owned),
            source: source.to_owned(),
        })
    }

    /// Returns how specific the template is, for choosing between two that match the
    /// same path: more literal segments win, then a verb, then fewer `**`.
    pub fn specificity(&self) -> (usize, bool, bool) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let deep = self.segments.contains(&Segment::Multi);
        (literals, self.verb.is_some(), !deep)
    }

    /// Matches a request path (raw, percent-encoded, without the query) and returns the
    /// value of each variable, in the order of [`Template::variables`].
    pub fn matches(&self, path: &str) -> Option<Vec<String>> {
        self.matches_parts(&split_path(path)?)
    }

    /// Like [`Template::matches`], for a path already split by [`split_path`] (the
    /// route table splits once for every template it tries).
    pub fn matches_parts(&self, parts: &[&str]) -> Option<Vec<String>> {
        // With a verb, the last segment must end with ":verb" and is matched without it.
        let last = match &self.verb {
            Some(verb) => {
                let head = parts
                    .last()?
                    .strip_suffix(verb.as_str())?
                    .strip_suffix(':')?;
                if head.is_empty() && parts.len() > 1 {
                    return None;
                }
                Some(head)
            }
            None => None,
        };
        let count = if last == Some("") && parts.len() == 1 {
            0
        } else {
            parts.len()
        };
        let part = |i: usize| -> &str {
            match last {
                Some(head) if i + 1 == parts.len() => head,
                _ => parts[i],
            }
        };
        let deep = self.segments.last() == Some(&Segment::Multi);
        let fixed = if deep {
            self.segments.len() - 1
        } else {
            self.segments.len()
        };
        if count < fixed || (!deep && count != fixed) {
            return None;
        }
        for (i, segment) in self.segments.iter().enumerate().take(count) {
            match segment {
                Segment::Literal(text) => {
                    let raw = part(i);
                    // Most segments hold no escape: compare them as they are.
                    let equal = if raw.contains('%') {
                        decode(raw)? == *text
                    } else {
                        raw == text
                    };
                    if !equal {
                        return None;
                    }
                }
                Segment::Single => {
                    if part(i).is_empty() {
                        return None;
                    }
                }
                Segment::Multi => {}
            }
        }
        let mut values = Vec::with_capacity(self.variables.len());
        for variable in &self.variables {
            let end = if deep && variable.end == self.segments.len() {
                count
            } else {
                variable.end
            };
            let single = variable.end - variable.start == 1
                && self.segments[variable.start] == Segment::Single;
            let value = if single {
                decode(part(variable.start))?
            } else {
                // Several segments: decode each but keep an encoded slash encoded, so
                // the value's own structure survives.
                (variable.start..end)
                    .map(|i| decode_keep_slash(part(i)))
                    .collect::<Option<Vec<_>>>()?
                    .join("/")
            };
            values.push(value);
        }
        Some(values)
    }

    /// Returns the template in OpenAPI form: each variable as `{field.path}`, verb kept.
    pub fn openapi_path(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.segments.len() {
            out.push('/');
            if let Some(v) = self.variables.iter().find(|v| v.start == i) {
                out.push('{');
                out.push_str(&v.field_path);
                out.push('}');
                i = v.end.max(i + 1);
                continue;
            }
            match &self.segments[i] {
                Segment::Literal(text) => out.push_str(text),
                Segment::Single => out.push('*'),
                Segment::Multi => out.push_str("**"),
            }
            i += 1;
        }
        if self.segments.is_empty() {
            out.push('/');
        }
        if let Some(verb) = &self.verb {
            out.push(':');
            out.push_str(verb);
        }
        out
    }
}

/// Splits a request path into its raw segments; `None` unless it starts with '/'.
pub fn split_path(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    Some(if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    })
}

fn segment(text: &str) -> Result<Segment, String> {
    match text {
        "*" => Ok(Segment::Single),
        "**" => Ok(Segment::Multi),
        "" => Err("empty segment".to_owned()),
        literal if literal.contains(['*', '{', '}', ':']) => {
            Err(format!("bad literal segment {literal:?}"))
        }
        literal => Ok(Segment::Literal(literal.to_owned())),
    }
}

/// Splits off the verb: the text after the last ':' outside braces, when it follows the
/// last '/' and '}'.
fn split_verb(rest: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut colon = None;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '/' if depth == 0 => colon = None,
            ':' if depth == 0 => colon = Some(i),
            _ => {}
        }
    }
    match colon {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    }
}

/// Splits on '/' outside braces.
fn split_top_level(path: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in path.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth > 1 {
                    return Err("nested variables".to_owned());
                }
            }
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced '}'".to_owned());
                }
            }
            '/' if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unclosed variable".to_owned());
    }
    parts.push(&path[start..]);
    if parts == [""] {
        return Ok(Vec::new());
    }
    Ok(parts)
}

fn decode(part: &str) -> Option<String> {
    percent_decode_str(part)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

fn decode_keep_slash(part: &str) -> Option<String> {
    // Split on the encoded slash first, decode the pieces, and put it back encoded.
    let mut pieces = Vec::new();
    let mut rest = part;
    loop {
        let at = rest.find("%2F").or_else(|| rest.find("%2f"));
        match at {
            Some(i) => {
                pieces.push(decode(&rest[..i])?);
                rest = &rest[i + 3..];
            }
            None => {
                pieces.push(decode(rest)?);
                break;
            }
        }
    }
    Some(pieces.join("%2F"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Template {
        Template::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_grammar() {
        let tpl = t("/v1/{name=projects/*/notes/**}:publish");
        assert_eq!(tpl.verb.as_deref(), Some("publish"));
        assert_eq!(
            tpl.segments,
            vec![
                Segment::Literal("v1".into()),
                Segment::Literal("projects".into()),
                Segment::Single,
                Segment::Literal("notes".into()),
                Segment::Multi
            ]
        );
        assert_eq!(
            tpl.variables,
            vec![Variable {
                field_path: "name".into(),
                start: 1,
                end: 5
            }]
        );
        let simple = t("/v1/clients/{client.id}");
        assert_eq!(simple.variables[0].field_path, "client.id");
        assert_eq!(simple.verb, None);
        assert_eq!(t("/").segments, vec![]);
    }

    #[test]
    fn refuses_bad_templates() {
        for bad in [
            "v1/x",
            "/v1/**/x",
            "/v1/{a}/{a}",
            "/v1/{a=b/{c}}",
            "/v1/{a",
            "/v1/a}",
            "/v1//x",
            "/v1/x:",
            "/v1/{a.}",
            "/v1/{}",
            "/v1/a*b",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad} parsed");
        }
    }

    /// Table: template, path, expected variable values (None = no match).
    #[test]
    fn matches_paths() {
        let cases: &[(&str, &str, Option<&[&str]>)] = &[
            ("/v1/clients", "/v1/clients", Some(&[])),
            ("/v1/clients", "/v1/clients/", None),
            ("/v1/clients", "/v1/client", None),
            ("/v1/clients/{id}", "/v1/clients/abc", Some(&["abc"])),
            ("/v1/clients/{id}", "/v1/clients/", None),
            ("/v1/clients/{id}", "/v1/clients/a/b", None),
            ("/v1/clients/{id}", "/v1/clients/a%20b", Some(&["a b"])),
            ("/v1/clients/{id}", "/v1/clients/a%2Fb", Some(&["a/b"])),
            (
                "/v1/clients/{id}:archive",
                "/v1/clients/x:archive",
                Some(&["x"]),
            ),
            ("/v1/clients/{id}:archive", "/v1/clients/x:restore", None),
            ("/v1/clients/{id}:archive", "/v1/clients/x", None),
            (
                "/v1/clients/{id}",
                "/v1/clients/x:archive",
                Some(&["x:archive"]),
            ),
            (
                "/v1/{name=files/**}",
                "/v1/files/a/b/c",
                Some(&["files/a/b/c"]),
            ),
            ("/v1/{name=files/**}", "/v1/files", Some(&["files"])),
            ("/v1/{name=files/**}", "/v1/other/a", None),
            (
                "/v1/{name=files/**}",
                "/v1/files/a%2Fb/c",
                Some(&["files/a%2Fb/c"]),
            ),
            (
                "/v1/{parent=orgs/*}/members/{id}",
                "/v1/orgs/o1/members/m1",
                Some(&["orgs/o1", "m1"]),
            ),
            ("/v1/a/**:x", "/v1/a/b/c:x", Some(&[])),
            ("/v1/{a.b.c}", "/v1/%E2%82%AC", Some(&["€"])),
            ("/v1/{a}", "/v1/%FF", None),
        ];
        for (template, path, expected) in cases {
            let got = t(template).matches(path);
            let expected = expected.map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, expected, "{template} against {path}");
        }
    }

    #[test]
    fn literal_templates_are_more_specific() {
        assert!(t("/v1/tasks:mine").specificity() > t("/v1/{id}").specificity());
        assert!(t("/v1/users/me").specificity() > t("/v1/users/{id}").specificity());
        assert!(t("/v1/a/{id}").specificity() > t("/v1/{name=**}").specificity());
    }

    #[test]
    fn renders_openapi_paths() {
        assert_eq!(
            t("/v1/clients/{client.id}:archive").openapi_path(),
            "/v1/clients/{client.id}:archive"
        );
        assert_eq!(t("/v1/{name=files/**}").openapi_path(), "/v1/{name}");
    }
}
