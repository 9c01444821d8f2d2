//! The data key that seals TOTP secrets at rest: 32 bytes from the environment variable
//! `CRM_USERS_DATA_KEY` (64 hex characters), or read from (or generated into)
//! `<data_dir>/keys/users-data.key`, the same pattern as the kit's mesh key.

use std::path::Path;

use anyhow::Context as _;

/// Environment variable that overrides the key file.
pub const DATA_KEY_ENV: &str = "CRM_USERS_DATA_KEY";
/// File name of the key under `<data_dir>/keys/`.
pub const DATA_KEY_FILE: &str = "users-data.key";

/// Returns the data key: from `CRM_USERS_DATA_KEY` when set, otherwise from the key file
/// under `data_dir`, generated on first use.
pub fn data_key(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    if let Ok(hex) = std::env::var(DATA_KEY_ENV) {
        return parse_hex(hex.trim())
            .with_context(|| format!("{DATA_KEY_ENV} must be 64 hexadecimal characters"));
    }
    let path = data_dir.join("keys").join(DATA_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_hex(text.trim())
            .with_context(|| format!("{} must hold 64 hexadecimal characters", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&path),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn create(path: &Path) -> anyhow::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    match write_private(path, hex.as_bytes()) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated the users data key");
            Ok(key)
        }
        // Another process sharing the data directory created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            parse_hex(text.trim())
                .with_context(|| format!("{} must hold 64 hexadecimal characters", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

fn parse_hex(text: &str) -> anyhow::Result<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        anyhow::bail!("expected 64 hexadecimal characters");
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| anyhow::anyhow!("not hexadecimal"))?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let first = create(&dir.path().join("keys").join(DATA_KEY_FILE)).expect("create");
        let path = dir.path().join("keys").join(DATA_KEY_FILE);
        let text = std::fs::read_to_string(&path).expect("file");
        assert_eq!(text.len(), 64);
        assert_eq!(parse_hex(&text).expect("hex"), first);
        // A second creation finds the file and keeps its key.
        assert_eq!(create(&path).expect("again"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn hex_keys_parse_strictly() {
        let key = parse_hex(&"0a".repeat(32)).expect("hex");
        assert_eq!(key, [10u8; 32]);
        assert!(parse_hex(&"0a".repeat(31)).is_err());
        assert!(parse_hex(&"zz".repeat(32)).is_err());
        assert!(parse_hex(&"é".repeat(32)).is_err());
    }
}
