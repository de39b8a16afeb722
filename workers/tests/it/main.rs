//! vteacher's integration tests: the real app against real Redis, PostgreSQL, SQLite and a
//! real local HTTP server. One binary, one module per scenario.

mod helpers;

mod acl;
mod api_bookings;
mod bad_input;
mod board;
mod bridge;
mod cache;
mod chaos;
mod connections;
mod cost;
mod demo;
mod downloads;
mod exposure;
mod faults;
mod grafana;
mod hostile;
mod https;
mod metrics;
mod once;
mod openapi;
mod outages;
mod processes;
mod procfile;
mod progress;
mod retries;
mod retry_status;
mod scale;
mod storm;
mod sweeper;
mod transcoding;
mod web;
mod web_edge;
