//! A tiny scenario runner: named async scenarios run in order, one line each
//! (`ok <name> (<ms> ms)` or `FAILED <name>: <error>`), then `N passed, M failed`.

use std::future::Future;
use std::io::Write;
use std::time::Instant;

use futures::future::BoxFuture;

type Body = Box<dyn FnOnce() -> BoxFuture<'static, anyhow::Result<()>> + Send>;

/// One named scenario.
struct Scenario {
    name: String,
    body: Body,
}

/// Scenarios to run in the order they were added.
#[derive(Default)]
pub struct Runner {
    scenarios: Vec<Scenario>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.scenarios.iter().map(|s| &s.name))
            .finish()
    }
}

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The scenario.
    pub name: String,
    /// `None` when it passed, else its error with causes (`{:#}`).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub millis: u128,
}

/// What a run gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every scenario, in order.
    pub outcomes: Vec<Outcome>,
}

impl Summary {
    /// Returns how many passed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.error.is_none()).count()
    }

    /// Returns how many failed.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// Returns the process exit code: 1 when any scenario failed, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failed() > 0)
    }
}

impl Runner {
    /// Returns an empty runner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scenario.
    pub fn add<F, Fut>(&mut self, name: impl Into<String>, scenario: F) -> &mut Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.scenarios.push(Scenario {
            name: name.into(),
            body: Box::new(move || Box::pin(scenario())),
        });
        self
    }

    /// Returns the names of the scenarios, in order.
    pub fn names(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.name.as_str()).collect()
    }

    /// Runs every scenario in order, writing one line per scenario and the closing
    /// `N passed, M failed` line to `out`. A panicking scenario counts as failed.
    pub async fn run(self, out: &mut (dyn Write + Send)) -> Summary {
        let mut summary = Summary::default();
        for scenario in self.scenarios {
            let started = Instant::now();
            // Each scenario runs in its own task so a panic fails it instead of the run.
            let result = match tokio::spawn((scenario.body)()).await {
                Ok(result) => result,
                Err(join) => Err(anyhow::anyhow!("scenario panicked: {join}")),
            };
            let millis = started.elapsed().as_millis();
            let error = result.err().map(|e| one_line(&format!("{e:#}")));
            let line = match &error {
                None => format!("ok {} ({millis} ms)", scenario.name),
                Some(e) => format!("FAILED {}: {e}", scenario.name),
            };
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            summary.outcomes.push(Outcome {
                name: scenario.name,
                error,
                millis,
            });
        }
        let _ = writeln!(
            out,
            "{} passed, {} failed",
            summary.passed(),
            summary.failed()
        );
        let _ = out.flush();
        summary
    }
}

/// Keeps a multi-line error on its scenario's line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn prints_each_scenario_and_the_closing_line() {
        let mut runner = Runner::new();
        runner.add("first", || async { Ok(()) });
        runner.add("second", || async {
            Err(anyhow::anyhow!("inner").context("outer"))
        });
        runner.add("third", || async {
            if "always".len() > 1 {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(runner.names(), ["first", "second", "third"]);
        let mut out = Vec::new();
        let summary = runner.run(&mut out).await;
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("ok first ("), "{text}");
        assert!(lines[0].ends_with(" ms)"), "{text}");
        assert_eq!(lines[1], "FAILED second: outer: inner");
        assert!(
            lines[2].starts_with("FAILED third: scenario panicked"),
            "{text}"
        );
        assert_eq!(lines[3], "1 passed, 2 failed");
        assert_eq!((summary.passed(), summary.failed()), (1, 2));
        assert_eq!(summary.exit_code(), 1);
    }

    #[tokio::test]
    async fn all_passing_exits_zero() {
        let mut runner = Runner::new();
        runner.add("only", || async { Ok(()) });
        let mut out = Vec::new();
        let summary = runner.run(&mut out).await;
        assert_eq!(summary.exit_code(), 0);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .ends_with("1 passed, 0 failed\n")
        );
    }
}
