//! Checks that need no server: the descriptor set decodes, holds exactly the services
//! the generated code serves, every method carries a `google.api.http` rule, and every
//! generated client builds over a lazy channel.

use std::collections::BTreeSet;

use anyhow::Context as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, ReflectMessage as _, Value};
use tonic::transport::{Channel, Endpoint};

use crate::runner::Runner;

/// Field number of the `google.api.http` extension of `google.protobuf.MethodOptions`.
pub const HTTP_RULE_EXTENSION: u32 = 72_295_728;

/// The packages under test and the services the generated code knows in each.
pub const PACKAGES: [(&str, &[&str]); 13] = [
    (
        "crm.users.v1",
        &[crm_proto::users::v1::user_service_server::SERVICE_NAME],
    ),
    (
        "crm.organisations.v1",
        &[crm_proto::organisations::v1::organisation_service_server::SERVICE_NAME],
    ),
    (
        "crm.clients.v1",
        &[crm_proto::clients::v1::client_service_server::SERVICE_NAME],
    ),
    (
        "crm.activites.v1",
        &[crm_proto::activites::v1::activity_service_server::SERVICE_NAME],
    ),
    (
        "crm.referentiel.v1",
        &[crm_proto::referentiel::v1::referentiel_service_server::SERVICE_NAME],
    ),
    (
        "crm.products.v1",
        &[crm_proto::products::v1::product_service_server::SERVICE_NAME],
    ),
    (
        "crm.commerciaux.v1",
        &[crm_proto::commerciaux::v1::commercial_service_server::SERVICE_NAME],
    ),
    (
        "crm.calendar.v1",
        &[crm_proto::calendar::v1::calendar_service_server::SERVICE_NAME],
    ),
    (
        "crm.contrats.v1",
        &[crm_proto::contrats::v1::contract_service_server::SERVICE_NAME],
    ),
    (
        "crm.payments.v1",
        &[crm_proto::payments::v1::payment_service_server::SERVICE_NAME],
    ),
    (
        "crm.factures.v1",
        &[crm_proto::factures::v1::invoice_service_server::SERVICE_NAME],
    ),
    (
        "crm.retry.v1",
        &[crm_proto::retry::v1::retry_service_server::SERVICE_NAME],
    ),
    (
        "crm.commission.v1",
        &[crm_proto::commission::v1::commission_service_server::SERVICE_NAME],
    ),
];

/// Returns the pool of every CRM descriptor.
pub fn pool() -> anyhow::Result<DescriptorPool> {
    DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET)
        .context("cannot decode crm_proto::FILE_DESCRIPTOR_SET")
}

/// Checks that each package of [`PACKAGES`] holds exactly the services the generated
/// code knows; returns how many services were found.
pub fn check_services(pool: &DescriptorPool) -> anyhow::Result<usize> {
    let mut problems = Vec::new();
    let mut found = 0;
    for (package, expected) in PACKAGES {
        let in_pool: BTreeSet<String> = pool
            .services()
            .filter(|s| s.package_name() == package)
            .map(|s| s.full_name().to_owned())
            .collect();
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        for missing in expected.difference(&in_pool) {
            problems.push(format!("{missing} is not in the descriptor set"));
        }
        for unknown in in_pool.difference(&expected) {
            problems.push(format!("{unknown} has no generated server"));
        }
        if in_pool.is_empty() {
            problems.push(format!("package {package} has no service"));
        }
        found += in_pool.intersection(&expected).count();
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        anyhow::bail!("{}", problems.join("; "))
    }
}

