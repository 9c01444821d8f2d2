//! Canonical proto3 JSON both ways, through prost-reflect.
//!
//! Unpopulated fields: scalars, repeated and map fields are always written, with their
//! default values (`""`, `0`, `false`, the first enum value's name, `[]`, `{}`), so a
//! client sees every field of a message; message fields, `optional` fields and oneof
//! members appear only when set (protojson's `EmitDefaultValues`). 64-bit integers are
//! strings, enums are names, names are lowerCamel. Reading, JSON and proto names are
//! both accepted, and an unknown field is refused (Envoy's strictness, not
//! grpc-gateway's silence).

use bytes::{BufMut as _, Bytes, BytesMut};
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
    Value,
};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON: the parser's message, with line and column.
    Malformed(String),
    /// JSON, but a field has a value of the wrong type or an unknown name: the field
    /// path (as sent) and the reason.
    Field {
        /// Path of the field, dot-separated, as the client wrote it.
        field: String,
        /// Why.
        reason: String,
    },
}

/// The serialisation settings of the edge.
#[derive(Debug, Clone)]
pub struct JsonCodec {
    ser: SerializeOptions,
    de: DeserializeOptions,
}

impl Default for JsonCodec {
    fn default() -> Self {
        Self {
            ser: SerializeOptions::new()
                .stringify_64_bit_integers(true)
                .use_enum_numbers(false)
                .use_proto_field_name(false)
                .skip_default_fields(false),
            de: DeserializeOptions::new().deny_unknown_fields(true),
        }
    }
}

impl JsonCodec {
    /// Reads a message of type `desc` from `body` (empty means `{}`).
    pub fn decode(
        &self,
        desc: &MessageDescriptor,
        body: &[u8],
    ) -> Result<DynamicMessage, BodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(DynamicMessage::new(desc.clone()));
        }
        let mut json = serde_json::Deserializer::from_slice(body);
        let message = self.decode_from(desc, &mut json)?;
        json.end()
            .map_err(|e| BodyError::Malformed(e.to_string()))?;
        Ok(message)
    }

    /// Reads one message of type `desc` from a JSON deserialiser, tracking the path of a
    /// field whose value is wrong.
    pub fn decode_from<'de, R: serde_json::de::Read<'de>>(
        &self,
        desc: &MessageDescriptor,
        json: &mut serde_json::Deserializer<R>,
    ) -> Result<DynamicMessage, BodyError> {
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(&mut *json, &mut track);
        DynamicMessage::deserialize_with_options(desc.clone(), tracked, &self.de)
            .map_err(|e| classify(&e, track.path().to_string()))
    }

    /// Reads the value of `field` (the target of `body: "field"`) from `body`.
    pub fn decode_field(
        &self,
        field: &FieldDescriptor,
        body: &[u8],
    ) -> Result<Option<Value>, BodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if let Kind::Message(m) = field.kind()
            && !field.is_list()
            && !field.is_map()
        {
            return self.decode(&m, body).map(|m| Some(Value::Message(m)));
        }
        // A scalar, repeated or map field: read it as the one field of its message, so
        // prost-reflect applies the field's own JSON rules.
        let prefix = format!("{{\"{}\":", field.json_name());
        let mut wrapped = BytesMut::with_capacity(body.len() + prefix.len() + 1);
        wrapped.put_slice(prefix.as_bytes());
        wrapped.put_slice(body);
        wrapped.put_u8(b'}');
        // Errors name the field by its JSON name, which is what the client meant.
        let message = self.decode(field.parent_message(), &wrapped)?;
        Ok(Some(message.get_field(field).into_owned()))
    }

    /// Writes `message` as JSON.
    pub fn encode(&self, message: &DynamicMessage) -> Result<Bytes, serde_json::Error> {
        let mut out = Vec::with_capacity(256);
        let mut json = serde_json::Serializer::new(&mut out);
        message.serialize_with_options(&mut json, &self.ser)?;
        Ok(Bytes::from(out))
    }

    /// Writes one field of `message` as JSON (the target of `response_body`).
    pub fn encode_field(
        &self,
        message: &DynamicMessage,
        field: &FieldDescriptor,
    ) -> Result<Bytes, serde_json::Error> {
        if let Kind::Message(m) = field.kind()
            && !field.is_list()
            && !field.is_map()
        {
            return match message.get_field(field).as_ref() {
                Value::Message(inner) => self.encode(inner),
                _ => self.encode(&DynamicMessage::new(m)),
            };
        }
        let whole: serde_json::Value = serde_json::from_slice(&self.encode(message)?)?;
        let value = whole
            .get(field.json_name())
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        serde_json::to_vec(&value).map(Bytes::from)
    }

    /// Returns the serialisation options, for callers writing into their own buffers.
    pub fn serialize_options(&self) -> &SerializeOptions {
        &self.ser
    }
}

fn classify(error: &serde_json::Error, path: String) -> BodyError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => BodyError::Malformed(error.to_string()),
        Category::Data => {
            let reason = error.to_string();
            // A path of "." means the top level: the body itself has the wrong shape.
            let field = if path == "." { String::new() } else { path };
            BodyError::Field { field, reason }
        }
    }
}

/// Returns the update mask paths (proto names, relative to the body's message) of the
/// keys of a JSON object: nested plain messages contribute their own keys
/// (`address.city`); maps, lists and well-known types are leaves.
pub fn mask_paths(message: &MessageDescriptor, body: &serde_json::Value) -> Vec<String> {
    let mut paths = Vec::new();
    collect_mask(message, body, "", &mut paths);
    paths
}

fn collect_mask(
    message: &MessageDescriptor,
    body: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let Some(object) = body.as_object() else {
        return;
    };
    for (key, value) in object {
        let Some(field) = message
            .get_field_by_json_name(key)
            .or_else(|| message.get_field_by_name(key))
        else {
            continue;
        };
        let path = if prefix.is_empty() {
            field.name().to_owned()
        } else {
            format!("{prefix}.{}", field.name())
        };
        match field.kind() {
            Kind::Message(m)
                if !field.is_list()
                    && !field.is_map()
                    && !crate::fields::is_wkt(&m)
                    && value.as_object().is_some_and(|o| !o.is_empty()) =>
            {
                collect_mask(&m, value, &path, out);
            }
            _ => out.push(path),
        }
    }
}
