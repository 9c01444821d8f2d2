//! Setting request fields from text: path variables and query parameters.
//!
//! A query parameter names a field path with JSON or proto names (`filter.ownerId` or
//! `filter.owner_id`); repeated fields take the parameter once per value. Scalars parse
//! as their proto3 JSON string forms; enums take a value name or number; well-known
//! message types take their JSON string form (`2026-01-02T03:04:05Z`, `1.5s`,
//! `displayName,email`) or a JSON literal (`true` for a BoolValue).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value};

/// Resolves a query parameter's dot-separated path, each part a JSON or a proto name.
pub fn resolve_param(message: &MessageDescriptor, key: &str) -> Option<Vec<FieldDescriptor>> {
    let mut fields = Vec::new();
    let mut current = message.clone();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let field = current
            .get_field_by_json_name(part)
            .or_else(|| current.get_field_by_name(part))?;
        if parts.peek().is_some() {
            match field.kind() {
                Kind::Message(m) if !field.is_list() && !field.is_map() && !is_wkt(&m) => {
                    current = m;
                }
                _ => return None,
            }
        }
        fields.push(field);
    }
    Some(fields)
}

/// Sets (or, for a repeated field, appends) the value `raw` at `path` in `message`.
pub fn set_from_text(
    message: &mut DynamicMessage,
    path: &[FieldDescriptor],
    raw: &str,
) -> Result<(), String> {
    let Some((leaf, parents)) = path.split_last() else {
        return Err("empty field path".to_owned());
    };
    let mut current = message;
    for field in parents {
        current = match current.get_field_mut(field) {
            Value::Message(m) => m,
            _ => return Err(format!("{} is not a message", field.name())),
        };
    }
    if leaf.is_map() {
        return Err("map fields cannot be set from the URL".to_owned());
    }
    let value = parse_scalar(&leaf.kind(), raw)?;
    if leaf.is_list() {
        match current.get_field_mut(leaf) {
            Value::List(items) => items.push(value),
            _ => return Err(format!("{} is not repeated", leaf.name())),
        }
    } else {
        current.set_field(leaf, value);
    }
    Ok(())
}

/// Returns whether the field at `path` is already set (a repeated one: non-empty).
pub fn is_set(message: &DynamicMessage, path: &[FieldDescriptor]) -> bool {
    match path {
        [] => false,
        [leaf] => message.has_field(leaf),
        [first, rest @ ..] => {
            message.has_field(first)
                && match message.get_field(first).as_ref() {
                    Value::Message(m) => is_set(m, rest),
                    _ => false,
                }
        }
    }
}

/// Parses one value of kind `kind` from its text form.
pub fn parse_scalar(kind: &Kind, raw: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("{raw:?} is not {what}");
    Ok(match kind {
        Kind::Double => Value::F64(parse_float(raw).ok_or_else(|| bad("a number"))?),
        Kind::Float => Value::F32(parse_float(raw).ok_or_else(|| bad("a number"))? as f32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(raw.parse().map_err(|_| bad("a 32-bit integer"))?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(raw.parse().map_err(|_| bad("a 64-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => {
            Value::U32(raw.parse().map_err(|_| bad("an unsigned 32-bit integer"))?)
        }
        Kind::Uint64 | Kind::Fixed64 => {
            Value::U64(raw.parse().map_err(|_| bad("an unsigned 64-bit integer"))?)
        }
        Kind::Bool => Value::Bool(match raw {
            "true" | "True" | "TRUE" | "1" => true,
            "false" | "False" | "FALSE" | "0" => false,
            _ => return Err(bad("true or false")),
        }),
        Kind::String => Value::String(raw.to_owned()),
        Kind::Bytes => Value::Bytes(decode_base64(raw).ok_or_else(|| bad("base64"))?.into()),
        Kind::Enum(e) => {
            if let Some(v) = e.get_value_by_name(raw) {
                Value::EnumNumber(v.number())
            } else if let Some(v) = raw.parse::<i32>().ok().and_then(|n| e.get_value(n)) {
                Value::EnumNumber(v.number())
            } else {
                let names: Vec<String> = e.values().map(|v| v.name().to_owned()).collect();
                return Err(format!("{raw:?} is not one of {}", names.join(", ")));
            }
        }
        Kind::Message(m) if is_wkt(m) => {
            let as_string = serde_json::Value::String(raw.to_owned());
            match DynamicMessage::deserialize(m.clone(), as_string) {
                Ok(msg) => Value::Message(msg),
                Err(first) => {
                    let literal: serde_json::Value =
                        serde_json::from_str(raw).map_err(|_| first.to_string())?;
                    Value::Message(
                        DynamicMessage::deserialize(m.clone(), literal)
                            .map_err(|_| first.to_string())?,
                    )
                }
            }
        }
        Kind::Message(m) => {
            return Err(format!(
                "{} cannot be set from the URL; name its fields instead",
                m.full_name()
            ));
        }
    })
}

fn parse_float(raw: &str) -> Option<f64> {
    match raw {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => raw.parse().ok().filter(|f: &f64| f.is_finite()),
    }
}

fn decode_base64(raw: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(raw).ok())
}

/// Returns whether `message` is a google.protobuf well-known type with a JSON form of
/// its own (so it is a leaf for query parameters and update masks).
pub fn is_wkt(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.Struct"
            | "google.protobuf.Value"
            | "google.protobuf.ListValue"
            | "google.protobuf.Any"
            | "google.protobuf.Empty"
            | "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_parse_from_text() {
        assert_eq!(parse_scalar(&Kind::Int64, "-12"), Ok(Value::I64(-12)));
        assert_eq!(parse_scalar(&Kind::Uint32, "7"), Ok(Value::U32(7)));
        assert!(parse_scalar(&Kind::Uint32, "-7").is_err());
        assert!(parse_scalar(&Kind::Int32, "3000000000").is_err());
        assert_eq!(parse_scalar(&Kind::Bool, "true"), Ok(Value::Bool(true)));
        assert!(parse_scalar(&Kind::Bool, "yes").is_err());
        assert_eq!(
            parse_scalar(&Kind::Bytes, "aGk"),
            Ok(Value::Bytes(b"hi".to_vec().into()))
        );
        assert_eq!(parse_scalar(&Kind::Double, "1.5"), Ok(Value::F64(1.5)));
        assert!(parse_scalar(&Kind::Double, "inf").is_err());
        assert!(matches!(parse_scalar(&Kind::Double, "NaN"), Ok(Value::F64(f)) if f.is_nan()));
    }
}