/// Returns the verb and path of the method's `google.api.http` rule, read as extension
/// [`HTTP_RULE_EXTENSION`] of its options, or `None` when it has none.
pub fn http_rule(method: &MethodDescriptor) -> Option<(String, String)> {
    let options = method.options();
    let extension = options.descriptor().get_extension(HTTP_RULE_EXTENSION)?;
    if !options.has_extension(&extension) {
        return None;
    }
    let value = options.get_extension(&extension);
    let rule = value.as_message()?;
    for verb in ["get", "put", "post", "delete", "patch"] {
        if let Some(path) = string_field(rule, verb).filter(|p| !p.is_empty()) {
            return Some((verb.to_uppercase(), path));
        }
    }
    let custom = rule.get_field_by_name("custom")?;
    let custom = custom.as_message()?;
    let kind = string_field(custom, "kind").filter(|k| !k.is_empty())?;
    let path = string_field(custom, "path").filter(|p| !p.is_empty())?;
    Some((kind, path))
}

fn string_field(message: &DynamicMessage, name: &str) -> Option<String> {
    match message.get_field_by_name(name)?.as_ref() {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Checks that every method of every service of [`PACKAGES`] has a `google.api.http`
/// rule with a verb and a path; returns how many methods were checked.
pub fn check_http_rules(pool: &DescriptorPool) -> anyhow::Result<usize> {
    let mut missing = Vec::new();
    let mut checked = 0;
    for (package, _) in PACKAGES {
        for service in pool.services().filter(|s| s.package_name() == package) {
            for method in service.methods() {
                checked += 1;
                match http_rule(&method) {
                    Some((_, path)) if path.starts_with('/') => {}
                    Some((verb, path)) => {
                        missing.push(format!("{} has {verb} {path:?}", method.full_name()))
                    }
                    None => missing.push(format!("{} has none", method.full_name())),
                }
            }
        }
    }
    if checked == 0 {
        anyhow::bail!("no method found in {:?}", PACKAGES.map(|(p, _)| p));
    }
    if missing.is_empty() {
        return Ok(checked);
    }
    const SHOWN: usize = 5;
    let more = missing.len().saturating_sub(SHOWN);
    let mut message = format!(
        "{} of {checked} methods lack a google.api.http rule: {}",
        missing.len(),
        missing[..missing.len().min(SHOWN)].join("; ")
    );
    if more > 0 {
        message.push_str(&format!(" (and {more} more)"));
    }
    anyhow::bail!(message)
}

/// Builds every generated client over a lazy channel (nothing connects); needs a tokio
/// runtime. Returns the names of the clients built.
pub fn construct_clients() -> anyhow::Result<Vec<&'static str>> {
    use crm_proto::clients::v1::client_service_client::ClientServiceClient;
    use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
    use crm_proto::users::v1::user_service_client::UserServiceClient;
    let channel: Channel = Endpoint::from_static("http://127.0.0.1:9").connect_lazy();
    let users = UserServiceClient::new(channel.clone()).max_decoding_message_size(1 << 20);
    let organisations = OrganisationServiceClient::new(channel.clone());
    let clients = ClientServiceClient::new(channel);
    drop((users, organisations, clients));
    Ok(vec![
        crm_proto::users::v1::user_service_server::SERVICE_NAME,
        crm_proto::organisations::v1::organisation_service_server::SERVICE_NAME,
        crm_proto::clients::v1::client_service_server::SERVICE_NAME,
    ])
}

/// Checks that the load generator's JSON encoding of a GetClient request gives the
/// same bytes as the generated prost type: the descriptors and the code agree.
pub fn check_json_encoding(pool: &DescriptorPool) -> anyhow::Result<()> {
    let id = "01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b11";
    let method = crate::load::find_method(pool, "/crm.clients.v1.ClientService/GetClient")?;
    let bytes = crate::load::encode_json(&method, &format!(r#"{{"clientId":"{id}"}}"#))?;
    let expected = crm_proto::clients::v1::GetClientRequest {
        client_id: id.to_owned(),
    }
    .encode_to_vec();
    anyhow::ensure!(
        bytes.as_ref() == expected.as_slice(),
        "JSON encoding {:?} differs from prost's {:?}",
        bytes.as_ref(),
        expected
    );
    Ok(())
}

/// Returns the mock suite.
pub fn scenarios() -> Runner {
    let mut runner = Runner::new();
    runner.add("descriptor set decodes", || async {
        let pool = pool()?;
        anyhow::ensure!(
            pool.services().len() > 0,
            "no service in the descriptor set"
        );
        Ok(())
    });
    runner.add(
        "services of users, organisations, clients present",
        || async { check_services(&pool()?).map(drop) },
    );
    runner.add("every method has a google.api.http rule", || async {
        check_http_rules(&pool()?).map(drop)
    });
    runner.add("generated clients build over a lazy channel", || async {
        construct_clients().map(drop)
    });
    runner.add("proto JSON encodes like the generated types", || async {
        check_json_encoding(&pool()?)
    });
    runner
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Compiles the workspace's proto/ folder the way crm-proto does, but encodes the
    /// set with protox's `encode_file_descriptor_set`, which keeps extension options
    /// (prost_types' MethodOptions has no field for them, so encoding the prost_types
    /// set drops every google.api.http rule).
    fn pool_with_options() -> DescriptorPool {
        fn collect(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    collect(&path, root, out);
                } else if path.extension().is_some_and(|e| e == "proto") {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
        let mut files = Vec::new();
        collect(&root.join("crm"), &root, &mut files);
        files.sort();
        let mut compiler = protox::Compiler::new([&root]).unwrap();
        compiler.include_imports(true);
        compiler.open_files(&files).unwrap();
        DescriptorPool::decode(compiler.encode_file_descriptor_set().as_slice()).unwrap()
    }

    #[test]
    fn http_rules_are_read_from_the_options() {
        let pool = pool_with_options();
        let get = pool
            .get_service_by_name("crm.clients.v1.ClientService")
            .and_then(|s| s.methods().find(|m| m.name() == "GetClient"))
            .unwrap();
        assert_eq!(
            http_rule(&get),
            Some(("GET".to_owned(), "/v1/clients/{client_id}".to_owned()))
        );
        let sign_up = pool
            .get_service_by_name("crm.users.v1.UserService")
            .and_then(|s| s.methods().find(|m| m.name() == "SignUp"))
            .unwrap();
        assert_eq!(
            http_rule(&sign_up),
            Some(("POST".to_owned(), "/v1/users:signUp".to_owned()))
        );
        assert_eq!(check_http_rules(&pool).unwrap(), crm_methods(&pool));
    }

    /// The number of methods of the `crm.*` services in `pool`.
    fn crm_methods(pool: &DescriptorPool) -> usize {
        pool.services()
            .filter(|s| s.full_name().starts_with("crm."))
            .map(|s| s.methods().len())
            .sum()
    }

    #[test]
    fn a_method_without_a_rule_is_reported() {
        // The health service's descriptor carries no google.api.http rule.
        let pool = DescriptorPool::decode(tonic_health::pb::FILE_DESCRIPTOR_SET).unwrap();
        let check = pool
            .get_service_by_name("grpc.health.v1.Health")
            .and_then(|s| s.methods().find(|m| m.name() == "Check"))
            .unwrap();
        assert_eq!(http_rule(&check), None);
        // Options decoded without the extension known: the rule is absent, not an error.
        let prost_set =
            prost_types::FileDescriptorSet::decode(pool_with_options().encode_to_vec().as_slice())
                .unwrap();
        let stripped = DescriptorPool::from_file_descriptor_set(prost_set).unwrap();
        let error = check_http_rules(&stripped).unwrap_err().to_string();
        let all = crm_methods(&stripped);
        assert!(
            error.starts_with(&format!(
                "{all} of {all} methods lack a google.api.http rule: crm."
            )),
            "{error}"
        );
    }

    #[test]
    fn services_match_the_generated_code() {
        assert_eq!(check_services(&pool().unwrap()).unwrap(), PACKAGES.len());
        assert_eq!(
            check_services(&pool_with_options()).unwrap(),
            PACKAGES.len()
        );
    }
}
