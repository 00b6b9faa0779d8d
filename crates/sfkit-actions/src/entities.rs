//! The standard objects the spec names, as data: their create parameters (camelCase names onto
//! API fields), the fields a list returns, the filters a list takes, and the orders it allows.
//! The get/create/update/delete/list/search actions of each are made from these.

use crate::params::{Kind, Param};

/// A filter of a list action: a parameter, the field it tests, and how.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    /// The parameter.
    pub param: Param,
    /// The API field (a path such as `Account.Name` works too).
    pub field: &'static str,
    /// The test.
    pub test: Test,
}

/// How a filter tests its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// Equal (case-insensitive, as SOQL compares text).
    Equals,
    /// Contains the text, matched literally (`%` and `_` are not wildcards).
    Contains,
    /// Greater than or equal.
    AtLeast,
    /// Less than or equal.
    AtMost,
    /// Strictly after (dates and date-times).
    After,
    /// Strictly before.
    Before,
    /// A boolean field equals the parameter.
    Is,
}

/// A field a list can be ordered by, and its type (for cursors).
#[derive(Debug, Clone, Copy)]
pub struct OrderField {
    /// The camelCase name the parameter takes.
    pub name: &'static str,
    /// The API field.
    pub field: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// One standard object's actions.
#[derive(Debug)]
pub struct Entity {
    /// The API name.
    pub sobject: &'static str,
    /// Singular, for action names (`Account` → getAccount).
    pub noun: &'static str,
    /// Plural, for list and search names (`Accounts`).
    pub plural: &'static str,
    /// Create parameters; update takes the same, all optional.
    pub fields: &'static [Param],
    /// Fields a list or search returns.
    pub list_fields: &'static [&'static str],
    /// List filters.
    pub filters: &'static [Filter],
    /// Orders a list allows; the first is the default.
    pub orders: &'static [OrderField],
    /// Has a full-text search action (searchAccounts, ...).
    pub search: bool,
}

const S: Kind = Kind::String;
const ID: Kind = Kind::Id;
const DATE: Kind = Kind::Date;
const DATETIME: Kind = Kind::DateTime;

const fn f(name: &'static str, field: &'static str, description: &'static str) -> Param {
    Param::opt(name, S, description).sets(field)
}

const fn eq(name: &'static str, field: &'static str, description: &'static str) -> Filter {
    Filter {
        param: Param::opt(name, S, description),
        field,
        test: Test::Equals,
    }
}

/// A filter matching a record id exactly (an owner, a parent).
const fn id_eq(name: &'static str, field: &'static str, description: &'static str) -> Filter {
    Filter {
        param: Param::opt(name, ID, description),
        field,
        test: Test::Equals,
    }
}

const fn filter(param: Param, field: &'static str, test: Test) -> Filter {
    Filter { param, field, test }
}

/// Filters every object's list takes.
macro_rules! common_filters {
    () => {
        [
            filter(
                Param::opt("createdAfter", DATETIME, "created after this instant"),
                "CreatedDate",
                Test::After,
            ),
            filter(
                Param::opt("createdBefore", DATETIME, "created before this instant"),
                "CreatedDate",
                Test::Before,
            ),
            filter(
                Param::opt(
                    "modifiedAfter",
                    DATETIME,
                    "last modified after this instant",
                ),
                "LastModifiedDate",
                Test::After,
            ),
            filter(
                Param::opt(
                    "modifiedBefore",
                    DATETIME,
                    "last modified before this instant",
                ),
                "LastModifiedDate",
                Test::Before,
            ),
            id_eq("ownerId", "OwnerId", "the owner's user id"),
        ]
    };
}

const fn order(name: &'static str, field: &'static str, kind: Kind) -> OrderField {
    OrderField { name, field, kind }
}

const COMMON_ORDERS: [OrderField; 3] = [
    order("createdDate", "CreatedDate", DATETIME),
    order("lastModifiedDate", "LastModifiedDate", DATETIME),
    order("id", "Id", S),
];

