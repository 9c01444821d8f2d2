//! The OpenAPI 3.0 document of the JSON edge, generated from the same route table and
//! descriptors the edge serves: a path per binding, parameters from the template and
//! the query fields, schemas from messages and enums (in their proto3 JSON forms),
//! the error model, bearer auth, and the protos' comments as descriptions.

use std::collections::{BTreeMap, HashMap};

use prost_reflect::{
    DescriptorPool, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
};
use serde_json::{Map, Value, json};

use crate::fields::is_wkt;
use crate::routes::{Binding, BodyTarget, RouteTable};

/// The HTTP methods an OpenAPI path item can hold.
const STANDARD_METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE",
];

/// Depth to which nested message fields become `a.b.c` query parameters.
const QUERY_DEPTH: usize = 3;

/// Returns the OpenAPI document for `routes`.
pub fn document(routes: &RouteTable, pool: &DescriptorPool) -> Value {
    let mut generator = Generator {
        comments: Comments::default(),
        schemas: BTreeMap::new(),
    };
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    for binding in routes.bindings() {
        let service = binding.rpc.method.parent_service();
        tags.entry(service.name().to_owned()).or_insert_with(|| {
            generator
                .comments
                .of(&service.parent_file(), service.path())
                .unwrap_or_default()
        });
        // OpenAPI has no place for a custom HTTP method (google.api.http's `custom`).
        if !STANDARD_METHODS.contains(&binding.method.as_str()) {
            continue;
        }
        let operation = generator.operation(&binding);
        paths
            .entry(binding.template.openapi_path())
            .or_default()
            .insert(binding.method.as_str().to_ascii_lowercase(), operation);
    }
    if let Some(status) = pool.get_message_by_name("google.rpc.Status") {
        generator.schema_ref(&status);
    }
    let errors = [
        (
            "400",
            "Invalid input (google.rpc.BadRequest lists every field) or a wrong state",
        ),
        ("401", "Missing or invalid bearer token"),
        ("403", "The role may not do this"),
        (
            "404",
            "No such resource in the caller's organisation, or no such route",
        ),
        ("409", "Already exists, or a concurrent change won"),
        ("413", "Body larger than the limit"),
        ("429", "Rate limit exceeded; see Retry-After"),
        ("503", "A service is unavailable; retry later"),
        ("504", "The deadline passed"),
    ];
    let mut responses = Map::new();
    for (code, description) in errors {
        let mut response = json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}}
        });
        if code == "429" {
            response["headers"] = json!({"Retry-After": {
                "description": "Seconds to wait before retrying",
                "schema": {"type": "integer"}
            }});
        }
        responses.insert(format!("E{code}"), response);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "CRM platform API",
            "version": "v1",
            "description": "JSON over HTTP for every RPC of the platform, transcoded to gRPC by the edge. \
    Field names are lowerCamelCase (proto names are accepted too); 64-bit integers are strings; enums are \
    names; timestamps are RFC 3339. Scalars, lists and maps are always present in answers; message fields \
    appear when set. Errors are google.rpc.Status objects. Send Idempotency-Key on creates to make retries \
    safe, and Grpc-Timeout (for example 5S) to set the deadline."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": tags.into_iter().map(|(name, description)| {
            let mut tag = json!({"name": name});
            if !description.is_empty() { tag["description"] = Value::String(description); }
            tag
        }).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "responses": responses,
            "schemas": generator.schemas,
        }
    })
}

struct Generator {
    comments: Comments,
    schemas: BTreeMap<String, Value>,
}

