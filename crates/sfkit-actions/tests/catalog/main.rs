//! The action catalog's tests in one binary (one link), a module per concern: every action
//! against the local org over real HTTP, and property tests of paging.

mod actions;
mod paging_props;