/// Accounts.
pub static ACCOUNT: Entity = Entity {
    sobject: "Account",
    noun: "Account",
    plural: "Accounts",
    fields: &[
        Param::req("name", S, "account name").sets("Name"),
        f("industry", "Industry", "industry"),
        f("website", "Website", "website URL"),
        f("phone", "Phone", "main phone"),
        f("billingStreet", "BillingStreet", "billing street"),
        f("billingCity", "BillingCity", "billing city"),
        f("billingState", "BillingState", "billing state or province"),
        f(
            "billingPostalCode",
            "BillingPostalCode",
            "billing postal code",
        ),
        f("billingCountry", "BillingCountry", "billing country"),
        f(
            "type",
            "Type",
            "account type (Prospect, Customer - Direct, ...)",
        ),
        f("description", "Description", "description"),
        Param::opt(
            "annualRevenue",
            Kind::Number {
                min: Some(0.0),
                max: None,
            },
            "annual revenue",
        )
        .sets("AnnualRevenue"),
        Param::opt(
            "numberOfEmployees",
            Kind::Integer {
                min: Some(0),
                max: None,
            },
            "number of employees",
        )
        .sets("NumberOfEmployees"),
    ],
    list_fields: &[
        "Id",
        "Name",
        "Industry",
        "Type",
        "Website",
        "Phone",
        "BillingCity",
        "BillingState",
        "BillingCountry",
        "AnnualRevenue",
        "NumberOfEmployees",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("nameContains", S, "text the name contains"),
                "Name",
                Test::Contains,
            ),
            eq("industry", "Industry", "industry"),
            eq("type", "Type", "account type"),
            eq("city", "BillingCity", "billing city"),
            eq("state", "BillingState", "billing state"),
            eq("country", "BillingCountry", "billing country"),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("name", "Name", S),
        order(
            "annualRevenue",
            "AnnualRevenue",
            Kind::Number {
                min: None,
                max: None,
            },
        ),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: true,
};

/// Contacts.
pub static CONTACT: Entity = Entity {
    sobject: "Contact",
    noun: "Contact",
    plural: "Contacts",
    fields: &[
        Param::req("lastName", S, "last name").sets("LastName"),
        f("firstName", "FirstName", "first name"),
        Param::opt("accountId", ID, "the account").sets("AccountId"),
        f("email", "Email", "email address"),
        f("phone", "Phone", "phone"),
        f("mobilePhone", "MobilePhone", "mobile phone"),
        f("title", "Title", "job title"),
        f("department", "Department", "department"),
        f("leadSource", "LeadSource", "lead source"),
        f("mailingStreet", "MailingStreet", "mailing street"),
        f("mailingCity", "MailingCity", "mailing city"),
        f("mailingState", "MailingState", "mailing state or province"),
        f(
            "mailingPostalCode",
            "MailingPostalCode",
            "mailing postal code",
        ),
        f("mailingCountry", "MailingCountry", "mailing country"),
        Param::opt("birthdate", DATE, "birth date, YYYY-MM-DD").sets("Birthdate"),
        f("description", "Description", "description"),
    ],
    list_fields: &[
        "Id",
        "Name",
        "FirstName",
        "LastName",
        "Email",
        "Phone",
        "Title",
        "AccountId",
        "MailingCity",
        "MailingCountry",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("nameContains", S, "text the name contains"),
                "Name",
                Test::Contains,
            ),
            eq("email", "Email", "email address"),
            id_eq("accountId", "AccountId", "the account"),
            eq("city", "MailingCity", "mailing city"),
            eq("state", "MailingState", "mailing state"),
            eq("country", "MailingCountry", "mailing country"),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("lastName", "LastName", S),
        order("email", "Email", S),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: true,
};

