//! The event backbone seen from outside: a client created through gRPC shows up on its
//! timeline in the activites service, carried by the bus (NATS in the production
//! topology, in process under `crm up`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crm_proto::activites::v1 as pb;
use crm_proto::activites::v1::activity::Details;
use crm_proto::activites::v1::activity_service_client::ActivityServiceClient;
use crm_testkit::authed;

use super::{Live, ok};
use crate::runner::Runner;

/// Adds the timeline scenario.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "a created client appears on its activites timeline",
        move || async move { client_on_timeline(&l).await },
    );
}

async fn client_on_timeline(live: &Live) -> anyhow::Result<()> {
    let client = live.client().await?.clone();
    let first = live.first().await?;
    let mut activites = ActivityServiceClient::new(live.activites.clone());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = ok(
            activites
                .list_timeline(authed(
                    &first.tokens.access_token,
                    pb::ListTimelineRequest {
                        client_id: client.id.clone(),
                        ..Default::default()
                    },
                ))
                .await,
            "ListTimeline",
        )?;
        let created: Vec<_> = page
            .activities
            .iter()
            .filter(|a| matches!(&a.details, Some(Details::System(s)) if s.event_type == "client.created"))
            .collect();
        match created.len() {
            1 => return Ok(()),
            0 if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            0 => anyhow::bail!("no client.created activity on the timeline after 15 s"),
            n => anyhow::bail!("{n} client.created activities for one client"),
        }
    }
}
