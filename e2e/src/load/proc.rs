//! CPU time and memory of a process, read from `/proc/<pid>/stat` and
//! `/proc/<pid>/status` (Linux).

use anyhow::Context as _;

/// Clock ticks per second of `utime` and `stime` in `/proc/<pid>/stat` (USER_HZ, 100 on
/// every Linux the project runs on).
pub const CLOCK_TICKS: u64 = 100;

/// Returns the CPU time (user + system) of `pid` (this process when `None`), in seconds.
pub fn cpu_seconds(pid: Option<u32>) -> anyhow::Result<f64> {
    let path = stat_path(pid, "stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let ticks = parse_stat_ticks(&text).with_context(|| format!("cannot parse {path}"))?;
    Ok(ticks as f64 / CLOCK_TICKS as f64)
}

/// Returns `utime + stime` in clock ticks from the text of `/proc/<pid>/stat`.
pub fn parse_stat_ticks(stat: &str) -> anyhow::Result<u64> {
    // The command name (field 2) is in parentheses and may hold spaces or parentheses:
    // the fields after the last ')' start with field 3 (state).
    let (_, rest) = stat
        .rsplit_once(')')
        .context("no ')' after the command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, so 11 and 12 after the state.
    let field = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .context("too few fields")?
            .parse::<u64>()
            .context("not a number")
    };
    Ok(field(11)? + field(12)?)
}

/// Resident memory of a process, in kibibytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss_kib: u64,
    /// Highest resident set size so far (`VmHWM`).
    pub hwm_kib: u64,
}

/// Returns the memory of `pid` (this process when `None`).
pub fn memory(pid: Option<u32>) -> anyhow::Result<Memory> {
    let path = stat_path(pid, "status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_status_memory(&text).with_context(|| format!("cannot parse {path}"))
}

/// Returns `VmRSS` and `VmHWM` from the text of `/proc/<pid>/status`.
pub fn parse_status_memory(status: &str) -> anyhow::Result<Memory> {
    let kib = |key: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .with_context(|| format!("no {key}"))?;
        line.trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .with_context(|| format!("bad {key}"))
    };
    Ok(Memory {
        rss_kib: kib("VmRSS:")?,
        hwm_kib: kib("VmHWM:")?,
    })
}

fn stat_path(pid: Option<u32>, file: &str) -> String {
    match pid {
        Some(pid) => format!("/proc/{pid}/{file}"),
        None => format!("/proc/self/{file}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_found_after_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    250 75 0 0 20 0 9 0 100 2000000 3000 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat).unwrap(), 325);
        assert!(parse_stat_ticks("1 (x) S 1 2").is_err());
    }

    #[test]
    fn status_memory_is_read_in_kib() {
        let status = "Name:\tcrm\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status_memory(status).unwrap(),
            Memory {
                rss_kib: 10240,
                hwm_kib: 20480
            }
        );
        assert!(parse_status_memory("Name:\tcrm\n").is_err());
    }

    #[test]
    fn this_process_is_readable() {
        assert!(cpu_seconds(None).unwrap() >= 0.0);
        assert!(memory(None).unwrap().hwm_kib > 0);
    }
}
