//! The hierarchy rules: who may report to whom, and the closure links that record it.
//!
//! The hierarchy is stored twice: each commercial's `manager_id` (the truth a caller
//! sets) and a closure table with one link (ancestor, descendant, distance) for every
//! pair on a path, each commercial being its own ancestor at distance 0. The closure
//! answers "the upline of X" and "everyone under X" with one indexed query each; these
//! functions say which links a change adds.

use uuid::Uuid;

/// The deepest level a commercial may sit at; the top of the hierarchy is level 1. A
/// commercial at this level cannot have reports.
pub const MAX_DEPTH: usize = 10;

/// Why a commercial cannot report to a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HierarchyError {
    /// The commercial would manage themselves.
    #[error("a commercial cannot be their own manager")]
    SelfManagement,
    /// The manager is the commercial's own report, directly or not: a cycle.
    #[error("the manager reports to this commercial, directly or not: that would be a cycle")]
    Cycle,
    /// The manager is deactivated.
    #[error("the manager is inactive and cannot receive new reports")]
    InactiveManager,
    /// Someone would sit below the deepest level.
    #[error(
        "the hierarchy would be {depth} levels deep under this manager; at most {MAX_DEPTH} are allowed"
    )]
    TooDeep {
        /// The depth the deepest commercial would have.
        depth: usize,
    },
}

/// One closure link: `ancestor` is `depth` levels above `descendant` (0: the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// The higher commercial.
    pub ancestor: Uuid,
    /// The lower commercial.
    pub descendant: Uuid,
    /// Levels between them.
    pub depth: usize,
}

/// Checks that `subject` (`None` for a commercial being created) may report to the
/// manager whose upline is `manager_upline` (the manager first, then their manager, up
/// to the top), when the manager is `manager_active` and the subject's own subtree has
/// `subtree_height` levels (1 when they have no reports).
pub fn check_placement(
    subject: Option<Uuid>,
    manager_upline: &[Uuid],
    manager_active: bool,
    subtree_height: usize,
) -> Result<(), HierarchyError> {
    if let Some(subject) = subject {
        if manager_upline.first() == Some(&subject) {
            return Err(HierarchyError::SelfManagement);
        }
        if manager_upline.contains(&subject) {
            return Err(HierarchyError::Cycle);
        }
    }
    if !manager_active {
        return Err(HierarchyError::InactiveManager);
    }
    let depth = manager_upline.len() + subtree_height;
    if depth > MAX_DEPTH {
        return Err(HierarchyError::TooDeep { depth });
    }
    Ok(())
}

/// Returns the links that put the subtree `subtree` (each member with their distance
/// below its root, the root at 0) under the manager whose upline is `manager_upline`
/// (the manager first). The subtree's own links are kept as they are; links from the
/// root's former ancestors are the caller's to remove.
pub fn links_under(manager_upline: &[Uuid], subtree: &[(Uuid, usize)]) -> Vec<Link> {
    let mut links = Vec::with_capacity(manager_upline.len() * subtree.len());
    for (above, ancestor) in manager_upline.iter().enumerate() {
        for &(descendant, below) in subtree {
            links.push(Link {
                ancestor: *ancestor,
                descendant,
                depth: above + 1 + below,
            });
        }
    }
    links
}

/// Returns the links of a new commercial `id` under the manager whose upline is
/// `manager_upline` (empty at the top): its own link at distance 0 and one per
/// ancestor.
pub fn links_of_new(id: Uuid, manager_upline: &[Uuid]) -> Vec<Link> {
    let mut links = vec![Link {
        ancestor: id,
        descendant: id,
        depth: 0,
    }];
    links.extend(links_under(manager_upline, &[(id, 0)]));
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::now_v7()).collect()
    }

    #[test]
    fn a_commercial_cannot_manage_themselves() {
        let x = Uuid::now_v7();
        assert_eq!(
            check_placement(Some(x), &[x], true, 1),
            Err(HierarchyError::SelfManagement)
        );
    }

    #[test]
    fn cycles_of_any_length_are_refused() {
        // chain[0] is the manager, chain[4] the top; x sits anywhere above the manager.
        let chain = ids(5);
        for i in 1..chain.len() {
            assert_eq!(
                check_placement(Some(chain[i]), &chain[..], true, 2),
                Err(HierarchyError::Cycle),
                "{i}"
            );
        }
        assert_eq!(
            check_placement(Some(Uuid::now_v7()), &chain, true, 1),
            Ok(())
        );
    }

    #[test]
    fn inactive_managers_get_no_reports() {
        assert_eq!(
            check_placement(None, &ids(1), false, 1),
            Err(HierarchyError::InactiveManager)
        );
    }

    #[test]
    fn depth_counts_the_whole_subtree() {
        // A manager at level 9 can take a leaf (level 10) but not a subtree of two levels.
        let upline = ids(9);
        assert_eq!(check_placement(None, &upline, true, 1), Ok(()));
        assert_eq!(
            check_placement(Some(Uuid::now_v7()), &upline, true, 2),
            Err(HierarchyError::TooDeep { depth: 11 })
        );
        // A manager at level 10 can take nobody.
        assert_eq!(
            check_placement(None, &ids(10), true, 1),
            Err(HierarchyError::TooDeep { depth: 11 })
        );
        // The top may take a subtree of nine levels.
        assert_eq!(check_placement(None, &ids(1), true, 9), Ok(()));
    }

    #[test]
    fn links_cover_every_pair() {
        let (m, top) = (Uuid::now_v7(), Uuid::now_v7());
        let (x, r, rr) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut links = links_under(&[m, top], &[(x, 0), (r, 1), (rr, 2)]);
        links.sort();
        let mut expected = vec![
            Link {
                ancestor: m,
                descendant: x,
                depth: 1,
            },
            Link {
                ancestor: m,
                descendant: r,
                depth: 2,
            },
            Link {
                ancestor: m,
                descendant: rr,
                depth: 3,
            },
            Link {
                ancestor: top,
                descendant: x,
                depth: 2,
            },
            Link {
                ancestor: top,
                descendant: r,
                depth: 3,
            },
            Link {
                ancestor: top,
                descendant: rr,
                depth: 4,
            },
        ];
        expected.sort();
        assert_eq!(links, expected);
    }

    #[test]
    fn a_new_commercial_links_to_itself_and_its_upline() {
        let (n, m, top) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            links_of_new(n, &[m, top]),
            [
                Link {
                    ancestor: n,
                    descendant: n,
                    depth: 0
                },
                Link {
                    ancestor: m,
                    descendant: n,
                    depth: 1
                },
                Link {
                    ancestor: top,
                    descendant: n,
                    depth: 2
                },
            ]
        );
        assert_eq!(links_of_new(n, &[]).len(), 1);
    }
}
