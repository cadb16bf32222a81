//! Client helpers for the API under test (log in, create people and
//! programmes) so that tests read as what a user does.
