//! Issue 21, point 4: a push host reaches only its own. Its Redis user (`vteacher node acl`)
//! lets it work end to end and gets NOPERM elsewhere; a report about a booking placed on
//! another host changes nothing.

mod node_user;
mod reports;
