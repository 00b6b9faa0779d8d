//! The shipped standard objects (`standard.toml`) and the schema file loader: real key prefixes,
//! required fields, relationships and picklists, and the loader's errors on bad files.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use sfkit_emulator::Error;
use sfkit_emulator::schema::{Field, FieldType, SObjectType, Schema};

fn standard() -> Schema {
    Schema::standard().expect("standard.toml loads")
}

fn object<'a>(schema: &'a Schema, name: &str) -> &'a SObjectType {
    schema
        .get(name)
        .unwrap_or_else(|| panic!("no sObject type {name}"))
}

fn field<'a>(object: &'a SObjectType, name: &str) -> &'a Field {
    object
        .field(name)
        .unwrap_or_else(|| panic!("no field {}.{name}", object.name))
}

/// The API names of the fields a client must send on create, sorted.
fn required_on_create(object: &SObjectType) -> Vec<&str> {
    let mut names: Vec<&str> = object
        .fields
        .iter()
        .filter(|f| f.required_on_create())
        .map(|f| f.name.as_str())
        .collect();
    names.sort_unstable();
    names
}

fn default_value(f: &Field) -> Option<&str> {
    f.picklist
        .iter()
        .find(|v| v.default_value)
        .map(|v| v.value.as_str())
}

/// Loads `text` on top of an empty schema and returns the schema error's message.
fn load_error(text: &str) -> String {
    match Schema::default().add_file(text, "test.toml") {
        Err(Error::Schema(message)) => message,
        Err(other) => panic!("expected a schema error, got {other}"),
        Ok(()) => panic!("expected a schema error, the file loaded"),
    }
}

// ---------------------------------------------------------------------------------------------
// The standard objects
// ---------------------------------------------------------------------------------------------

#[test]
fn standard_schema_declares_the_standard_objects() {
    let schema = standard();
    let names: Vec<&str> = schema.objects().iter().map(|o| o.name.as_str()).collect();
    for expected in [
        "Account",
        "Contact",
        "Lead",
        "Opportunity",
        "OpportunityStage",
        "LeadStatus",
        "Task",
        "Event",
        "Case",
        "User",
        "Organization",
        "Profile",
        "RecordType",
        "Campaign",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is missing from {names:?}"
        );
    }
    assert!(schema.objects().iter().all(|o| !o.custom));
}

#[test]
fn key_prefixes_are_salesforces_and_unique() {
    let schema = standard();
    for (name, prefix) in [
        ("Account", "001"),
        ("Contact", "003"),
        ("User", "005"),
        ("Opportunity", "006"),
        ("Organization", "00D"),
        ("Lead", "00Q"),
        ("Task", "00T"),
        ("Event", "00U"),
        ("Profile", "00e"),
        ("RecordType", "012"),
        ("Case", "500"),
        ("Campaign", "701"),
    ] {
        assert_eq!(object(&schema, name).key_prefix, prefix, "{name}");
        assert_eq!(
            schema.by_prefix(prefix).map(|o| o.name.as_str()),
            Some(name)
        );
    }
    // Prefixes are case-sensitive: 00e is Profile, 00E (UserRole) is not declared.
    assert!(schema.by_prefix("00E").is_none());
    let stage = &object(&schema, "OpportunityStage").key_prefix;
    let status = &object(&schema, "LeadStatus").key_prefix;
    assert_ne!(stage, status);
    let prefixes: HashSet<&str> = schema
        .objects()
        .iter()
        .map(|o| o.key_prefix.as_str())
        .collect();
    assert_eq!(
        prefixes.len(),
        schema.objects().len(),
        "key prefixes are unique"
    );
}

#[test]
fn required_fields_match_salesforce() {
    let schema = standard();
    assert_eq!(required_on_create(object(&schema, "Account")), ["Name"]);
    assert_eq!(required_on_create(object(&schema, "Contact")), ["LastName"]);
    assert_eq!(
        required_on_create(object(&schema, "Lead")),
        ["Company", "LastName"]
    );
    assert_eq!(
        required_on_create(object(&schema, "Opportunity")),
        ["CloseDate", "Name", "StageName"]
    );
    assert_eq!(required_on_create(object(&schema, "Campaign")), ["Name"]);
    // Status and Priority have defaults; CaseNumber is assigned by the org.
    assert!(required_on_create(object(&schema, "Task")).is_empty());
    assert!(required_on_create(object(&schema, "Event")).is_empty());
    assert!(required_on_create(object(&schema, "Case")).is_empty());
    let user = required_on_create(object(&schema, "User"));
    for name in ["Username", "LastName", "Email", "Alias", "ProfileId"] {
        assert!(user.contains(&name), "User.{name} is required: {user:?}");
    }
    assert!(
        !user.contains(&"CommunityNickname"),
        "the org generates the nickname"
    );
}