/// Leads.
pub static LEAD: Entity = Entity {
    sobject: "Lead",
    noun: "Lead",
    plural: "Leads",
    fields: &[
        Param::req("lastName", S, "last name").sets("LastName"),
        Param::req("company", S, "company").sets("Company"),
        f("firstName", "FirstName", "first name"),
        f("email", "Email", "email address"),
        f("phone", "Phone", "phone"),
        f("title", "Title", "job title"),
        f("industry", "Industry", "industry"),
        f("status", "Status", "lead status (default New)"),
        f("leadSource", "LeadSource", "lead source"),
        f("website", "Website", "website URL"),
        f("description", "Description", "description"),
    ],
    list_fields: &[
        "Id",
        "Name",
        "FirstName",
        "LastName",
        "Company",
        "Email",
        "Phone",
        "Status",
        "LeadSource",
        "Industry",
        "IsConverted",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("nameContains", S, "text the name contains"),
                "Name",
                Test::Contains,
            ),
            filter(
                Param::opt("companyContains", S, "text the company contains"),
                "Company",
                Test::Contains,
            ),
            eq("status", "Status", "lead status"),
            eq("leadSource", "LeadSource", "lead source"),
            eq("email", "Email", "email address"),
            filter(
                Param::opt("isConverted", Kind::Boolean, "converted or not"),
                "IsConverted",
                Test::Is,
            ),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("lastName", "LastName", S),
        order("company", "Company", S),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: true,
};

/// Opportunities.
pub static OPPORTUNITY: Entity = Entity {
    sobject: "Opportunity",
    noun: "Opportunity",
    plural: "Opportunities",
    fields: &[
        Param::req("name", S, "opportunity name").sets("Name"),
        Param::req("stageName", S, "stage").sets("StageName"),
        Param::req("closeDate", DATE, "expected close date, YYYY-MM-DD").sets("CloseDate"),
        Param::opt("accountId", ID, "the account").sets("AccountId"),
        Param::opt(
            "amount",
            Kind::Number {
                min: None,
                max: None,
            },
            "deal amount",
        )
        .sets("Amount"),
        Param::opt(
            "probability",
            Kind::Number {
                min: Some(0.0),
                max: Some(100.0),
            },
            "win probability, 0 to 100",
        )
        .sets("Probability"),
        f("type", "Type", "opportunity type"),
        f("leadSource", "LeadSource", "lead source"),
        f("nextStep", "NextStep", "next step"),
        f("description", "Description", "description"),
    ],
    list_fields: &[
        "Id",
        "Name",
        "AccountId",
        "StageName",
        "Amount",
        "Probability",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "Type",
        "LeadSource",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("nameContains", S, "text the name contains"),
                "Name",
                Test::Contains,
            ),
            id_eq("accountId", "AccountId", "the account"),
            eq("stageName", "StageName", "stage"),
            filter(
                Param::opt("isClosed", Kind::Boolean, "closed (won or lost) or open"),
                "IsClosed",
                Test::Is,
            ),
            filter(Param::opt("isWon", Kind::Boolean, "won"), "IsWon", Test::Is),
            filter(
                Param::opt("closeDateFrom", DATE, "close date on or after"),
                "CloseDate",
                Test::AtLeast,
            ),
            filter(
                Param::opt("closeDateTo", DATE, "close date on or before"),
                "CloseDate",
                Test::AtMost,
            ),
            filter(
                Param::opt(
                    "minAmount",
                    Kind::Number {
                        min: None,
                        max: None,
                    },
                    "amount at least",
                ),
                "Amount",
                Test::AtLeast,
            ),
            filter(
                Param::opt(
                    "maxAmount",
                    Kind::Number {
                        min: None,
                        max: None,
                    },
                    "amount at most",
                ),
                "Amount",
                Test::AtMost,
            ),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("closeDate", "CloseDate", DATE),
        order(
            "amount",
            "Amount",
            Kind::Number {
                min: None,
                max: None,
            },
        ),
        order("name", "Name", S),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: false,
};

