//! The route table: every `google.api.http` rule (and its `additional_bindings`) of every
//! service in the descriptor set, resolved against the messages once at start, and the
//! lookup of a request's method and path.

use std::collections::HashMap;
use std::sync::Arc;

use crm_proto::google::api::{HttpRule, http_rule::Pattern};
use http::Method;
use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};
use tonic::codegen::http::uri::PathAndQuery;

use crate::template::Template;

/// The full name of the FieldMask message.
pub const FIELD_MASK: &str = "google.protobuf.FieldMask";

/// One RPC the edge can call.
#[derive(Debug)]
pub struct Rpc {
    /// Its descriptor.
    pub method: MethodDescriptor,
    /// Its gRPC path, `/crm.clients.v1.ClientService/GetClient`.
    pub path: PathAndQuery,
    /// Whether the edge lets it through without a token ([`crate::public`]).
    pub public: bool,
}

/// Where the request body goes.
#[derive(Debug, Clone)]
pub enum BodyTarget {
    /// No body: every field not bound by the path comes from the query.
    None,
    /// `body: "*"`: the whole request message; no query parameters.
    Whole,
    /// `body: "field"`: that field; the rest from the path and the query.
    Field(FieldDescriptor),
}

/// One HTTP binding of an RPC.
#[derive(Debug)]
pub struct Binding {
    /// The RPC.
    pub rpc: Arc<Rpc>,
    /// The HTTP method.
    pub method: Method,
    /// The path template.
    pub template: Template,
    /// The field path of each template variable, resolved.
    pub variables: Vec<Vec<FieldDescriptor>>,
    /// Where the body goes.
    pub body: BodyTarget,
    /// The response field written as the body instead of the whole response.
    pub response_body: Option<FieldDescriptor>,
    /// Whether success answers 201 Created (a POST to a `Create*` method).
    pub created: bool,
    /// The request's `update_mask` a PATCH fills from the body's keys, when the body is
    /// one field and the request has a FieldMask `update_mask`.
    pub update_mask: Option<FieldDescriptor>,
    /// Which binding of the RPC this is: 0 for the main rule.
    pub index: usize,
}

/// A rule that cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("{method}: {reason}")]
pub struct RouteError {
    /// The RPC.
    pub method: String,
    /// Why.
    pub reason: String,
}

/// Every binding, grouped by HTTP method.
#[derive(Debug, Default)]
pub struct RouteTable {
    by_method: HashMap<Method, Vec<Arc<Binding>>>,
    rpcs: HashMap<String, Arc<Rpc>>,
}

/// The outcome of a lookup.
#[derive(Debug)]
pub enum Lookup {
    /// A binding matched; the values of its variables in template order.
    Found(Arc<Binding>, Vec<String>),
    /// The path exists under other methods (for 405 and `Allow`).
    OtherMethods(Vec<Method>),
    /// Nothing matches the path.
    NotFound,
}

impl RouteTable {
    /// Builds the table from every service of `pool` whose full name starts with one of
    /// `packages` (`crm.`), refusing a rule that names a missing field.
    pub fn build(
        pool: &DescriptorPool,
        packages: &[&str],
        public: impl Fn(&str) -> bool,
    ) -> Result<Self, RouteError> {
        let http = pool.get_extension_by_name("google.api.http");
        let mut table = Self::default();
        for service in pool.services() {
            if !packages.iter().any(|p| service.full_name().starts_with(p)) {
                continue;
            }
            for method in service.methods() {
                let path = format!("/{}/{}", service.full_name(), method.name());
                let fail = |reason: String| RouteError {
                    method: method.full_name().to_owned(),
                    reason,
                };
                let rpc = Arc::new(Rpc {
                    public: public(&path),
                    path: PathAndQuery::try_from(path.as_str())
                        .map_err(|e| fail(format!("bad gRPC path: {e}")))?,
                    method: method.clone(),
                });
                table.rpcs.insert(path, rpc.clone());
                let Some(http) = &http else { continue };
                let options = method.options();
                if !options.has_extension(http) {
                    continue;
                }
                let rule = match options.get_extension(http).as_message() {
                    Some(m) => m
                        .transcode_to::<HttpRule>()
                        .map_err(|e| fail(format!("unreadable http rule: {e}")))?,
                    None => continue,
                };
                let mut rules = vec![rule.clone()];
                rules.extend(rule.additional_bindings.iter().cloned());
                for (index, rule) in rules.iter().enumerate() {
                    let binding = binding(&rpc, rule, index).map_err(fail)?;
                    table
                        .by_method
                        .entry(binding.method.clone())
                        .or_default()
                        .push(Arc::new(binding));
                }
            }
        }
        // Most specific first, so the first match is the one to take.
        for bindings in table.by_method.values_mut() {
            bindings.sort_by_key(|b| std::cmp::Reverse(b.template.specificity()));
        }
        Ok(table)
    }

