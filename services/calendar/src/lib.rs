//! The calendar service: business days (TARGET, French public holidays, both, plus each
//! organisation's closed days), the agenda of every user, their working hours, their
//! availability and meeting slots everyone shares.

mod convert;
mod cursor;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod repo;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::calendar::v1::calendar_service_server::CalendarServiceServer;

pub use error::Error;
pub use migration::Migrator;

const CALENDAR_SERVICE: &str = "crm.calendar.v1.CalendarService";
const RESOURCE: &str = "calendar";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "calendar",
    grpc_services: &[CALENDAR_SERVICE],
};

/// Returns the access every RPC needs. Every member reads business days; the
/// organisation's closed days are its owners' and admins'. The agenda is personal: every
/// member, viewers and accountants included, keeps their own, so its writes need only
/// membership (read access) and the handlers enforce the row rules (own events, own
/// working hours; owners, admins and managers read everyone's events).
pub fn permissions() -> PermissionTable {
    let read = Access::read(RESOURCE);
    PermissionTable::new(&[
        (CALENDAR_SERVICE, "IsBusinessDay", read),
        (CALENDAR_SERVICE, "AddBusinessDays", read),
        (CALENDAR_SERVICE, "NextBusinessDay", read),
        (CALENDAR_SERVICE, "ListHolidays", read),
        (CALENDAR_SERVICE, "GetCalendarDays", read),
        (CALENDAR_SERVICE, "AddClosedDay", Access::admin(RESOURCE)),
        (CALENDAR_SERVICE, "RemoveClosedDay", Access::admin(RESOURCE)),
        (CALENDAR_SERVICE, "ListClosedDays", read),
        (CALENDAR_SERVICE, "CreateEvent", read),
        (CALENDAR_SERVICE, "GetEvent", read),
        (CALENDAR_SERVICE, "UpdateEvent", read),
        (CALENDAR_SERVICE, "CancelEvent", read),
        (CALENDAR_SERVICE, "ListEvents", read),
        (CALENDAR_SERVICE, "GetWorkingHours", read),
        (CALENDAR_SERVICE, "SetWorkingHours", read),
        (CALENDAR_SERVICE, "GetAvailability", read),
        (CALENDAR_SERVICE, "ProposeSlots", read),
    ])
}

/// Returns the server of the calendar service, ready to serve.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let relay = crm_events::Relay::new(deps.db.clone(), deps.bus.publisher(SPEC.name))
        .with_metrics(server.event_metrics());
    let api = grpc::CalendarApi::new(repo::Repo::new(deps.db.clone(), relay.waker()));
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(CalendarServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rpc_has_a_permission() {
        assert_eq!(
            super::permissions().check(crm_proto::FILE_DESCRIPTOR_SET, super::SPEC.grpc_services),
            Ok(())
        );
    }
}
