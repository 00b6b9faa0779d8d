//! sObject describes: the global list, an object's basic info and its full describe.

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use crate::http::{Session, State, answer, json_response, version};
use crate::schema::{Field, FieldType, SObjectType};

fn object_summary(o: &SObjectType, v: &str) -> Json {
    let base = format!("/services/data/v{v}/sobjects/{}", o.name);
    json!({
        "activateable": false, "createable": o.createable, "custom": o.custom, "customSetting": false,
        "deepCloneable": false, "deletable": o.deletable, "deprecatedAndHidden": false, "feedEnabled": false,
        "hasSubtypes": false, "isInterface": false, "isSubtype": false, "keyPrefix": o.key_prefix,
        "label": o.label, "labelPlural": o.label_plural, "layoutable": true, "mergeable": false,
        "mruEnabled": false, "name": o.name, "queryable": true, "replicateable": true,
        "retrieveable": true, "searchable": o.searchable, "triggerable": true, "undeletable": o.deletable,
        "updateable": o.updateable,
        "urls": {"sobject": base, "describe": format!("{base}/describe"), "rowTemplate": format!("{base}/{{ID}}")},
    })
}

pub(super) async fn describe_global(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    _s: Session,
) -> Response {
    let r = version(&v).map(|v| {
        let objects: Vec<Json> = state
            .store
            .schema()
            .objects()
            .iter()
            .map(|o| object_summary(o, &v))
            .collect();
        json_response(
            StatusCode::OK,
            &json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects}),
        )
    });
    answer(&state, r)
}

pub(super) async fn basic_info(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let o = state.store.sobject(&ty)?;
        Ok(json_response(
            StatusCode::OK,
            &json!({"objectDescribe": object_summary(o, &v), "recentItems": []}),
        ))
    })();
    answer(&state, r)
}

fn describe_field(f: &Field) -> Json {
    let numeric = f.kind.is_number();
    json!({
        "aggregatable": true, "autoNumber": f.name == "CaseNumber", "byteLength": if f.kind.is_text() { f.length * 3 } else { 0 },
        "calculated": f.calculated, "calculatedFormula": null, "cascadeDelete": f.cascade_delete,
        "caseSensitive": f.case_sensitive, "compoundFieldName": null, "controllerName": null,
        "createable": f.createable && !f.calculated, "custom": f.name.ends_with("__c"),
        "defaultValue": f.default_value, "defaultValueFormula": null, "defaultedOnCreate": f.defaulted_on_create,
        "dependentPicklist": false, "deprecatedAndHidden": false,
        "digits": if f.kind == FieldType::Int { f.precision } else { 0 },
        "encrypted": false, "externalId": f.external_id, "filterable": true, "groupable": !numeric,
        "htmlFormatted": false, "idLookup": f.name == "Id" || f.external_id || f.unique,
        "inlineHelpText": null, "label": f.label, "length": if f.kind.is_text() { f.length } else { 0 },
        "name": f.name, "nameField": f.name_field, "namePointing": f.reference_to.len() > 1,
        "nillable": f.nillable, "permissionable": f.nillable && !f.calculated,
        "picklistValues": f.picklist.iter().map(|p| json!({
            "active": p.active, "defaultValue": p.default_value, "label": p.label, "validFor": null, "value": p.value,
        })).collect::<Vec<_>>(),
        "polymorphicForeignKey": f.reference_to.len() > 1,
        "precision": if matches!(f.kind, FieldType::Currency | FieldType::Double | FieldType::Percent) { f.precision } else { 0 },
        "referenceTargetField": null, "referenceTo": f.reference_to, "relationshipName": f.relationship_name,
        "relationshipOrder": null, "restrictedDelete": false, "restrictedPicklist": f.restricted_picklist,
        "scale": f.scale, "soapType": f.kind.soap_type(), "sortable": true, "type": f.kind,
        "unique": f.unique, "updateable": f.updateable && !f.calculated, "writeRequiresMasterRead": false,
    })
}

pub(super) async fn describe(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let o = state.store.sobject(&ty)?;
        let mut d = object_summary(o, &v);
        if let Json::Object(m) = &mut d {
            m.insert(
                "fields".into(),
                Json::Array(o.fields.iter().map(describe_field).collect()),
            );
            m.insert(
                "childRelationships".into(),
                Json::Array(
                    o.child_relationships
                        .iter()
                        .map(|c| json!({
                            "cascadeDelete": c.cascade_delete, "childSObject": c.child, "deprecatedAndHidden": false,
                            "field": c.field, "junctionIdListNames": [], "junctionReferenceTo": [],
                            "relationshipName": c.name, "restrictedDelete": false,
                        }))
                        .collect(),
                ),
            );
            m.insert("recordTypeInfos".into(), json!([{
                "active": true, "available": true, "defaultRecordTypeMapping": true, "developerName": "Master",
                "master": true, "name": "Master", "recordTypeId": "012000000000000AAA",
                "urls": {"layout": format!("/services/data/v{v}/sobjects/{}/describe/layouts/012000000000000AAA", o.name)},
            }]));
            m.insert(
                "supportedScopes".into(),
                json!([{"label": "All records", "name": "everything"}]),
            );
            m.insert("compactLayoutable".into(), json!(true));
            m.insert("listviewable".into(), json!(true));
            m.insert("lookupLayoutable".into(), json!(true));
            m.insert("searchLayoutable".into(), json!(true));
            m.insert("namedLayoutInfos".into(), json!([]));
            m.insert("networkScopeFieldName".into(), Json::Null);
            m.insert("actionOverrides".into(), json!([]));
        }
        Ok(json_response(StatusCode::OK, &d))
    })();
    answer(&state, r)
}