#[test]
fn describe_flags_of_required_fields() {
    let schema = standard();
    let name = field(object(&schema, "Account"), "Name");
    assert!(!name.nillable && name.createable && !name.defaulted_on_create);
    assert_eq!((name.kind, name.length), (FieldType::String, 255));
    let status = field(object(&schema, "Lead"), "Status");
    assert!(!status.nillable && status.defaulted_on_create && !status.required_on_create());
    let first = field(object(&schema, "Contact"), "FirstName");
    assert!(first.nillable && !first.required_on_create());
}

#[test]
fn system_fields_are_added() {
    let schema = standard();
    let account = object(&schema, "Account");
    for name in [
        "Id",
        "IsDeleted",
        "OwnerId",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
    ] {
        assert!(account.field(name).is_some(), "Account.{name}");
    }
    assert_eq!(account.fields[0].name, "Id");
    let id = field(account, "Id");
    assert_eq!(id.kind, FieldType::Id);
    assert!(!id.createable && !id.updateable);
    let owner = field(account, "OwnerId");
    assert_eq!(owner.reference_to, ["User"]);
    assert_eq!(owner.relationship_name.as_deref(), Some("Owner"));
    assert!(owner.createable && !owner.required_on_create());
    assert_eq!(
        account.relationship("CreatedBy").map(|f| f.name.as_str()),
        Some("CreatedById")
    );

    for unowned in [
        "User",
        "Organization",
        "Profile",
        "RecordType",
        "OpportunityStage",
        "LeadStatus",
    ] {
        let o = object(&schema, unowned);
        assert!(o.field("OwnerId").is_none(), "{unowned} has no owner");
        assert!(
            o.field("Id").is_some() && o.field("CreatedById").is_some(),
            "{unowned}"
        );
    }
    for owned in [
        "Contact",
        "Lead",
        "Opportunity",
        "Task",
        "Event",
        "Case",
        "Campaign",
    ] {
        assert!(
            object(&schema, owned).field("OwnerId").is_some(),
            "{owned} has an owner"
        );
    }
}

#[test]
fn setup_objects_are_read_only() {
    let schema = standard();
    for name in [
        "Organization",
        "Profile",
        "RecordType",
        "OpportunityStage",
        "LeadStatus",
    ] {
        let o = object(&schema, name);
        assert!(!o.createable && !o.deletable, "{name}");
    }
    assert!(!object(&schema, "Organization").updateable);
    for name in [
        "Account",
        "Contact",
        "Lead",
        "Opportunity",
        "Task",
        "Event",
        "Case",
        "Campaign",
    ] {
        let o = object(&schema, name);
        assert!(o.createable && o.updateable && o.deletable, "{name}");
    }
}

#[test]
fn organization_answers_the_cli_query() {
    // `sf org display` runs SELECT Name, InstanceName, IsSandbox, TrialExpirationDate,
    // NamespacePrefix, OrganizationType FROM Organization.
    let schema = standard();
    let org = object(&schema, "Organization");
    for (name, kind) in [
        ("Name", FieldType::String),
        ("InstanceName", FieldType::String),
        ("IsSandbox", FieldType::Boolean),
        ("TrialExpirationDate", FieldType::Datetime),
        ("NamespacePrefix", FieldType::String),
        ("OrganizationType", FieldType::Picklist),
    ] {
        assert_eq!(field(org, name).kind, kind, "Organization.{name}");
    }
}

