//! HTTP plumbing shared by every route: extractors that turn rejections into 400s naming the
//! field, request ids, client addresses, CORS, and JSON bodies for errors produced by layers.

pub mod body;
pub mod client_ip;
pub mod cors;
pub mod error_bodies;
pub mod input;
pub mod json;
pub mod path;
pub mod request_id;