impl Generator {
    fn operation(&mut self, binding: &Binding) -> Value {
        let method = &binding.rpc.method;
        let service = method.parent_service();
        let comment = self
            .comments
            .of(&method.parent_file(), method.path())
            .unwrap_or_default();
        let summary = comment
            .lines()
            .next()
            .unwrap_or(method.name())
            .trim()
            .to_owned();
        let mut operation_id = format!("{}_{}", service.name(), method.name());
        if binding.index > 0 {
            operation_id.push_str(&format!("_{}", binding.index));
        }
        let input = method.input();
        let mut parameters = Vec::new();
        for (variable, fields) in binding.template.variables.iter().zip(&binding.variables) {
            let Some(leaf) = fields.last() else { continue };
            let mut parameter = json!({
                "name": variable.field_path,
                "in": "path",
                "required": true,
                "schema": self.field_schema(leaf),
            });
            if let Some(d) = self.comments.of(&leaf.parent_file(), leaf.path()) {
                parameter["description"] = Value::String(d);
            }
            parameters.push(parameter);
        }
        if !matches!(binding.body, BodyTarget::Whole) && !method.is_client_streaming() {
            let bound: Vec<&[FieldDescriptor]> =
                binding.variables.iter().map(Vec::as_slice).collect();
            let body = match &binding.body {
                BodyTarget::Field(f) => Some(f),
                _ => None,
            };
            self.query_parameters(&input, "", &bound, body, 0, &mut parameters);
        }
        if input
            .get_field_by_name("request_id")
            .is_some_and(|f| f.kind() == Kind::String)
        {
            parameters.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Becomes the request's requestId: a retry with the same key does the work once",
                "schema": {"type": "string", "maxLength": 256}
            }));
        }
        parameters.push(json!({
            "name": "Grpc-Timeout",
            "in": "header",
            "required": false,
            "description": "Deadline of the call, gRPC form: 500m, 5S, 1M",
            "schema": {"type": "string", "pattern": "^[0-9]{1,8}[HMSmun]$"}
        }));

        let mut operation = json!({
            "operationId": operation_id,
            "tags": [service.name()],
            "summary": summary,
            "parameters": parameters,
        });
        if !comment.is_empty() {
            operation["description"] = Value::String(comment);
        }
        if binding.rpc.public {
            operation["security"] = json!([]);
        }
        if let Some(body) = self.request_body(binding) {
            operation["requestBody"] = body;
        }
        let success = if binding.created { "201" } else { "200" };
        let mut responses = Map::new();
        responses.insert(success.to_owned(), self.success(binding));
        for code in [
            "400", "401", "403", "404", "409", "413", "429", "503", "504",
        ] {
            if code == "401" && binding.rpc.public {
                continue;
            }
            responses.insert(
                code.to_owned(),
                json!({"$ref": format!("#/components/responses/E{code}")}),
            );
        }
        operation["responses"] = Value::Object(responses);
        operation
    }

    fn request_body(&mut self, binding: &Binding) -> Option<Value> {
        let method = &binding.rpc.method;
        let input = method.input();
        if method.is_client_streaming() {
            let mut content = Map::new();
            content.insert(
                "application/x-ndjson".to_owned(),
                json!({"schema": self.schema_ref(&input)}),
            );
            if let Some(form) = self.upload_form(&input) {
                content.insert("multipart/form-data".to_owned(), json!({"schema": form}));
            }
            return Some(json!({
                "description": "One request message per line, or for uploads a form whose fields come before the file",
                "required": true,
                "content": content,
            }));
        }
        let schema = match &binding.body {
            BodyTarget::None => return None,
            BodyTarget::Whole => self.schema_ref(&input),
            BodyTarget::Field(field) => self.field_schema(field),
        };
        Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
    }

    fn upload_form(&mut self, input: &MessageDescriptor) -> Option<Value> {
        let chunk = input
            .fields()
            .find(|f| f.kind() == Kind::Bytes && !f.is_list())?;
        let mut properties = Map::new();
        for field in input.fields().filter(|f| *f != chunk) {
            match field.kind() {
                Kind::Message(m) if !is_wkt(&m) && !field.is_list() => {
                    for inner in m.fields() {
                        properties.insert(inner.json_name().to_owned(), self.field_schema(&inner));
                    }
                }
                _ => {
                    properties.insert(field.json_name().to_owned(), self.field_schema(&field));
                }
            }
        }
        properties.insert(
            "file".to_owned(),
            json!({"type": "string", "format": "binary"}),
        );
        Some(json!({"type": "object", "properties": properties, "required": ["file"]}))
    }

    fn success(&mut self, binding: &Binding) -> Value {
        let output = binding.rpc.method.output();
        let schema = match &binding.response_body {
            Some(field) => self.field_schema(field),
            None => self.schema_ref(&output),
        };
        if binding.rpc.method.is_server_streaming() {
            return json!({
                "description": "A stream: one {\"result\": message} per line, or Server-Sent Events with Accept: text/event-stream; a failure ends it with {\"error\": status} (event: error)",
                "content": {
                    "application/x-ndjson": {"schema": {
                        "type": "object",
                        "properties": {
                            "result": schema,
                            "error": {"$ref": "#/components/schemas/google.rpc.Status"}
                        }
                    }},
                    "text/event-stream": {"schema": {"type": "string"}}
                }
            });
        }
        json!({
            "description": if binding.created { "Created" } else { "OK" },
            "content": {"application/json": {"schema": schema}}
        })
    }

    /// Adds a query parameter for every field of `message` not bound by the path
    /// (`bound`, relative to `message`) nor carried by the body.
    fn query_parameters(
        &mut self,
        message: &MessageDescriptor,
        prefix: &str,
        bound: &[&[FieldDescriptor]],
        body: Option<&FieldDescriptor>,
        depth: usize,
        out: &mut Vec<Value>,
    ) {
        for field in message.fields() {
            if body == Some(&field)
                || field.is_map()
                || bound.iter().any(|b| *b == std::slice::from_ref(&field))
            {
                continue;
            }
            let name = if prefix.is_empty() {
                field.json_name().to_owned()
            } else {
                format!("{prefix}.{}", field.json_name())
            };
            if let Kind::Message(m) = field.kind()
                && !is_wkt(&m)
            {
                if !field.is_list() && depth + 1 < QUERY_DEPTH {
                    let nested: Vec<&[FieldDescriptor]> = bound
                        .iter()
                        .filter(|b| b.len() > 1 && b[0] == field)
                        .map(|b| &b[1..])
                        .collect();
                    self.query_parameters(&m, &name, &nested, None, depth + 1, out);
                }
                continue;
            }
            let mut schema = self.field_schema(&field);
            let mut parameter = json!({"name": name, "in": "query", "required": false});
            if field.is_list() {
                parameter["explode"] = Value::Bool(true);
                parameter["style"] = Value::String("form".into());
            } else if let Some(obj) = schema.as_object_mut() {
                obj.remove("nullable");
            }
            parameter["schema"] = schema;
            if let Some(d) = self.comments.of(&field.parent_file(), field.path()) {
                parameter["description"] = Value::String(d);
            }
            out.push(parameter);
        }
    }

    fn field_schema(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map()
            && let Kind::Message(entry) = field.kind()
        {
            let value = self.kind_schema(&entry.map_entry_value_field().kind());
            return json!({"type": "object", "additionalProperties": value});
        }
        let single = self.kind_schema(&field.kind());
        let mut schema = if field.is_list() {
            json!({"type": "array", "items": single})
        } else {
            single
        };
        if schema.get("$ref").is_none()
            && let Some(d) = self.comments.of(&field.parent_file(), field.path())
            && let Some(obj) = schema.as_object_mut()
        {
            obj.insert("description".into(), Value::String(d));
        }
        schema
    }

    fn kind_schema(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double => json!({"type": "number", "format": "double"}),
            Kind::Float => json!({"type": "number", "format": "float"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({"type": "integer", "format": "int64", "minimum": 0})
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"})
            }
            Kind::Uint64 | Kind::Fixed64 => {
                json!({"type": "string", "format": "uint64", "pattern": "^[0-9]+$"})
            }
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "format": "byte"}),
            Kind::Enum(e) => self.enum_ref(e),
            Kind::Message(m) => self.schema_ref(m),
        }
    }

    fn enum_ref(&mut self, e: &EnumDescriptor) -> Value {
        let name = e.full_name().to_owned();
        if !self.schemas.contains_key(&name) {
            let mut schema = json!({
                "type": "string",
                "enum": e.values().map(|v| v.name().to_owned()).collect::<Vec<_>>(),
            });
            let mut description = self
                .comments
                .of(&e.parent_file(), e.path())
                .unwrap_or_default();
            for value in e.values() {
                if let Some(d) = self.comments.of(&value.parent_file(), value.path()) {
                    description.push_str(&format!(
                        "\n- {}: {}",
                        value.name(),
                        d.replace('\n', " ")
                    ));
                }
            }
            if !description.trim().is_empty() {
                schema["description"] = Value::String(description.trim().to_owned());
            }
            self.schemas.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn schema_ref(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = wkt_schema(message) {
            return schema;
        }
        let name = message.full_name().to_owned();
        if !self.schemas.contains_key(&name) {
            // Inserted before the fields, so a recursive message refers to itself.
            self.schemas.insert(name.clone(), json!({"type": "object"}));
            let mut properties = Map::new();
            for field in message.fields() {
                properties.insert(field.json_name().to_owned(), self.field_schema(&field));
            }
            let mut schema = json!({"type": "object", "properties": properties});
            if let Some(d) = self.comments.of(&message.parent_file(), message.path()) {
                schema["description"] = Value::String(d);
            }
            self.schemas.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }
}

/// The JSON schema of a well-known type, which has a JSON form of its own.
fn wkt_schema(message: &MessageDescriptor) -> Option<Value> {
    let nullable = |inner: Value| {
        let mut inner = inner;
        inner["nullable"] = Value::Bool(true);
        inner
    };
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$", "example": "1.5s"})
        }
        "google.protobuf.FieldMask" => {
            json!({"type": "string", "description": "Comma-separated lowerCamel field paths", "example": "displayName,email"})
        }
        "google.protobuf.Struct" => json!({"type": "object", "additionalProperties": true}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array", "items": {}}),
        "google.protobuf.Empty" => json!({"type": "object"}),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": {"@type": {"type": "string"}},
            "required": ["@type"],
            "additionalProperties": true
        }),
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => {
            nullable(json!({"type": "number"}))
        }
        "google.protobuf.Int64Value" => nullable(json!({"type": "string", "format": "int64"})),
        "google.protobuf.UInt64Value" => nullable(json!({"type": "string", "format": "uint64"})),
        "google.protobuf.Int32Value" => nullable(json!({"type": "integer", "format": "int32"})),
        "google.protobuf.UInt32Value" => nullable(json!({"type": "integer", "minimum": 0})),
        "google.protobuf.BoolValue" => nullable(json!({"type": "boolean"})),
        "google.protobuf.StringValue" => nullable(json!({"type": "string"})),
        "google.protobuf.BytesValue" => nullable(json!({"type": "string", "format": "byte"})),
        _ => return None,
    })
}

/// Leading comments by file and source path, read once per file.
#[derive(Default)]
struct Comments {
    by_file: HashMap<String, HashMap<Vec<i32>, String>>,
}

impl Comments {
    fn of(&mut self, file: &FileDescriptor, path: &[i32]) -> Option<String> {
        let map = self
            .by_file
            .entry(file.name().to_owned())
            .or_insert_with(|| {
                let mut map = HashMap::new();
                if let Some(info) = &file.file_descriptor_proto().source_code_info {
                    for location in &info.location {
                        if let Some(text) = location.leading_comments.as_deref() {
                            let text = text
                                .lines()
                                .map(str::trim)
                                .collect::<Vec<_>>()
                                .join("\n")
                                .trim()
                                .to_owned();
                            if !text.is_empty() {
                                map.insert(location.path.clone(), text);
                            }
                        }
                    }
                }
                map
            });
        map.get(path).cloned()
    }
}
