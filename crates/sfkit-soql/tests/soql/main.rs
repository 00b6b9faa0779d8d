//! The SOQL/SOSL crate's tests in one binary (one link), a module per concern: clauses and their
//! printing, errors and their positions, where names were written, and round trips of generated
//! queries. The corpus test
//! stays a binary of its own (CI runs it alone for its counts).

mod clauses;
mod errors;
mod proptest_roundtrip;
mod spans;
