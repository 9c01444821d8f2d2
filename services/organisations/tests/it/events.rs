//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::organisations::v1 as pb;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::DatabaseTransaction;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member};

#[derive(Default)]
struct Collect(Mutex<Vec<Delivered>>);

impl Handler for Collect {
    fn handle<'a>(
        &'a self,
        _: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(event.clone());
            }
            Ok(())
        })
    }
}

impl Collect {
    /// Returns the events seen once there are at least `n`, then a little later, so an
    /// extra event would show too (or what was seen after 5 s).
    async fn wait_for(&self, n: usize) -> Vec<Delivered> {
        for _ in 0..100 {
            if self.0.lock().map(|s| s.len()).unwrap_or_default() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Starts the service over a fresh database of each backend, with a subscriber that
/// collects every event it publishes.
async fn collecting_envs() -> Vec<(Env, Arc<Collect>)> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_organisations::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let seen = Arc::new(Collect::default());
        let _subscription = deps.bus.subscribe(
            deps.db.clone(),
            Subscription {
                service: "test".into(),
                name: "collect".into(),
                event_types: vec![],
                max_deliver: 1,
                backoff: vec![],
            },
            seen.clone(),
            Box::pin(async {}),
        );
        let running = crm_testkit::spawn(deps, crm_organisations::build)
            .await
            .expect("spawn");
        out.push((Env { keys, running, db }, seen));
    }
    out
}

fn meta(m: Option<ev::EventMeta>) -> ev::EventMeta {
    m.expect("meta")
}

/// Creating an organisation (then replaying it), inviting (then replaying it), accepting,
/// changing a role and removing the member publish, in order: organisation.created and
/// the owner's member.added (versions 1 and 2 of the organisation), invitation.created
/// with the plaintext token (the invitation's version 1), member.added (3) and
/// member.removed (5: the role change took 4 without an event). Replays, refused
/// changes (the last owner leaving, a second accept, an agent inviting, removing a
/// former member) and the role change publish nothing.
#[tokio::test]
async fn membership_changes_publish_their_events_in_order() {
    for (env, seen) in collecting_envs().await {
        let creator = Uuid::now_v7();
        let request_id = Uuid::now_v7().to_string();
        let create = || pb::CreateOrganisationRequest {
            organisation: Some(pb::Organisation {
                name: "Événements SA".into(),
                siren: "356000000".into(),
                ..Default::default()
            }),
            request_id: request_id.clone(),
        };
        let org = env
            .client()
            .create_organisation(env.bare(creator, create()))
            .await
            .expect("create")
            .into_inner()
            .organisation
            .expect("organisation");
        let replay = env
            .client()
            .create_organisation(env.bare(creator, create()))
            .await
            .expect("replay")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(replay.id, org.id);
        let org_id: Uuid = org.id.parse().expect("organisation id");
        let owner = Member {
            org: org_id,
            user: creator,
            role: Role::Owner,
        };

        let invite_id = Uuid::now_v7().to_string();
        let invite = || pb::InviteMemberRequest {
            organisation_id: org.id.clone(),
            email: "Nouvelle@Example.fr".into(),
            role: Role::Agent.to_proto(),
            request_id: invite_id.clone(),
        };
        let invited = env
            .client()
            .invite_member(env.req(owner, invite()))
            .await
            .expect("invite")
            .into_inner();
        assert!(!invited.token.is_empty());
        let invitation = invited.invitation.expect("invitation");
        let replayed = env
            .client()
            .invite_member(env.req(owner, invite()))
            .await
            .expect("replayed invite")
            .into_inner();
        assert!(replayed.token.is_empty());

        // Refused: the last owner leaving.
        let leave = env
            .client()
            .remove_member(env.req(
                owner,
                pb::RemoveMemberRequest {
                    organisation_id: org.id.clone(),
                    user_id: creator.to_string(),
                },
            ))
            .await
            .expect_err("the last owner cannot leave");
        assert_eq!(leave.code(), Code::FailedPrecondition);

        let joiner = Uuid::now_v7();
        env.accept(joiner, &invited.token).await.expect("accept");
        assert!(env.accept(Uuid::now_v7(), &invited.token).await.is_err());
        let agent = Member {
            org: org_id,
            user: joiner,
            role: Role::Agent,
        };
        assert_eq!(
            env.invite(agent, "autre@example.fr", Role::Agent)
                .await
                .expect_err("an agent cannot invite")
                .code(),
            Code::PermissionDenied
        );
        env.client()
            .update_member_role(env.req(
                owner,
                pb::UpdateMemberRoleRequest {
                    organisation_id: org.id.clone(),
                    user_id: joiner.to_string(),
                    role: Role::Manager.to_proto(),
                },
            ))
            .await
            .expect("update role");
        let remove = || pb::RemoveMemberRequest {
            organisation_id: org.id.clone(),
            user_id: joiner.to_string(),
        };
        env.client()
            .remove_member(env.req(owner, remove()))
            .await
            .expect("remove");
        let again = env
            .client()
            .remove_member(env.req(owner, remove()))
            .await
            .expect_err("no longer a member");
        assert_eq!(again.code(), Code::NotFound);

        let events = seen.wait_for(5).await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "organisation.created",
                "member.added",
                "invitation.created",
                "member.added",
                "member.removed"
            ]
        );
        let versions: Vec<i64> = events.iter().map(|e| e.aggregate_version).collect();
        assert_eq!(versions, [1, 2, 1, 3, 5]);
        assert!(events.iter().all(|e| e.organisation_id == org_id));
        let aggregates: Vec<&str> = events.iter().map(|e| e.aggregate_id.as_str()).collect();
        assert_eq!(
            aggregates,
            [org.id.as_str(), &org.id, &invitation.id, &org.id, &org.id]
        );
        assert!(events.iter().all(|e| e.traceparent.is_some()));

