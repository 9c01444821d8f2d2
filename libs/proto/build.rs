//! Compiles every .proto under the workspace's proto/ folder with protox (no system
//! protoc) and generates prost messages plus tonic clients and servers.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    collect_protos(&root.join("crm"), &mut files)?;
    files.sort();
    // The error model, so the edge can write google.rpc.Status details in JSON and
    // reflection clients can decode them.
    files.push(root.join("google/rpc/status.proto"));
    files.push(root.join("google/rpc/error_details.proto"));
    println!("cargo:rerun-if-changed={}", root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_imports(true);
    // Comments travel in the descriptor set: the edge's OpenAPI document and reflection
    // clients show them.
    compiler.include_source_info(true);
    compiler.open_files(&files)?;
    // Encoded by protox itself: re-encoding through prost_types would drop the
    // google.api.http options (extensions), which the JSON edge and clients read.
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("crm_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    let fds = compiler.file_descriptor_set();

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

/// Adds every .proto file below `dir` to `files`, depth first.
fn collect_protos(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