/// Tasks.
pub static TASK: Entity = Entity {
    sobject: "Task",
    noun: "Task",
    plural: "Tasks",
    fields: &[
        Param::req("subject", S, "subject").sets("Subject"),
        Param::opt("whoId", ID, "the contact or lead").sets("WhoId"),
        Param::opt("whatId", ID, "the account, opportunity or other record").sets("WhatId"),
        f(
            "status",
            "Status",
            "status (Not Started, In Progress, Completed, ...)",
        ),
        f("priority", "Priority", "priority (High, Normal, Low)"),
        Param::opt("activityDate", DATE, "due date, YYYY-MM-DD").sets("ActivityDate"),
        f("description", "Description", "comments"),
        Param::opt("ownerId", ID, "the assigned user").sets("OwnerId"),
    ],
    list_fields: &[
        "Id",
        "Subject",
        "Status",
        "Priority",
        "ActivityDate",
        "WhoId",
        "WhatId",
        "IsClosed",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("subjectContains", S, "text the subject contains"),
                "Subject",
                Test::Contains,
            ),
            eq("status", "Status", "status"),
            eq("priority", "Priority", "priority"),
            id_eq("whoId", "WhoId", "the contact or lead"),
            id_eq("whatId", "WhatId", "the related record"),
            filter(
                Param::opt("isClosed", Kind::Boolean, "completed or open"),
                "IsClosed",
                Test::Is,
            ),
            filter(
                Param::opt("dueFrom", DATE, "due on or after"),
                "ActivityDate",
                Test::AtLeast,
            ),
            filter(
                Param::opt("dueTo", DATE, "due on or before"),
                "ActivityDate",
                Test::AtMost,
            ),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("activityDate", "ActivityDate", DATE),
        order("subject", "Subject", S),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: false,
};

/// Cases: not in the spec's action list, but the spec's triggers include Case events, and a
/// support workflow that reacts to them needs to read, open, update and find cases.
pub static CASE: Entity = Entity {
    sobject: "Case",
    noun: "Case",
    plural: "Cases",
    fields: &[
        Param::req("subject", S, "subject").sets("Subject"),
        f("description", "Description", "description"),
        f(
            "status",
            "Status",
            "status (New, Working, Escalated, Closed, ...)",
        ),
        f("priority", "Priority", "priority (High, Medium, Low)"),
        f("origin", "Origin", "origin (Phone, Email, Web, ...)"),
        f("type", "Type", "case type"),
        f("reason", "Reason", "case reason"),
        Param::opt("accountId", ID, "the account").sets("AccountId"),
        Param::opt("contactId", ID, "the contact").sets("ContactId"),
        f(
            "suppliedName",
            "SuppliedName",
            "the web or email sender's name",
        ),
        f(
            "suppliedEmail",
            "SuppliedEmail",
            "the web or email sender's address",
        ),
        f(
            "suppliedPhone",
            "SuppliedPhone",
            "the web or email sender's phone",
        ),
    ],
    list_fields: &[
        "Id",
        "CaseNumber",
        "Subject",
        "Status",
        "Priority",
        "Origin",
        "Type",
        "AccountId",
        "ContactId",
        "IsClosed",
        "IsEscalated",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
        "ClosedDate",
    ],
    filters: &{
        let c = common_filters!();
        [
            filter(
                Param::opt("subjectContains", S, "text the subject contains"),
                "Subject",
                Test::Contains,
            ),
            eq("status", "Status", "status"),
            eq("priority", "Priority", "priority"),
            eq("origin", "Origin", "origin"),
            id_eq("accountId", "AccountId", "the account"),
            id_eq("contactId", "ContactId", "the contact"),
            filter(
                Param::opt("isClosed", Kind::Boolean, "closed or open"),
                "IsClosed",
                Test::Is,
            ),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
        ]
    },
    orders: &[
        order("caseNumber", "CaseNumber", S),
        order("priority", "Priority", S),
        COMMON_ORDERS[0],
        COMMON_ORDERS[1],
        COMMON_ORDERS[2],
    ],
    search: true,
};

/// Every entity.
pub static ALL: [&Entity; 6] = [&ACCOUNT, &CONTACT, &LEAD, &OPPORTUNITY, &TASK, &CASE];