        let created = ev::OrganisationCreated::decode(events[0].payload.clone()).expect("created");
        assert_eq!(created.name, "Événements SA");
        assert_eq!(created.slug, org.slug);
        assert_eq!(created.siren, "356000000");
        assert_eq!(created.owner_user_id, creator.to_string());
        let m = meta(created.meta);
        assert_eq!(
            (m.organisation_id.as_str(), m.aggregate_id.as_str()),
            (org.id.as_str(), org.id.as_str())
        );
        assert_eq!(m.aggregate_version, 1);
        assert_eq!(m.actor_user_id, creator.to_string());
        assert_eq!(m.occur_time, org.create_time);

        let owner_added = ev::MemberAdded::decode(events[1].payload.clone()).expect("added");
        assert_eq!(owner_added.user_id, creator.to_string());
        assert_eq!(owner_added.role, Role::Owner.to_proto());
        assert_eq!(owner_added.invitation_id, "");
        assert_eq!(meta(owner_added.meta).aggregate_version, 2);

        let inv = ev::InvitationCreated::decode(events[2].payload.clone()).expect("invitation");
        assert_eq!(inv.invitation_id, invitation.id);
        assert_eq!(inv.email, "nouvelle@example.fr");
        assert_eq!(inv.role, Role::Agent.to_proto());
        assert_eq!(inv.token, invited.token);
        assert_eq!(inv.expire_time, invitation.expire_time);
        let m = meta(inv.meta);
        assert_eq!(m.aggregate_id, invitation.id);
        assert_eq!(m.organisation_id, org.id);
        assert_eq!(m.actor_user_id, creator.to_string());

        let joined = ev::MemberAdded::decode(events[3].payload.clone()).expect("joined");
        assert_eq!(joined.user_id, joiner.to_string());
        assert_eq!(joined.role, Role::Agent.to_proto());
        assert_eq!(joined.invitation_id, invitation.id);
        let m = meta(joined.meta);
        assert_eq!(m.aggregate_version, 3);
        assert_eq!(m.actor_user_id, joiner.to_string());

        let removed = ev::MemberRemoved::decode(events[4].payload.clone()).expect("removed");
        assert_eq!(removed.user_id, joiner.to_string());
        assert_eq!(removed.role, Role::Manager.to_proto());
        let m = meta(removed.meta);
        assert_eq!(m.aggregate_version, 5);
        assert_eq!(m.actor_user_id, creator.to_string());
        env.running.stop().await.expect("stop");
    }
}

/// A member leaving publishes member.removed with the member as the actor; an
/// organisation whose creation is refused (an invalid field) publishes nothing.
#[tokio::test]
async fn leaving_publishes_member_removed_and_a_refused_creation_nothing() {
    for (env, seen) in collecting_envs().await {
        let refused = env
            .client()
            .create_organisation(env.bare(
                Uuid::now_v7(),
                pb::CreateOrganisationRequest {
                    organisation: Some(pb::Organisation {
                        name: "Refusée".into(),
                        siren: "123".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect_err("invalid siren");
        assert_eq!(refused.code(), Code::InvalidArgument);
        let org = env.org("Départs").await;
        let member = env.member(&org, Role::Viewer).await;
        env.client()
            .remove_member(env.req(
                member,
                pb::RemoveMemberRequest {
                    organisation_id: org.id.to_string(),
                    user_id: member.user.to_string(),
                },
            ))
            .await
            .expect("leave");

        let events = seen.wait_for(5).await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "organisation.created",
                "member.added",
                "invitation.created",
                "member.added",
                "member.removed"
            ]
        );
        assert!(events.iter().all(|e| e.organisation_id == org.id));
        let removed = ev::MemberRemoved::decode(events[4].payload.clone()).expect("removed");
        assert_eq!(removed.user_id, member.user.to_string());
        assert_eq!(removed.role, Role::Viewer.to_proto());
        assert_eq!(meta(removed.meta).actor_user_id, member.user.to_string());
        assert_eq!(events[4].aggregate_version, 4);
        env.running.stop().await.expect("stop");
    }
}