#[test]
fn parent_relationships() {
    let schema = standard();
    let contact = object(&schema, "Contact");
    let account_id = contact.relationship("Account").expect("Contact.Account");
    assert_eq!(account_id.name, "AccountId");
    assert_eq!(account_id.kind, FieldType::Reference);
    assert_eq!(account_id.reference_to, ["Account"]);
    assert_eq!(
        contact.relationship("ReportsTo").map(|f| f.name.as_str()),
        Some("ReportsToId")
    );

    let account = object(&schema, "Account");
    assert_eq!(
        account
            .relationship("Parent")
            .map(|f| f.reference_to.clone()),
        Some(vec!["Account".to_owned()])
    );
    let opportunity = object(&schema, "Opportunity");
    assert_eq!(
        opportunity.relationship("Account").map(|f| f.name.as_str()),
        Some("AccountId")
    );
    assert_eq!(
        opportunity
            .relationship("Campaign")
            .map(|f| f.name.as_str()),
        Some("CampaignId")
    );
    let user = object(&schema, "User");
    assert_eq!(
        user.relationship("Profile").map(|f| f.reference_to.clone()),
        Some(vec!["Profile".to_owned()])
    );
    assert_eq!(
        user.relationship("Manager").map(|f| f.reference_to.clone()),
        Some(vec!["User".to_owned()])
    );
}

#[test]
fn child_relationships() {
    let schema = standard();
    let account = object(&schema, "Account");
    for (name, child, field_name) in [
        ("Contacts", "Contact", "AccountId"),
        ("Opportunities", "Opportunity", "AccountId"),
        ("Cases", "Case", "AccountId"),
        ("ChildAccounts", "Account", "ParentId"),
        ("Tasks", "Task", "WhatId"),
        ("Events", "Event", "WhatId"),
    ] {
        let rel = account
            .child_relationship(name)
            .unwrap_or_else(|| panic!("Account.{name}"));
        assert_eq!(
            (rel.child.as_str(), rel.field.as_str()),
            (child, field_name),
            "Account.{name}"
        );
        assert!(!rel.cascade_delete, "Account.{name}");
    }
    let contact = object(&schema, "Contact");
    assert_eq!(
        contact
            .child_relationship("Cases")
            .map(|r| r.field.as_str()),
        Some("ContactId")
    );
    assert_eq!(
        contact
            .child_relationship("Tasks")
            .map(|r| r.field.as_str()),
        Some("WhoId")
    );
    let lead = object(&schema, "Lead");
    assert_eq!(
        lead.child_relationship("Tasks").map(|r| r.field.as_str()),
        Some("WhoId")
    );
    assert_eq!(
        lead.child_relationship("Events").map(|r| r.field.as_str()),
        Some("WhoId")
    );
    let opportunity = object(&schema, "Opportunity");
    assert_eq!(
        opportunity
            .child_relationship("Tasks")
            .map(|r| r.field.as_str()),
        Some("WhatId")
    );
    let campaign = object(&schema, "Campaign");
    assert_eq!(
        campaign
            .child_relationship("ChildCampaigns")
            .map(|r| r.field.as_str()),
        Some("ParentId")
    );
    assert_eq!(
        campaign
            .child_relationship("Opportunities")
            .map(|r| r.child.as_str()),
        Some("Opportunity")
    );
    let user = object(&schema, "User");
    assert_eq!(
        user.child_relationship("ManagedUsers")
            .map(|r| r.field.as_str()),
        Some("ManagerId")
    );
    // Lead conversion references have no child relationship.
    assert!(
        account
            .child_relationships
            .iter()
            .all(|r| r.child != "Lead")
    );
}

#[test]
fn activities_are_polymorphic() {
    let schema = standard();
    for name in ["Task", "Event"] {
        let activity = object(&schema, name);
        let who = activity
            .relationship("Who")
            .unwrap_or_else(|| panic!("{name}.Who"));
        assert_eq!(who.name, "WhoId");
        assert_eq!(who.reference_to, ["Contact", "Lead"]);
        let what = activity
            .relationship("What")
            .unwrap_or_else(|| panic!("{name}.What"));
        assert_eq!(what.name, "WhatId");
        for target in ["Account", "Opportunity", "Case", "Campaign"] {
            assert!(
                what.reference_to.iter().any(|t| t == target),
                "{name}.WhatId -> {target}"
            );
        }
    }
}

#[test]
fn every_reference_points_at_a_declared_type() {
    let schema = standard();
    for o in schema.objects() {
        for f in o.fields.iter().filter(|f| f.kind == FieldType::Reference) {
            assert!(!f.reference_to.is_empty(), "{}.{}", o.name, f.name);
            assert!(f.relationship_name.is_some(), "{}.{}", o.name, f.name);
            for target in &f.reference_to {
                assert!(
                    schema.get(target).is_some(),
                    "{}.{} -> {target}",
                    o.name,
                    f.name
                );
            }
        }
        let mut seen = HashSet::new();
        for rel in &o.child_relationships {
            assert!(
                seen.insert((rel.name.to_ascii_lowercase(), rel.child.clone())),
                "{}.{}",
                o.name,
                rel.name
            );
        }
    }
}

