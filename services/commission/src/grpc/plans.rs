//! Plans: create, read, update, list, archive.

use crm_db::Tenant;
use crm_kit::convert::required_id;
use crm_proto::commission::v1 as pb;
use tonic::Status;

use super::{CommissionApi, invalid};
use crate::convert::{
    PLAN_PATHS, Violations, implicit_mask, is_currency, next_token, optional_uuid, page,
    plan_draft, plan_to_proto, rule_to_draft, rules_from_proto, uuid_field,
};
use crate::domain::plan::{PlanDraft, validate};
use crate::error::Error;

impl CommissionApi {
    pub(super) async fn create_plan(
        &self,
        tenant: Tenant,
        req: &pb::CreatePlanRequest,
    ) -> Result<pb::Plan, Status> {
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let Some(input) = &req.plan else {
            v.push(("plan".into(), "is required".into()));
            return Err(Error::InvalidArgument(v).into());
        };
        if !input.id.is_empty() {
            v.push(("plan.id".into(), "is assigned by the service".into()));
        }
        if input.status == pb::PlanStatus::Archived as i32 {
            v.push(("plan.status".into(), "a new plan cannot be archived".into()));
        } else if pb::PlanStatus::try_from(input.status).is_err() {
            v.push(("plan.status".into(), "is not a known plan status".into()));
        }
        if input.version != 0 {
            v.push(("plan.version".into(), "is assigned by the service".into()));
        }
        let draft = plan_draft(input, "plan", &mut v);
        let data = validate(&draft, "plan", is_currency)
            .map_err(|more| merge(&mut v, more))
            .ok();
        invalid(v)?;
        let data = data.ok_or_else(|| Status::internal("validated plan without data"))?;
        let plan = self.repo.create_plan(tenant, data, request_id).await?;
        tracing::info!(plan_id = %plan.id, "commission plan created");
        Ok(plan_to_proto(&plan))
    }

    pub(super) async fn get_plan(&self, tenant: Tenant, plan_id: &str) -> Result<pb::Plan, Status> {
        let id = required_id(plan_id, "plan_id")?;
        Ok(plan_to_proto(&self.repo.get_plan(tenant, id).await?))
    }

    pub(super) async fn update_plan(
        &self,
        tenant: Tenant,
        req: &pb::UpdatePlanRequest,
    ) -> Result<pb::Plan, Status> {
        let Some(input) = &req.plan else {
            return Err(Error::InvalidArgument(vec![("plan".into(), "is required".into())]).into());
        };
        let mut v = Violations::new();
        let id = uuid_field(&input.id, "plan.id", &mut v);
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => implicit_mask(input),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        for path in &paths {
            if !PLAN_PATHS.contains(&path.as_str()) {
                v.push((
                    "update_mask".into(),
                    format!("{path:?} cannot be updated; updatable: name, description, is_default, rules"),
                ));
            }
        }
        let rules = rules_from_proto(&input.rules, "plan", &mut v);
        invalid(v)?;
        let id = id.ok_or_else(|| Status::internal("validated request without an id"))?;
        let has = |p: &str| paths.iter().any(|x| x == p);
        let plan = self
            .repo
            .update_plan(tenant, id, input.version, |current| {
                let c = &current.data;
                let draft = PlanDraft {
                    name: if has("name") {
                        input.name.clone()
                    } else {
                        c.name.clone()
                    },
                    description: if has("description") {
                        input.description.clone()
                    } else {
                        c.description.clone()
                    },
                    is_default: if has("is_default") {
                        input.is_default
                    } else {
                        c.is_default
                    },
                    rules: if has("rules") {
                        rules.clone()
                    } else {
                        c.rules.iter().map(rule_to_draft).collect()
                    },
                };
                validate(&draft, "plan", is_currency).map_err(Error::InvalidArgument)
            })
            .await?;
        Ok(plan_to_proto(&plan))
    }

    pub(super) async fn list_plans(
        &self,
        tenant: Tenant,
        req: &pb::ListPlansRequest,
    ) -> Result<pb::ListPlansResponse, Status> {
        let mut v = Violations::new();
        let fingerprint =
            crm_db::page::fingerprint(&["plans", if req.show_archived { "all" } else { "active" }]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (plans, more) = self
            .repo
            .list_plans(tenant, req.show_archived, after, size)
            .await?;
        Ok(pb::ListPlansResponse {
            next_page_token: next_token(more, plans.last().map(|p| p.id), fingerprint),
            plans: plans.iter().map(plan_to_proto).collect(),
        })
    }

    pub(super) async fn archive_plan(
        &self,
        tenant: Tenant,
        req: &pb::ArchivePlanRequest,
    ) -> Result<pb::Plan, Status> {
        let id = required_id(&req.plan_id, "plan_id")?;
        let plan = self.repo.archive_plan(tenant, id, req.version).await?;
        tracing::info!(plan_id = %plan.id, "commission plan archived");
        Ok(plan_to_proto(&plan))
    }
}

/// Appends `more` to `v`, leaving out fields `v` already names (a malformed enum is not
/// also reported as missing).
fn merge(v: &mut Violations, more: Violations) {
    for (field, problem) in more {
        if !v.iter().any(|(f, _)| *f == field) {
            v.push((field, problem));
        }
    }
}