    /// Returns the binding for `method` and `path`.
    pub fn lookup(&self, method: &Method, path: &str) -> Lookup {
        let Some(parts) = crate::template::split_path(path) else {
            return Lookup::NotFound;
        };
        if let Some(bindings) = self.by_method.get(method) {
            for binding in bindings {
                if let Some(values) = binding.template.matches_parts(&parts) {
                    return Lookup::Found(binding.clone(), values);
                }
            }
        }
        let mut others: Vec<Method> = self
            .by_method
            .iter()
            .filter(|(m, _)| *m != method)
            .filter(|(_, bs)| {
                bs.iter()
                    .any(|b| b.template.matches_parts(&parts).is_some())
            })
            .map(|(m, _)| m.clone())
            .collect();
        if others.is_empty() {
            return Lookup::NotFound;
        }
        others.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Lookup::OtherMethods(others)
    }

    /// Returns every binding, sorted by path then method.
    pub fn bindings(&self) -> Vec<Arc<Binding>> {
        let mut all: Vec<Arc<Binding>> = self.by_method.values().flatten().cloned().collect();
        all.sort_by(|a, b| {
            (a.template.source.as_str(), a.method.as_str())
                .cmp(&(b.template.source.as_str(), b.method.as_str()))
        });
        all
    }

    /// Returns the full names of the gRPC services that have RPCs in the table.
    pub fn services(&self) -> impl Iterator<Item = String> + '_ {
        self.rpcs
            .values()
            .map(|r| r.method.parent_service().full_name().to_owned())
    }

    /// Returns the RPC with gRPC path `path`.
    pub fn rpc(&self, path: &str) -> Option<&Arc<Rpc>> {
        self.rpcs.get(path)
    }
}

fn binding(rpc: &Arc<Rpc>, rule: &HttpRule, index: usize) -> Result<Binding, String> {
    let (method, template) = match &rule.pattern {
        Some(Pattern::Get(p)) => (Method::GET, p.as_str()),
        Some(Pattern::Put(p)) => (Method::PUT, p.as_str()),
        Some(Pattern::Post(p)) => (Method::POST, p.as_str()),
        Some(Pattern::Delete(p)) => (Method::DELETE, p.as_str()),
        Some(Pattern::Patch(p)) => (Method::PATCH, p.as_str()),
        Some(Pattern::Custom(c)) => (
            Method::from_bytes(c.kind.as_bytes())
                .map_err(|_| format!("bad custom HTTP method {:?}", c.kind))?,
            c.path.as_str(),
        ),
        None => return Err("http rule without a pattern".to_owned()),
    };
    let template = Template::parse(template).map_err(|e| e.to_string())?;
    let input = rpc.method.input();
    let variables = template
        .variables
        .iter()
        .map(|v| resolve_path(&input, &v.field_path))
        .collect::<Result<Vec<_>, _>>()?;
    for (variable, fields) in template.variables.iter().zip(&variables) {
        let leaf = fields.last().ok_or("empty variable")?;
        if leaf.is_list() || leaf.is_map() || matches!(leaf.kind(), Kind::Message(_)) {
            return Err(format!(
                "path variable {} must be a singular scalar field",
                variable.field_path
            ));
        }
    }
    let body = match rule.body.as_str() {
        "" => BodyTarget::None,
        "*" => BodyTarget::Whole,
        name => BodyTarget::Field(
            input
                .get_field_by_name(name)
                .ok_or_else(|| format!("body field {name:?} is not in {}", input.full_name()))?,
        ),
    };
    if matches!(body, BodyTarget::Whole | BodyTarget::Field(_)) && method == Method::GET {
        return Err("a GET rule cannot take a body".to_owned());
    }
    let output = rpc.method.output();
    let response_body = match rule.response_body.as_str() {
        "" => None,
        name => Some(output.get_field_by_name(name).ok_or_else(|| {
            format!(
                "response_body field {name:?} is not in {}",
                output.full_name()
            )
        })?),
    };
    let update_mask = match (&method, &body) {
        (&Method::PATCH, BodyTarget::Field(_)) => input
            .get_field_by_name("update_mask")
            .filter(|f| !f.is_list() && is_message(f, FIELD_MASK)),
        _ => None,
    };
    Ok(Binding {
        created: method == Method::POST && rpc.method.name().starts_with("Create"),
        rpc: rpc.clone(),
        method,
        template,
        variables,
        body,
        response_body,
        update_mask,
        index,
    })
}

/// Resolves a dot-separated field path (proto names) in `message`.
pub fn resolve_path(
    message: &MessageDescriptor,
    path: &str,
) -> Result<Vec<FieldDescriptor>, String> {
    let mut fields = Vec::new();
    let mut current = message.clone();
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let field = current
            .get_field_by_name(part)
            .ok_or_else(|| format!("field {path:?} is not in {}", message.full_name()))?;
        if i + 1 < parts.len() {
            match field.kind() {
                Kind::Message(m) if !field.is_list() && !field.is_map() => current = m,
                _ => return Err(format!("field path {path:?} crosses a non-message field")),
            }
        }
        fields.push(field);
    }
    Ok(fields)
}

/// Returns whether `field` holds a message named `full_name`.
pub fn is_message(field: &FieldDescriptor, full_name: &str) -> bool {
    matches!(field.kind(), Kind::Message(m) if m.full_name() == full_name)
}