#[test]
fn lookups_ignore_case() {
    let schema = standard();
    let account = schema.get("account").expect("account");
    assert_eq!(account.name, "Account");
    assert_eq!(
        schema.get("OPPORTUNITY").map(|o| o.name.as_str()),
        Some("Opportunity")
    );
    assert_eq!(
        account.field("billingcity").map(|f| f.name.as_str()),
        Some("BillingCity")
    );
    assert_eq!(account.field("ID").map(|f| f.name.as_str()), Some("Id"));
    let contact = object(&schema, "contact");
    assert_eq!(
        contact.relationship("ACCOUNT").map(|f| f.name.as_str()),
        Some("AccountId")
    );
    assert_eq!(
        account
            .child_relationship("contacts")
            .map(|r| r.child.as_str()),
        Some("Contact")
    );
    assert!(schema.get("Acount").is_none());
    assert!(account.field("Nmae").is_none());
}

#[test]
fn name_fields() {
    let schema = standard();
    for (object_name, field_name) in [
        ("Account", "Name"),
        ("Contact", "Name"),
        ("Lead", "Name"),
        ("Opportunity", "Name"),
        ("Task", "Subject"),
        ("Event", "Subject"),
        ("Case", "CaseNumber"),
        ("User", "Name"),
        ("Organization", "Name"),
        ("Profile", "Name"),
        ("RecordType", "Name"),
        ("Campaign", "Name"),
        ("OpportunityStage", "MasterLabel"),
        ("LeadStatus", "MasterLabel"),
    ] {
        let o = object(&schema, object_name);
        assert_eq!(
            o.name_field().map(|f| f.name.as_str()),
            Some(field_name),
            "{object_name}"
        );
        assert_eq!(
            o.fields.iter().filter(|f| f.name_field).count(),
            1,
            "{object_name}"
        );
    }
}

#[test]
fn derived_fields_are_calculated_and_read_only() {
    let schema = standard();
    for (object_name, field_name) in [
        ("Contact", "Name"),
        ("Lead", "Name"),
        ("User", "Name"),
        ("Opportunity", "IsClosed"),
        ("Opportunity", "IsWon"),
        ("Opportunity", "ExpectedRevenue"),
        ("Task", "IsClosed"),
        ("Case", "IsClosed"),
        ("Case", "CaseNumber"),
    ] {
        let f = field(object(&schema, object_name), field_name);
        assert!(f.calculated, "{object_name}.{field_name} is calculated");
        assert!(
            !f.createable && !f.updateable,
            "{object_name}.{field_name} is read-only"
        );
    }
    let lead = object(&schema, "Lead");
    for name in [
        "IsConverted",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
    ] {
        let f = field(lead, name);
        assert!(!f.createable && !f.updateable, "Lead.{name} is read-only");
    }
    assert_eq!(
        lead.relationship("ConvertedAccount")
            .map(|f| f.reference_to.clone()),
        Some(vec!["Account".to_owned()])
    );
}

#[test]
fn picklists_have_salesforces_standard_values() {
    let schema = standard();
    let status = field(object(&schema, "Lead"), "Status");
    assert_eq!(status.kind, FieldType::Picklist);
    assert_eq!(default_value(status), Some("Open - Not Contacted"));
    let values: Vec<&str> = status.picklist.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "Open - Not Contacted",
            "Working - Contacted",
            "Closed - Converted",
            "Closed - Not Converted"
        ]
    );

    let stage = field(object(&schema, "Opportunity"), "StageName");
    let stages: Vec<&str> = stage.picklist.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(stages.len(), 10);
    assert_eq!(stages.first(), Some(&"Prospecting"));
    assert!(stages.contains(&"Id. Decision Makers") && stages.contains(&"Proposal/Price Quote"));
    assert_eq!(&stages[8..], ["Closed Won", "Closed Lost"]);
    assert!(!stage.restricted_picklist);
    assert_eq!(default_value(stage), None);

    let task = object(&schema, "Task");
    assert_eq!(default_value(field(task, "Status")), Some("Not Started"));
    assert_eq!(default_value(field(task, "Priority")), Some("Normal"));
    assert_eq!(field(task, "Subject").kind, FieldType::Combobox);
    let case = object(&schema, "Case");
    assert_eq!(default_value(field(case, "Status")), Some("New"));
    assert_eq!(default_value(field(case, "Priority")), Some("Medium"));
    let origin: Vec<&str> = field(case, "Origin")
        .picklist
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(origin, ["Phone", "Email", "Web"]);

    let industry = field(object(&schema, "Account"), "Industry");
    assert!(
        industry
            .picklist
            .iter()
            .any(|v| v.value == "Technology" && v.label == "Technology")
    );
    assert!(
        industry
            .picklist
            .iter()
            .all(|v| v.active && !v.default_value)
    );
    assert!(!industry.restricted_picklist);

    // At most one default per picklist; a default makes the field defaulted on create.
    for o in schema.objects() {
        for f in &o.fields {
            let defaults = f.picklist.iter().filter(|v| v.default_value).count();
            assert!(defaults <= 1, "{}.{}", o.name, f.name);
            if defaults == 1 {
                assert!(f.defaulted_on_create, "{}.{}", o.name, f.name);
            }
        }
    }
}

