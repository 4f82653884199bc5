//! Pure domain types of bizzai: ids, money, quantities, text keys and input validation.
//!
//! Nothing here does I/O. Every type has one fallible constructor, so a value that exists is valid
//! ("parse, don't validate"): handlers turn JSON into these types first and never re-check them.

pub mod decimal;
pub mod id;
pub mod money;
pub mod quantity;
pub mod sale;
pub mod text;
pub mod validate;

pub use id::ObjectId;
pub use money::Money;
pub use quantity::Quantity;