#[test]
fn field_types_and_lengths() {
    let schema = standard();
    let account = object(&schema, "Account");
    for (name, kind, length) in [
        ("Website", FieldType::Url, 255),
        ("Phone", FieldType::Phone, 40),
        ("Description", FieldType::Textarea, 32000),
        ("BillingStreet", FieldType::Textarea, 255),
        ("BillingCity", FieldType::String, 40),
        ("BillingState", FieldType::String, 80),
        ("BillingPostalCode", FieldType::String, 20),
        ("BillingCountry", FieldType::String, 80),
    ] {
        let f = field(account, name);
        assert_eq!((f.kind, f.length), (kind, length), "Account.{name}");
    }
    assert_eq!(field(account, "AnnualRevenue").kind, FieldType::Currency);
    assert_eq!(field(account, "NumberOfEmployees").kind, FieldType::Int);
    assert_eq!(field(account, "BillingLatitude").kind, FieldType::Double);
    assert_eq!(
        field(object(&schema, "Contact"), "Email").kind,
        FieldType::Email
    );
    assert_eq!(field(object(&schema, "Contact"), "Name").length, 121);
    let opportunity = object(&schema, "Opportunity");
    assert_eq!(field(opportunity, "CloseDate").kind, FieldType::Date);
    assert_eq!(field(opportunity, "Probability").kind, FieldType::Percent);
    assert_eq!(field(opportunity, "Amount").kind, FieldType::Currency);
    let event = object(&schema, "Event");
    assert_eq!(field(event, "StartDateTime").kind, FieldType::Datetime);
    assert_eq!(field(event, "DurationInMinutes").kind, FieldType::Int);
    let user = object(&schema, "User");
    assert!(field(user, "Username").unique);
    assert_eq!(
        field(user, "IsActive").default_value,
        Some(serde_json::Value::Bool(true))
    );
}

// ---------------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------------

#[test]
fn a_custom_object_loads_on_top_of_the_standard_ones() {
    let mut schema = standard();
    schema
        .add_file(
            r#"
            [[object]]
            name = "Invoice__c"
            prefix = "a01"

            [[object.fields]]
            name = "Account__c"
            type = "reference"
            to = ["Account"]
            children = "Invoices__r"
            required = true

            [[object.fields]]
            name = "Total__c"
            type = "currency"

            [[object.fields]]
            name = "Stage__c"
            type = "picklist"
            values = ["Draft", { value = "Sent", label = "Sent out", default_value = true }]
            "#,
            "custom.toml",
        )
        .expect("the custom file loads");
    let invoice = object(&schema, "invoice__c");
    assert!(invoice.custom);
    assert_eq!(invoice.label, "Invoice");
    assert_eq!(invoice.label_plural, "Invoices");
    let name = invoice.name_field().expect("a generated Name");
    assert_eq!((name.name.as_str(), name.length), ("Name", 80));
    assert!(name.required_on_create());
    assert!(invoice.field("OwnerId").is_some());
    assert_eq!(
        invoice.relationship("Account__r").map(|f| f.name.as_str()),
        Some("Account__c")
    );
    let stage = field(invoice, "Stage__c");
    assert_eq!(default_value(stage), Some("Sent"));
    assert_eq!(stage.picklist[1].label, "Sent out");
    assert!(stage.defaulted_on_create);
    let account = object(&schema, "Account");
    let rel = account
        .child_relationship("invoices__r")
        .expect("Account.Invoices__r");
    assert_eq!(
        (rel.child.as_str(), rel.field.as_str()),
        ("Invoice__c", "Account__c")
    );
    // The standard relationships survive the relink.
    assert!(account.child_relationship("Contacts").is_some());
}

#[test]
fn unknown_field_type_is_an_error() {
    let message = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Size__c"
        type = "bignum"
        "#,
    );
    assert!(message.contains("test.toml"), "{message}");
    assert!(
        message.contains("unknown field type") && message.contains("bignum"),
        "{message}"
    );
}

#[test]
fn duplicate_field_is_an_error() {
    let message = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Size__c"
        type = "int"
        [[object.fields]]
        name = "size__C"
        type = "double"
        "#,
    );
    assert!(
        message.contains("Thing__c") && message.contains("size__C"),
        "{message}"
    );
    assert!(message.contains("declared twice"), "{message}");
}

#[test]
fn redeclaring_a_system_field_is_an_error() {
    let message = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "CreatedDate"
        type = "datetime"
        "#,
    );
    assert!(
        message.contains("CreatedDate") && message.contains("system field"),
        "{message}"
    );
}

#[test]
fn reference_without_to_is_an_error() {
    let message = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Account__c"
        type = "reference"
        "#,
    );
    assert!(
        message.contains("Account__c") && message.contains("`to`"),
        "{message}"
    );
}

#[test]
fn bad_key_prefix_is_an_error() {
    for prefix in ["a1", "a012", "a-1", ""] {
        let message = load_error(&format!(
            "[[object]]\nname = \"Thing__c\"\nprefix = \"{prefix}\"\n"
        ));
        assert!(
            message.contains("key prefix") && message.contains(&format!("{prefix:?}")),
            "{message}"
        );
    }
    // A prefix already taken by a standard object.
    let mut schema = standard();
    let err = schema.add_file(
        "[[object]]\nname = \"Thing__c\"\nprefix = \"001\"\n",
        "test.toml",
    );
    match err {
        Err(Error::Schema(message)) => {
            assert!(
                message.contains("001") && message.contains("already taken"),
                "{message}"
            );
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn duplicate_object_is_an_error() {
    let mut schema = standard();
    match schema.add_file(
        "[[object]]\nname = \"account\"\nprefix = \"a01\"\n",
        "test.toml",
    ) {
        Err(Error::Schema(message)) => assert!(message.contains("declared twice"), "{message}"),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn unknown_keys_are_errors() {
    let top = load_error("[[objects]]\nname = \"Thing__c\"\nprefix = \"a01\"\n");
    assert!(top.contains("objects"), "{top}");
    let on_object = load_error("[[object]]\nname = \"Thing__c\"\nprefix = \"a01\"\nownd = false\n");
    assert!(on_object.contains("ownd"), "{on_object}");
    let on_field = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Size__c"
        type = "int"
        requird = true
        "#,
    );
    assert!(on_field.contains("requird"), "{on_field}");
    // A misspelt key in a picklist entry is not silently dropped.
    let on_value = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Kind__c"
        type = "picklist"
        values = [{ value = "A", default = true }]
        "#,
    );
    assert!(on_value.contains("test.toml"), "{on_value}");
}

#[test]
fn picklist_without_values_is_an_error() {
    let message = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Kind__c"
        type = "picklist"
        "#,
    );
    assert!(
        message.contains("Kind__c") && message.contains("needs values"),
        "{message}"
    );
}

#[test]
fn invalid_api_names_are_errors() {
    let object = load_error("[[object]]\nname = \"Bad Name\"\nprefix = \"a01\"\n");
    assert!(
        object.contains("Bad Name") && object.contains("not a valid API name"),
        "{object}"
    );
    let field = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Account.Name"
        type = "string"
        "#,
    );
    assert!(
        field.contains("Account.Name") && field.contains("not a valid API name"),
        "{field}"
    );
    let reserved = load_error(
        r#"
        [[object]]
        name = "Thing__c"
        prefix = "a01"
        [[object.fields]]
        name = "Select"
        type = "string"
        "#,
    );
    assert!(reserved.contains("Select"), "{reserved}");
}

#[test]
fn malformed_toml_is_an_error() {
    let message = load_error("[[object]\nname = ");
    assert!(message.starts_with("test.toml"), "{message}");
}
